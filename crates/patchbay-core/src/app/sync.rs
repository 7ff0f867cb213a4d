//! The sync of one list: the parent/child and split fan-out, resuming from a cursor,
//! progress as pages arrive.

use url::Url;

use super::sync_types::{SyncCursor, SyncOutcome, SyncPage, SyncPlan};
use super::CoreState;
use crate::error::ApiError;
use crate::paging::{stream_from, PageEvent, PagePosition, Record};
use crate::session::{value_text, Connection};
use crate::views::SyncProgress;
use crate::world::AccountId;

/// Fetches every record of a (parent) resource; answers them and the requests sent.
async fn fetch_counted(
    conn: &Connection,
    url: &Url,
    resource: &crate::providers::ResourceDef,
) -> Result<(Vec<Record>, u64), ApiError> {
    let records = parking_lot::Mutex::new(Vec::new());
    let streamed = stream_from(conn, url, resource, None, &|e: PageEvent<'_>| {
        records.lock().extend(e.records)
    })
    .await?;
    let records = records.into_inner();
    Ok((
        crate::paging::dedupe(records, &resource.id_pointer),
        streamed.requests,
    ))
}

impl CoreState {
    /// Fetches every record of a resource, reporting progress as pages arrive. A child
    /// resource (registrations of webinars) is fetched for each parent record. The records
    /// come back in the provider's order, each once.
    pub async fn sync(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        progress: impl Fn(SyncProgress) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        self.sync_pages(provider_id, account, resource_id, |p, _| progress(p))
            .await
    }

    /// Like [`Patchbay::sync`], also handing over each page's records as they arrive (so the
    /// window can fill the table while the sync runs; pages fetched concurrently may arrive
    /// out of order).
    pub async fn sync_pages(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        self.sync_from_start(provider_id, account, resource_id, on_page, true)
            .await
            .map(|(_, records)| records)
    }

    /// Like [`Patchbay::sync_pages`], keeping no record: each page is only handed over, so a
    /// caller that stores pages as they come (the cache) never holds the whole resource in
    /// memory. Answers how many records arrived.
    pub async fn sync_stream(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<usize, ApiError> {
        self.sync_from_start(provider_id, account, resource_id, on_page, false)
            .await
            .map(|(outcome, _)| outcome.records)
    }

    /// Like [`Patchbay::sync_stream`], reading what `plan` asks (its filter, from its resume
    /// cursor) and handing over with each page the [`SyncCursor`] to resume from once that
    /// page is stored. The sync engine (`patchbay-sync`) drives this.
    pub async fn sync_resumable(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        plan: SyncPlan,
        on_page: impl Fn(SyncPage) + Send + Sync,
    ) -> Result<SyncOutcome, ApiError> {
        self.sync_with(provider_id, account, resource_id, plan, &on_page, false)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// A whole list from its start, each page's progress and records handed over.
    async fn sync_from_start(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
        keep: bool,
    ) -> Result<(SyncOutcome, Vec<Record>), ApiError> {
        let on_page = |p: SyncPage| on_page(p.progress, &p.records);
        let plan = SyncPlan::default();
        self.sync_with(provider_id, account, resource_id, plan, &on_page, keep)
            .await
    }

    async fn sync_with(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        plan: SyncPlan,
        on_page: &(dyn Fn(SyncPage) + Send + Sync),
        keep: bool,
    ) -> Result<(SyncOutcome, Vec<Record>), ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        let def = conn.def().clone();
        let resource = def
            .resource(resource_id)
            .ok_or_else(|| ApiError::UnknownResource(resource_id.into()))?;
        let tokens = conn.current().await?.ok_or(ApiError::NotConnected)?;
        let progress = |fetched: usize, total: Option<usize>, done: bool| SyncProgress {
            provider_id: provider_id.to_string(),
            account_id: account.to_string(),
            resource_id: resource_id.to_string(),
            // Counts past u32 (only under a definition's raised limits) show as its maximum.
            fetched: u32::try_from(fetched).unwrap_or(u32::MAX),
            total: total.map(|t| u32::try_from(t).unwrap_or(u32::MAX)),
            done,
        };
        let mut requests = 0u64;
        let vars = tokens.vars.clone();
        // The lists to read one after another: each parent record's children, each split value.
        let parents: Vec<Option<String>> = match &resource.parent {
            None => vec![None],
            Some(parent) => {
                let parent_res = def
                    .resource(&parent.resource)
                    .ok_or_else(|| ApiError::UnknownResource(parent.resource.clone()))?;
                let (records, streamed) =
                    fetch_counted(&conn, &conn.api_url(&parent_res.path, &vars)?, parent_res)
                        .await?;
                requests += streamed;
                records
                    .iter()
                    .filter_map(|rec| rec.pointer(&parent.pointer).map(value_text))
                    .map(Some)
                    .collect()
            }
        };
        let splits: Vec<Option<&String>> = match &resource.split {
            None => vec![None],
            Some(split) => split.values.iter().map(Some).collect(),
        };
        let units: Vec<(Option<String>, Option<&String>)> = parents
            .iter()
            .flat_map(|p| splits.iter().map(move |s| (p.clone(), *s)))
            .collect();
        let Start {
            filter,
            skip,
            resume_at,
        } = start_of(plan, &units).unwrap_or_else(|filter| {
            // The parent it stopped in is gone (a deleted list): read it all again, which
            // stores nothing twice and loses nothing.
            tracing::warn!(provider = %provider_id, resource = %resource_id,
                "the list a sync stopped in is gone; starting it again");
            Start {
                filter,
                skip: 0,
                resume_at: None,
            }
        });
        let resumed = resume_at.is_some();
        let known_total = units.len() == 1;
        let mut count = 0usize;
        let mut out = Vec::new();
        let mut parent_records = Vec::new();
        for (i, (parent, split)) in units.iter().enumerate().skip(skip) {
            let mut vars = vars.clone();
            if let (Some(p), Some(id)) = (&resource.parent, parent) {
                vars.insert(p.var.clone(), id.clone());
            }
            let mut url = conn.api_url(&resource.path, &vars)?;
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in &filter {
                    q.append_pair(k, v);
                }
                if let (Some(sd), Some(v)) = (&resource.split, split) {
                    q.append_pair(&sd.param, v);
                }
            }
            let start = if i == skip { resume_at.as_ref() } else { None };
            let before = count;
            let page = |e: PageEvent<'_>| {
                on_page(SyncPage {
                    progress: progress(before + e.fetched, e.total.filter(|_| known_total), false),
                    records: e.records,
                    cursor: SyncCursor {
                        filter: filter.clone(),
                        parent: parent.clone(),
                        split: split.cloned(),
                        position: e.position.clone(),
                    },
                })
            };
            let (kept, streamed) = if keep {
                crate::paging::fetch_from(&conn, &url, resource, start, &page).await?
            } else {
                (
                    Vec::new(),
                    stream_from(&conn, &url, resource, start, &page).await?,
                )
            };
            requests += streamed.requests;
            count += streamed.records;
            // A record on a page that shifted while it was read arrives twice; a record in two
            // split values (its status changed mid-read) too. Children of different parents
            // are different records, whatever their ids.
            let last_of_parent = units.get(i + 1).is_none_or(|(next, _)| next != parent);
            parent_records.extend(kept);
            if last_of_parent {
                let records = std::mem::take(&mut parent_records);
                out.extend(crate::paging::dedupe(records, &resource.id_pointer));
            }
        }
        let records = out;
        let count = if keep { records.len() } else { count };
        on_page(SyncPage {
            progress: progress(count, Some(count), true),
            records: Vec::new(),
            cursor: SyncCursor {
                filter,
                parent: units.last().and_then(|u| u.0.clone()),
                split: units.last().and_then(|u| u.1.cloned()),
                position: PagePosition::End,
            },
        });
        self.last_synced.lock().insert(
            (provider_id.to_string(), account.clone()),
            crate::dates::now_rfc3339(),
        );
        Ok((
            SyncOutcome {
                records: count,
                requests,
                resumed,
            },
            records,
        ))
    }
}

/// Where a sync starts: its filter, how many lists (parent and split value) it skips, and
/// where in the first one it reads.
struct Start {
    filter: Vec<(String, String)>,
    skip: usize,
    resume_at: Option<PagePosition>,
}

/// The start of `plan` among `units` (each parent's lists, each split value); `Err` with the
/// cursor's filter when the list its cursor names is no longer among them.
fn start_of(
    plan: SyncPlan,
    units: &[(Option<String>, Option<&String>)],
) -> Result<Start, Vec<(String, String)>> {
    let Some(cursor) = plan.resume else {
        return Ok(Start {
            filter: plan.filter,
            skip: 0,
            resume_at: None,
        });
    };
    match units
        .iter()
        .position(|(p, s)| *p == cursor.parent && s.map(String::as_str) == cursor.split.as_deref())
    {
        Some(i) => Ok(Start {
            filter: cursor.filter,
            skip: i,
            resume_at: Some(cursor.position),
        }),
        None => Err(cursor.filter),
    }
}
