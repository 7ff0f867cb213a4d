//! CPU time, for the parse floor (issue 17): this thread's, this process's and another
//! process's (the sandbox's, by pid). Seconds of CPU, not of the wall clock, so a ratio between
//! the client and the floor holds whatever else the machine is doing.

use std::time::Duration;

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_time() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of this whole process, every thread, user and system (`CLOCK_PROCESS_CPUTIME_ID`).
pub fn process_time() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; both clock ids exist on every Linux.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// User + system CPU time of process `pid` from `/proc/PID/stat`, or `None` when it cannot be
/// read (no such process, not Linux). Resolution: one clock tick (usually 10 ms).
pub fn of_process(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    ticks_in_stat(&stat).map(|ticks| {
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Duration::from_secs_f64(ticks as f64 / per_second)
    })
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field 2) is
/// in parentheses and may hold spaces, so fields are counted after its closing parenthesis.
fn ticks_in_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the first field is field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 35 0 0 20 0 1 0 5 0 0";
        assert_eq!(ticks_in_stat(stat), Some(285));
        assert_eq!(ticks_in_stat("42 (x) S 1"), None);
    }

    #[test]
    fn this_process_and_this_thread_spend_cpu_when_working() {
        let (t0, p0) = (thread_time(), process_time());
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(thread_time() > t0 && process_time() > p0, "{x}");
        assert!(of_process(std::process::id()).is_some());
    }
}
