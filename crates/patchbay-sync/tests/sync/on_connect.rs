//! A connect's own sync: started as the connect finishes, and joined by the window's Refresh of
//! the same list, so the list is fetched once, its progress reaching the world's sink.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use patchbay_core::ErrorCode;
use patchbay_sandbox::Sandbox;
use patchbay_schedule::PlanSettings;
use patchbay_sync::{Background, Pass, StatusSink, SyncStatus};

use crate::common::*;

/// Keeps every status the background announces.
#[derive(Default)]
struct Statuses(Mutex<Vec<SyncStatus>>);

impl StatusSink for Statuses {
    fn status(&self, status: SyncStatus) {
        self.0.lock().unwrap().push(status);
    }
}

fn leads_requests(sb: &Sandbox, since: usize) -> usize {
    sb.requests()[since..]
        .iter()
        .filter(|r| r.path.ends_with("/leads"))
        .count()
}

/// A sandbox of 600 leads (three pages of 250), a connected account, and its world's
/// background refresh reporting to `world_sink`.
async fn world(
    world_sink: Arc<Recorder>,
    statuses: Arc<Statuses>,
) -> (
    Sandbox,
    Arc<Background>,
    patchbay_sync::SyncTarget,
    tempfile::TempDir,
) {
    let Leads {
        sandbox: sb,
        core,
        cache,
        target,
        folder: dir,
        ..
    } = leads(600, 11, 250).await;
    let background = Arc::new(Background::start(
        &tokio::runtime::Handle::current(),
        Arc::new(core),
        cache,
        PlanSettings::default(),
        world_sink,
        statuses,
    ));
    (sb, background, target, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_right_after_a_connect_joins_its_sync_and_the_next_one_syncs_again() {
    let world_sink = Arc::new(Recorder::default());
    let (sb, background, target, _dir) = world(world_sink.clone(), Arc::default()).await;
    let before = sb.requests().len();

    background.sync_connected(target.clone(), world_sink.clone());
    let window = Recorder::default();
    let report = background
        .sync_now(&target, Pass::Auto, &window)
        .await
        .expect("the connect's sync succeeds");

    assert_eq!(report.total, 600);
    assert_eq!(report.added, 600);
    assert_eq!(leads_requests(&sb, before), 3, "three pages, fetched once");
    // The progress went to the world's sink, which the window listens to, and nowhere twice.
    let reported: Vec<(u32, bool)> = world_sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.fetched, p.done))
        .collect();
    assert_eq!(reported.last(), Some(&(600, true)), "{reported:?}");
    assert!(window.0.lock().unwrap().is_empty());

    // The join is taken once: the next Refresh asks the provider again.
    let again = sb.requests().len();
    let report = background
        .sync_now(&target, Pass::Auto, &window)
        .await
        .expect("a Refresh syncs");
    assert_eq!((report.total, report.added), (600, 0));
    assert!(
        leads_requests(&sb, again) >= 1,
        "the Refresh asked the provider"
    );
    assert!(!window.0.lock().unwrap().is_empty(), "its own progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_joins_a_failed_connect_sync_gets_its_error() {
    let world_sink = Arc::new(Recorder::default());
    let (_sb, background, target, _dir) = world(world_sink.clone(), Arc::default()).await;
    let missing = patchbay_sync::SyncTarget {
        resource: "no-such-list".into(),
        ..target
    };
    background.sync_connected(missing.clone(), world_sink);
    let error = background
        .sync_now(&missing, Pass::Auto, &Recorder::default())
        .await
        .expect_err("the connect's sync failed");
    assert_eq!(error.code(), ErrorCode::ResourceUnknown);
    assert_eq!(error.to_user().code, ErrorCode::ResourceUnknown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_does_not_take_a_connects_running_sync_for_an_interrupted_one() {
    let world_sink = Arc::new(Recorder::default());
    let statuses = Arc::new(Statuses::default());
    let (_sb, background, target, _dir) = world(world_sink.clone(), statuses.clone()).await;
    background.sync_connected(target.clone(), world_sink.clone());
    // Its first page stored, the sync still running: the connection change reaches the
    // schedule now, with the list's marks unfinished.
    wait_for("the first page stored", Duration::from_secs(30), || {
        world_sink.0.lock().unwrap().first().map(|_| ())
    })
    .await;
    background.lists_changed().await;
    let report = background
        .sync_now(&target, Pass::Auto, &Recorder::default())
        .await
        .expect("the connect's sync succeeds");
    assert_eq!(report.total, 600);
    // An interrupted list would be due at once: a background run started beside the connect's
    // (announced as running) and refused.
    let started: Vec<SyncStatus> = statuses
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.running)
        .cloned()
        .collect();
    assert!(started.is_empty(), "{started:?}");
    let next = background.statuses(&target.provider, &target.account)[0]
        .next_run
        .clone()
        .expect("background refresh is on");
    let next =
        time::OffsetDateTime::parse(&next, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(
        next > time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
        "next run {next}: one interval (15 minutes) away"
    );
}
