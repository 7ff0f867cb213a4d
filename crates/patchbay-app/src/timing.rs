//! Wall-clock marks along the connect path (deep link arrived, token, first page fetched, first
//! page stored), logged under the `patchbay::timing` target. `bench/` reads them from the log
//! to measure connect latency in the real app; the window adds its own User Timing marks for
//! what is painted. They carry no data beyond the step and provider.

use std::time::{SystemTime, UNIX_EPOCH};

/// The log target of the marks (`RUST_LOG=patchbay::timing=info` keeps only them).
pub const TARGET: &str = "patchbay::timing";

/// Milliseconds since the Unix epoch, the clock the webview's `performance.timeOrigin` uses.
pub fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

pub fn mark(step: &'static str, provider: &str) {
    tracing::info!(target: TARGET, step, provider, epoch_ms = format_args!("{:.1}", epoch_ms()), "timing");
}
