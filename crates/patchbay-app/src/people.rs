//! People over the world shown: the People table, a person's page and merge suggestions,
//! attribution, the funnel, the table as CSV, and the user's merges and splits. The cache
//! resolves people as pages are stored (`patchbay_cache::people`); this reads and decides
//! through it, off the async threads.

/// The People types the window sees, as the cache defines them.
pub use patchbay_cache::{
    AttributionBy, AttributionRow, DateRange, DecisionId, Funnel, FunnelStep, FunnelStepKind,
    MergeSuggestion, PeoplePage, PeopleQuery, PeopleSort, PeopleSortKey, PersonDetail, PersonRow,
    RecordRef, RecordRole, TimelineEntry,
};

use crate::error::{ErrorCode, Result, UserError};
use crate::records::{blocking, cache, cache_error, check_search, export_file};
use crate::state::AppState;
use crate::views::{saturate as n, ExportResult, PeopleDecision, PersonId};

/// Rows a single `people` call may ask for: the window pages through the rest.
const MAX_PAGE: u64 = 1000;
fn check(q: &PeopleQuery) -> Result<PeopleQuery> {
    check_search(&q.search)?;
    let mut q = q.clone();
    q.limit = q.limit.min(MAX_PAGE);
    Ok(q)
}

/// A page of the People table: searched, filtered, sorted. Nothing synced yet is an empty
/// table.
pub async fn people(state: &AppState, q: PeopleQuery) -> Result<PeoplePage> {
    let cache = cache(&state.active())?;
    let q = check(&q)?;
    blocking(move || {
        let started = std::time::Instant::now();
        let page = cache.people(&q).map_err(cache_error)?;
        tracing::debug!(
            target: crate::timing::TARGET,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            matched = page.matched,
            "people page read"
        );
        Ok(page)
    })
    .await
}

/// One person: who they are and every record of theirs, newest first.
pub async fn person(state: &AppState, PersonId(id): PersonId) -> Result<PersonDetail> {
    let cache = cache(&state.active())?;
    blocking(move || cache.person(id).map_err(cache_error)).await
}

/// People who may be the same as this one (same name, no shared email or phone).
pub async fn merge_suggestions(
    state: &AppState,
    PersonId(id): PersonId,
) -> Result<Vec<MergeSuggestion>> {
    let cache = cache(&state.active())?;
    blocking(move || cache.merge_suggestions(id).map_err(cache_error)).await
}

/// People first seen in the range, by their first-touch source, medium or campaign.
pub async fn attribution(
    state: &AppState,
    range: DateRange,
    by: AttributionBy,
) -> Result<Vec<AttributionRow>> {
    let cache = cache(&state.active())?;
    blocking(move || cache.attribution(&range, by).map_err(cache_error)).await
}

/// Leads → registrations → attended → orders, with revenue, for the range.
pub async fn funnel(state: &AppState, range: DateRange) -> Result<Funnel> {
    let cache = cache(&state.active())?;
    blocking(move || cache.funnel(&range).map_err(cache_error)).await
}

/// Writes every person the table's search and filters match as CSV to a new file in `dir`
/// (the user's Downloads folder; `None` when the system has none).
pub async fn export_csv(
    state: &AppState,
    dir: Option<std::path::PathBuf>,
    q: PeopleQuery,
) -> Result<ExportResult> {
    let cache = cache(&state.active())?;
    let dir = dir.ok_or_else(|| UserError::of(ErrorCode::ExportNoFolder))?;
    let q = check(&q)?;
    blocking(move || {
        let (path, mut out) = export_file(&dir, "people", "csv")?;
        let rows = cache.people_csv(&q, &mut out).map_err(cache_error)?;
        std::io::Write::flush(&mut out).map_err(|e| crate::error::export_write(&e, &path))?;
        Ok(ExportResult {
            path: path.display().to_string(),
            rows: n(rows),
        })
    })
    .await
}

/// The user says two people are one.
pub async fn merge(
    state: &AppState,
    PersonId(a): PersonId,
    PersonId(b): PersonId,
) -> Result<PeopleDecision> {
    if a == b {
        return Err(UserError::of(ErrorCode::PeopleSamePerson));
    }
    let cache = cache(&state.active())?;
    blocking(move || {
        let (decision, person) = cache.confirm_merge(a, b).map_err(cache_error)?;
        Ok(PeopleDecision { decision, person })
    })
    .await
}

/// The user says these records of a person are someone else's.
pub async fn split(
    state: &AppState,
    PersonId(person): PersonId,
    records: Vec<RecordRef>,
) -> Result<PeopleDecision> {
    if records.is_empty() {
        return Err(UserError::of(ErrorCode::PeopleNothingToSplit));
    }
    let cache = cache(&state.active())?;
    blocking(move || {
        let (decision, person) = cache.split_person(person, &records).map_err(cache_error)?;
        Ok(PeopleDecision { decision, person })
    })
    .await
}

/// Takes a merge or split back.
pub async fn undo(state: &AppState, decision: DecisionId) -> Result<()> {
    let cache = cache(&state.active())?;
    blocking(move || cache.undo_decision(decision).map_err(cache_error)).await
}
