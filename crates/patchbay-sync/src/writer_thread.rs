//! The cache writer's own thread, below the window in the CPU's order: storing a page (its
//! search entries and people) is background work, and on a machine with two cores it would
//! otherwise take the time the window needs to draw the rows already stored (bench/README.md,
//! "Connect").

use tokio::sync::oneshot;

/// How far below normal the writer runs (`nice`; 0 is normal, 19 the lowest).
#[cfg(target_os = "linux")]
const NICENESS: libc::c_int = 5;

/// Runs `work` on a new thread below normal priority; answers its result, or an error if the
/// thread panicked. Its own thread: a thread cannot raise its priority back, so a pooled one
/// would stay lowered for whatever ran on it next.
pub(crate) fn spawn<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<oneshot::Receiver<T>> {
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("patchbay-writer".into())
        .spawn(move || {
            lower_priority();
            let _ = tx.send(work());
        })?;
    Ok(rx)
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a thread id names one thread to setpriority (POSIX would say the process).
    let tid = unsafe { libc::gettid() };
    // Safety: plain syscalls on this thread's own id.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS) } != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "the cache writer keeps normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_writer_runs_below_normal_priority_and_other_threads_keep_theirs() {
        let nice_here = || {
            let tid = unsafe { libc::gettid() };
            unsafe { libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t) }
        };
        let before = nice_here();
        let inside = super::spawn(nice_here)
            .unwrap()
            .blocking_recv()
            .expect("the writer answers");
        assert_eq!(inside, (before + super::NICENESS).min(19));
        assert_eq!(nice_here(), before, "the caller's thread is not lowered");
    }

    #[test]
    fn a_panicking_writer_answers_an_error() {
        let rx = super::spawn(|| -> u32 { panic!("the writer fails") }).unwrap();
        assert!(rx.blocking_recv().is_err());
    }
}
