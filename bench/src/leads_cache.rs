//! The ground of the in-cache figures (`filter`, `search`): a cache file holding RECORDS
//! WhatConverts leads of the sandbox's population, stored as a full sync stores them (the
//! definition's columns, pages of 1,000), and the percentile both report.

use patchbay_cache::{Cache, SyncMode};
use patchbay_core::providers::builtin;
use patchbay_sandbox::population::five_providers;
use serde_json::Value;
use tempfile::TempDir;

use crate::Error;

const PAGE: usize = 1000;

/// The cache and the folder it lives in (removed when dropped).
pub struct CachedLeads {
    pub cache: Cache,
    /// How many leads it holds.
    pub records: usize,
    _dir: TempDir,
}

/// `records` leads of the population drawn with `seed`, in a new cache file named `file`.
pub fn cached_leads(seed: u64, records: u64, file: &str) -> Result<CachedLeads, Error> {
    let defs = builtin();
    let leads = defs
        .iter()
        .find(|d| d.id == "whatconverts")
        .and_then(|d| d.resources.iter().find(|r| r.id == "leads"))
        .ok_or("whatconverts/leads is not defined")?;
    let columns = patchbay_sync::columns(leads);
    let rows: Vec<(String, Value)> = five_providers(seed, records)
        .into_iter()
        .filter(|r| r.truth.provider == "whatconverts")
        .map(|r| (r.truth.record_id, r.record))
        .collect();
    let dir = tempfile::tempdir()?;
    let cache = Cache::open(&dir.path().join(file))?;
    let mut w = cache.begin_sync("whatconverts", "bench", "leads", &columns, SyncMode::Full)?;
    for page in rows.chunks(PAGE) {
        w.write_page(page, Some("next"))?;
    }
    w.finish()?;
    Ok(CachedLeads {
        cache,
        records: rows.len(),
        _dir: dir,
    })
}

/// The `p` quantile (0 to 1) of sorted samples, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
