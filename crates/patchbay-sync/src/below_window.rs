//! Work that must not take the CPU the window needs to draw: on a thread of its own, below
//! normal priority. A sync's first rows are stored and reported ahead of the rest of their page;
//! storing that rest (its search entries and people, 15 to 25 ms) at normal priority competed,
//! on two cores, with the frame that draws those first rows (bench/README.md, "Connect").
//! Only that rest goes there: the whole writer below normal made a sync of 100,000 records 17
//! to 20% slower.

/// How far below normal the work runs (`nice`; 0 is normal, 19 the lowest).
#[cfg(target_os = "linux")]
const NICENESS: libc::c_int = 5;

/// Runs `work` on a new thread below normal priority and waits for it. A thread of its own:
/// an unprivileged thread cannot raise its priority back, so the caller's stays as it was.
/// A panic in `work` goes on in the caller; when no thread can start, `work` runs here.
pub(crate) fn run<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let work = std::sync::Mutex::new(Some(work));
    let take = || work.lock().unwrap_or_else(|e| e.into_inner()).take();
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name("patchbay-writer-rest".into())
            .spawn_scoped(s, || {
                lower_priority();
                take().map(|work| work())
            });
        let done = match thread {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        };
        match done {
            Some(answer) => answer,
            // The thread did not start (or ran nothing): the work runs at normal priority.
            None => take().map(|work| work()).expect("the work runs once"),
        }
    })
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a thread id names one thread to setpriority (POSIX would say the process).
    // Safety: plain syscalls on this thread's own id.
    let tid = unsafe { libc::gettid() };
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS) } != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "the writer's rest keeps normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    fn nice_here() -> libc::c_int {
        // Safety: plain syscalls on this thread's own id.
        let tid = unsafe { libc::gettid() };
        unsafe { libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t) }
    }

    #[test]
    fn the_work_runs_below_normal_priority_and_the_caller_keeps_its_own() {
        let before = nice_here();
        let inside = super::run(nice_here);
        assert_eq!(inside, (before + super::NICENESS).min(19));
        assert_eq!(nice_here(), before, "the caller's thread is not lowered");
    }

    #[test]
    fn borrowed_state_is_changed_in_place_and_a_panic_goes_on_in_the_caller() {
        let mut rows = vec![1, 2];
        super::run(|| rows.push(3));
        assert_eq!(rows, [1, 2, 3]);
        let caught =
            std::panic::catch_unwind(|| super::run(|| -> u32 { panic!("the work fails") }));
        assert!(caught.is_err());
    }
}
