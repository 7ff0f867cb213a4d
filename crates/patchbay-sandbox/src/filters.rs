//! Incremental filters of the providers' list endpoints, parsed strictly: a bad value is a
//! 400 that names the parameter, as the real APIs refuse it.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};

use crate::errors::ApiError;
use crate::pagination::Params;

/// Dates a record is filtered on (unix seconds) and its status, if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs {
    pub created: i64,
    pub updated: i64,
    pub status: Status,
}

/// EmailOctopus contact statuses (also used as "no status" for other providers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Subscribed,
    Unsubscribed,
    Pending,
    None,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Subscribed => "subscribed",
            Status::Unsubscribed => "unsubscribed",
            Status::Pending => "pending",
            Status::None => "",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "subscribed" => Some(Status::Subscribed),
            "unsubscribed" => Some(Status::Unsubscribed),
            "pending" => Some(Status::Pending),
            _ => None,
        }
    }
}

/// An inclusive window of unix seconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Window {
    pub fn contains(self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }

    fn is_open(self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    fn check(self, what: &str) -> Result<Self, ApiError> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f > t => Err(ApiError::bad_request(format!(
                "the {what} window ends before it starts"
            ))),
            _ => Ok(self),
        }
    }

    fn key(self) -> String {
        format!("{:?}..{:?}", self.from, self.to)
    }
}

fn rfc3339(name: &str, raw: &str) -> Result<i64, ApiError> {
    OffsetDateTime::parse(raw, &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name} must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z, got `{raw}`"
            ))
        })
}

/// WhatConverts `start_date` / `end_date` on the lead's creation date, both inclusive. A
/// bare date (`2026-01-31`) means that whole UTC day: from its first second for
/// `start_date`, to its last for `end_date`; a date-time is taken as given.
pub fn whatconverts_window(params: &Params) -> Result<Option<Window>, ApiError> {
    let bound = |name: &str, end: bool| -> Result<Option<i64>, ApiError> {
        let Some(raw) = params.get(name) else {
            return Ok(None);
        };
        if let Ok(d) = Date::parse(raw, format_description!("[year]-[month]-[day]")) {
            let time = if end {
                Time::from_hms(23, 59, 59).expect("valid time")
            } else {
                Time::MIDNIGHT
            };
            return Ok(Some(d.with_time(time).assume_utc().unix_timestamp()));
        }
        OffsetDateTime::parse(raw, &Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "{name} must be a date (2026-01-31) or an ISO 8601 date-time (2026-01-31T00:00:00Z), got `{raw}`"
                ))
            })
    };
    let w = Window {
        from: bound("start_date", false)?,
        to: bound("end_date", true)?,
    };
    if w.is_open() {
        return Ok(None);
    }
    w.check("start_date..end_date").map(Some)
}

/// EmailOctopus v2 contact filters. Without `status`, only subscribed contacts are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactFilter {
    pub created: Window,
    pub updated: Window,
    pub status: Status,
}

/// The query parameters that make up a contact filter (kept on `paging.next.url`).
pub const CONTACT_FILTER_PARAMS: [&str; 5] = [
    "status",
    "created_at.gte",
    "created_at.lte",
    "last_updated_at.gte",
    "last_updated_at.lte",
];

impl ContactFilter {
    pub fn parse(params: &Params) -> Result<ContactFilter, ApiError> {
        let opt = |name: &str| params.get(name).map(|raw| rfc3339(name, raw)).transpose();
        let status = match params.get("status") {
            None => Status::Subscribed,
            Some(raw) => Status::parse(raw).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "status must be one of subscribed, unsubscribed, pending; got `{raw}`"
                ))
            })?,
        };
        Ok(ContactFilter {
            created: Window {
                from: opt("created_at.gte")?,
                to: opt("created_at.lte")?,
            }
            .check("created_at")?,
            updated: Window {
                from: opt("last_updated_at.gte")?,
                to: opt("last_updated_at.lte")?,
            }
            .check("last_updated_at")?,
            status,
        })
    }

    pub fn matches(self, a: Attrs) -> bool {
        a.status == self.status
            && self.created.contains(a.created)
            && self.updated.contains(a.updated)
    }

    pub fn key(self) -> String {
        format!(
            "{}|{}|{}",
            self.status.as_str(),
            self.created.key(),
            self.updated.key()
        )
    }
}

pub fn window_key(w: Window) -> String {
    w.key()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn whatconverts_dates_are_whole_days_or_instants_and_inclusive() {
        let w = whatconverts_window(&params(&[
            ("start_date", "2026-01-31"),
            ("end_date", "2026-01-31"),
        ]))
        .unwrap()
        .unwrap();
        let day = 1_769_817_600; // 2026-01-31T00:00:00Z
        assert!(w.contains(day) && w.contains(day + 86_399));
        assert!(!w.contains(day - 1) && !w.contains(day + 86_400));
        let w = whatconverts_window(&params(&[("start_date", "2026-01-31T10:00:00Z")]))
            .unwrap()
            .unwrap();
        assert!(w.contains(day + 36_000) && !w.contains(day + 35_999));
        assert!(whatconverts_window(&params(&[])).unwrap().is_none());
        for bad in ["31/01/2026", "2026-02-30", "yesterday", ""] {
            assert!(
                whatconverts_window(&params(&[("start_date", bad)])).is_err(),
                "{bad}"
            );
        }
        assert!(whatconverts_window(&params(&[
            ("start_date", "2026-02-01"),
            ("end_date", "2026-01-01")
        ]))
        .is_err());
    }

    #[test]
    fn contact_filters_default_to_subscribed_and_refuse_nonsense() {
        let f = ContactFilter::parse(&params(&[])).unwrap();
        assert_eq!(f.status, Status::Subscribed);
        let f = ContactFilter::parse(&params(&[
            ("status", "pending"),
            ("last_updated_at.gte", "2026-01-31T00:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(f.status, Status::Pending);
        assert_eq!(f.updated.from, Some(1_769_817_600));
        assert!(ContactFilter::parse(&params(&[("status", "all")])).is_err());
        assert!(ContactFilter::parse(&params(&[("created_at.lte", "2026-01-31")])).is_err());
    }
}
