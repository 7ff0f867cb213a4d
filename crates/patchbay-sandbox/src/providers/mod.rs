//! The five imitated providers: their names, scopes, rate limits and API routes.

pub mod boomtown;
pub mod clickfunnels;
pub mod emailoctopus;
pub mod webinargeek;
pub mod whatconverts;

use axum::Router;

use crate::server::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    WhatConverts,
    ClickFunnels,
    WebinarGeek,
    BoomTown,
    EmailOctopus,
}

/// A token bucket's shape: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub burst: u32,
    pub per_second: u32,
}

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::WhatConverts,
        Provider::ClickFunnels,
        Provider::WebinarGeek,
        Provider::BoomTown,
        Provider::EmailOctopus,
    ];

    /// The path segment: `{url}/{slug}` is the issuer.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::WhatConverts => "whatconverts",
            Provider::ClickFunnels => "clickfunnels",
            Provider::WebinarGeek => "webinargeek",
            Provider::BoomTown => "boomtown",
            Provider::EmailOctopus => "emailoctopus",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::WhatConverts => "WhatConverts",
            Provider::ClickFunnels => "ClickFunnels",
            Provider::WebinarGeek => "WebinarGeek",
            Provider::BoomTown => "BoomTown",
            Provider::EmailOctopus => "EmailOctopus",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The scopes a client may ask for; asking for none means all of them.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Provider::WhatConverts => &["leads:read"],
            Provider::ClickFunnels => &["funnels:read", "contacts:read", "orders:read"],
            Provider::WebinarGeek => &["webinars:read"],
            Provider::BoomTown => &["leads:read"],
            Provider::EmailOctopus => &["lists:read", "campaigns:read"],
        }
    }

    /// Limits in the spirit of each real API (documented in README.md).
    pub fn rate_limit(self) -> RateLimit {
        match self {
            Provider::WhatConverts | Provider::ClickFunnels | Provider::BoomTown => RateLimit {
                burst: 20,
                per_second: 10,
            },
            Provider::WebinarGeek => RateLimit {
                burst: 10,
                per_second: 5,
            },
            // EmailOctopus' token bucket: about 100 at once, refilled about 10 a second.
            Provider::EmailOctopus => RateLimit {
                burst: 100,
                per_second: 10,
            },
        }
    }

    /// A small number that keeps each provider's generated data apart.
    pub fn tag(self) -> u64 {
        self as u64 + 1
    }

    /// The provider's API routes (paths already prefixed with `/{slug}`).
    pub fn api_routes(self) -> Router<AppState> {
        match self {
            Provider::WhatConverts => whatconverts::routes(),
            Provider::ClickFunnels => clickfunnels::routes(),
            Provider::WebinarGeek => webinargeek::routes(),
            Provider::BoomTown => boomtown::routes(),
            Provider::EmailOctopus => emailoctopus::routes(),
        }
    }
}
