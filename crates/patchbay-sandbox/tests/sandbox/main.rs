//! The sandbox's integration tests in one binary (one build and link instead of one per file).

mod common;

mod api_keys_and_clients;
mod changing_data;
mod cli;
mod faults;
mod limits_and_time;
mod non_expiring;
mod oauth_flow;
mod paging_200k;
mod provider_apis;
mod rate_limits;
mod requests_log;
mod scale_churn;
