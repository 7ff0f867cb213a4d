//! Which pass a sync runs and what it asks the provider for: resume an interrupted sync, else
//! a full pass when one is due (or asked for), else an incremental pass from the watermark.

use patchbay_cache::{SyncMarks, SyncMode};
use patchbay_core::app::{SyncCursor, SyncPlan};
use patchbay_core::paging::PagePosition;
use patchbay_core::providers::{IncrementalKind, Paging, ResourceDef};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::watermark::{rfc3339, Mark, MarkKind, Tracker};

/// What the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Incremental when the resource has a way to ask for changes and a full pass is not due;
    /// else full. An interrupted sync is resumed first.
    Auto,
    /// Every record, and what the provider no longer has is removed.
    Full,
}

/// What actually ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    Full,
    Incremental,
}

impl PassKind {
    pub(crate) fn mode(self) -> SyncMode {
        match self {
            PassKind::Full => SyncMode::Full,
            PassKind::Incremental => SyncMode::Incremental,
        }
    }

    fn of(mode: SyncMode) -> PassKind {
        match mode {
            SyncMode::Full => PassKind::Full,
            SyncMode::Incremental => PassKind::Incremental,
        }
    }
}

/// The sync to run.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub kind: PassKind,
    pub plan: SyncPlan,
    /// It continues an interrupted sync from its last stored page.
    pub resumed: bool,
    /// Follows the watermark of what this sync stores (`None`: the resource has none).
    pub tracker: Option<Tracker>,
}

pub(crate) fn plan(
    resource: &ResourceDef,
    marks: &SyncMarks,
    pass: Pass,
    now: OffsetDateTime,
) -> Planned {
    let tracker = |pending: Option<&str>| {
        resource.incremental.as_ref().map(|inc| {
            let field = match &inc.kind {
                IncrementalKind::UpdatedSince { field, .. }
                | IncrementalKind::CreatedWindow { field, .. }
                | IncrementalKind::AfterId { field, .. } => field,
            };
            Tracker::new(
                MarkKind::of(&inc.kind),
                field,
                &[marks.watermark.as_deref(), pending],
            )
        })
    };
    // An interrupted sync goes on where it stopped, unless a full pass is asked for and the
    // interrupted one is not full, or its incremental definition is gone.
    if let Some(u) = &marks.unfinished {
        let wanted = match pass {
            Pass::Auto => true,
            Pass::Full => u.mode == SyncMode::Full,
        };
        let possible = u.mode == SyncMode::Full || resource.incremental.is_some();
        let cursor = u.cursor.as_deref().and_then(|c| {
            serde_json::from_str::<SyncCursor>(c)
                .inspect_err(
                    |e| tracing::warn!(error = %e, "unreadable resume cursor; starting over"),
                )
                .ok()
        });
        if let (true, true, Some(cursor)) = (wanted, possible, cursor) {
            return Planned {
                kind: PassKind::of(u.mode),
                plan: SyncPlan {
                    filter: cursor.filter.clone(),
                    resume: Some(cursor),
                },
                resumed: true,
                tracker: tracker(u.watermark.as_deref()),
            };
        }
    }
    let tracker = tracker(None);
    let incremental = match (
        pass,
        &resource.incremental,
        tracker.as_ref().and_then(Tracker::current),
    ) {
        (Pass::Auto, Some(inc), Some(mark)) if !full_due(marks, inc.full_every_days, now) => {
            incremental_plan(resource, &inc.kind, mark, now)
        }
        _ => None,
    };
    match incremental {
        Some(plan) => Planned {
            kind: PassKind::Incremental,
            plan,
            resumed: false,
            tracker,
        },
        None => Planned {
            kind: PassKind::Full,
            plan: SyncPlan::default(),
            resumed: false,
            tracker,
        },
    }
}

/// A full pass is due when none finished yet or the last one is `every_days` old.
fn full_due(marks: &SyncMarks, every_days: u32, now: OffsetDateTime) -> bool {
    let last = marks
        .last_full
        .as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    match last {
        None => true,
        Some(last) => now - last >= Duration::days(i64::from(every_days)),
    }
}

/// What an incremental pass asks for, from the watermark `mark`.
fn incremental_plan(
    resource: &ResourceDef,
    kind: &IncrementalKind,
    mark: &Mark,
    now: OffsetDateTime,
) -> Option<SyncPlan> {
    match (kind, mark) {
        (
            IncrementalKind::UpdatedSince {
                param,
                overlap_seconds,
                ..
            },
            Mark::Time(t),
        ) => Some(SyncPlan {
            filter: vec![(
                param.clone(),
                rfc3339(*t - Duration::seconds(i64::from(*overlap_seconds))),
            )],
            resume: None,
        }),
        (
            IncrementalKind::CreatedWindow {
                start_param,
                end_param,
                window_days,
                max_span_days,
                ..
            },
            Mark::Time(t),
        ) => {
            let mut start = *t - Duration::days(i64::from(*window_days));
            if let Some(max) = max_span_days {
                // The provider refuses a longer range. Leads older than the clamp were all
                // created before the watermark, so only their edits wait for the full pass.
                start = start.max(now - Duration::days(i64::from(*max)) + Duration::hours(1));
            }
            Some(SyncPlan {
                filter: vec![
                    (start_param.clone(), rfc3339(start)),
                    (end_param.clone(), rfc3339(now)),
                ],
                resume: None,
            })
        }
        (IncrementalKind::AfterId { param, .. }, id) if !matches!(id, Mark::Time(_)) => {
            let cursor_param = match &resource.paging {
                Paging::CursorHeader { cursor_param, .. }
                | Paging::CursorBody { cursor_param, .. } => Some(cursor_param),
                _ => None,
            };
            if cursor_param == Some(param) {
                // `after` is also the paging cursor: start the list's cursor at the largest id.
                Some(SyncPlan {
                    filter: Vec::new(),
                    resume: Some(SyncCursor {
                        filter: Vec::new(),
                        parent: None,
                        split: None,
                        position: PagePosition::Cursor { next: id.text() },
                    }),
                })
            } else {
                Some(SyncPlan {
                    filter: vec![(param.clone(), id.text())],
                    resume: None,
                })
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_cache::Unfinished;
    use patchbay_core::providers::builtin;
    use time::macros::datetime;

    fn resource(provider: &str, id: &str) -> ResourceDef {
        builtin()
            .into_iter()
            .find(|d| d.id == provider)
            .and_then(|d| d.resource(id).cloned())
            .unwrap()
    }

    const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

    fn marks(watermark: &str, last_full: &str) -> SyncMarks {
        SyncMarks {
            watermark: Some(watermark.into()),
            last_full: Some(last_full.into()),
            unfinished: None,
        }
    }

    #[test]
    fn the_first_sync_is_full_and_so_is_one_after_a_week() {
        let leads = resource("whatconverts", "leads");
        let p = plan(&leads, &SyncMarks::default(), Pass::Auto, NOW);
        assert_eq!((p.kind, p.plan), (PassKind::Full, SyncPlan::default()));
        let week_old = marks("2026-11-29T08:00:00Z", "2026-11-23T12:00:00Z");
        assert_eq!(
            plan(&leads, &week_old, Pass::Auto, NOW).kind,
            PassKind::Full
        );
        let fresh = marks("2026-11-29T08:00:00Z", "2026-11-28T12:00:00Z");
        assert_eq!(
            plan(&leads, &fresh, Pass::Auto, NOW).kind,
            PassKind::Incremental
        );
        assert_eq!(plan(&leads, &fresh, Pass::Full, NOW).kind, PassKind::Full);
        // No incremental definition: always full.
        let regs = resource("webinargeek", "registrations");
        assert_eq!(plan(&regs, &fresh, Pass::Auto, NOW).kind, PassKind::Full);
    }

    #[test]
    fn whatconverts_asks_for_a_trailing_week_of_creation_dates() {
        let leads = resource("whatconverts", "leads");
        let p = plan(
            &leads,
            &marks("2026-11-29T08:00:00Z", "2026-11-28T12:00:00Z"),
            Pass::Auto,
            NOW,
        );
        assert_eq!(
            p.plan.filter,
            [
                ("start_date".to_string(), "2026-11-22T08:00:00Z".to_string()),
                ("end_date".to_string(), "2026-11-30T12:00:00Z".to_string()),
            ]
        );
        // A watermark older than the 400 days the API accepts is clamped to them.
        let p = plan(
            &leads,
            &marks("2020-01-01T00:00:00Z", "2026-11-28T12:00:00Z"),
            Pass::Auto,
            NOW,
        );
        assert_eq!(p.plan.filter[0].1, "2025-10-26T13:00:00Z");
    }

    #[test]
    fn emailoctopus_asks_for_changes_since_the_watermark_minus_the_overlap() {
        let contacts = resource("emailoctopus", "contacts");
        let p = plan(
            &contacts,
            &marks("2026-11-29T08:00:00Z", "2026-11-28T12:00:00Z"),
            Pass::Auto,
            NOW,
        );
        assert_eq!(
            p.plan.filter,
            [(
                "last_updated_at.gte".to_string(),
                "2026-11-29T07:55:00Z".to_string()
            )]
        );
    }

    #[test]
    fn clickfunnels_starts_its_cursor_after_the_largest_id() {
        let contacts = resource("clickfunnels", "contacts");
        let p = plan(
            &contacts,
            &marks("1200", "2026-11-28T12:00:00Z"),
            Pass::Auto,
            NOW,
        );
        assert!(p.plan.filter.is_empty());
        assert_eq!(
            p.plan.resume.unwrap().position,
            PagePosition::Cursor {
                next: "1200".into()
            }
        );
        assert!(!p.resumed);
    }

    #[test]
    fn an_interrupted_sync_is_resumed_unless_a_full_pass_is_asked_for() {
        let leads = resource("whatconverts", "leads");
        let cursor = SyncCursor {
            filter: vec![("start_date".into(), "2026-10-01T00:00:00Z".into())],
            parent: None,
            split: None,
            position: PagePosition::Page { next: 7 },
        };
        let mut m = marks("2026-11-29T08:00:00Z", "2026-11-28T12:00:00Z");
        m.unfinished = Some(Unfinished {
            mode: SyncMode::Incremental,
            cursor: Some(serde_json::to_string(&cursor).unwrap()),
            watermark: Some("2026-11-30T09:00:00Z".into()),
        });
        let p = plan(&leads, &m, Pass::Auto, NOW);
        assert!(p.resumed);
        assert_eq!(p.kind, PassKind::Incremental);
        assert_eq!(p.plan.filter, cursor.filter, "the same list as before");
        assert_eq!(p.plan.resume, Some(cursor));
        assert_eq!(
            p.tracker.unwrap().current().map(Mark::text),
            Some("2026-11-30T09:00:00Z".into())
        );
        let p = plan(&leads, &m, Pass::Full, NOW);
        assert!(!p.resumed);
        assert_eq!(p.kind, PassKind::Full);
    }
}
