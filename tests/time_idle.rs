//! A runtime waiting on timers sleeps until the earliest one: pending timers at every level of
//! the wheel must not make the driver spin (the park timeout is the next expiration).
//!
//! Its own test binary, because it reads the whole process's CPU time.

use std::time::{Duration, Instant};

use tourbillon::time::sleep;
use tourbillon::{Builder, Runtime};

/// User + system CPU time of this process, in clock ticks (usually 100 per second).
fn process_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Skip the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12th and 13th after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A spinning worker burns ~100 ticks a second; a sleeping runtime close to none.
const MAX_TICKS_PER_IDLE_SECOND: u64 = 40;

fn waits_without_spinning(rt: Runtime) {
    rt.block_on(async {
        // Pending timers in levels 1 to 4 and beyond the current level-0 span.
        for seconds in [3600, 600, 30, 5] {
            tourbillon::spawn(sleep(Duration::from_secs(seconds)));
        }
        for millis in [70, 300, 700] {
            tourbillon::spawn(sleep(Duration::from_millis(millis)));
        }
        let before = process_cpu_ticks();
        let started = Instant::now();
        sleep(Duration::from_secs(1)).await;
        let used = process_cpu_ticks() - before;
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert!(
            used < MAX_TICKS_PER_IDLE_SECOND,
            "waiting on timers used {used} ticks in 1 s"
        );
    });
}

#[test]
fn waiting_on_timers_sleeps_on_two_workers() {
    waits_without_spinning(
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
}

#[test]
fn waiting_on_timers_sleeps_on_current_thread() {
    waits_without_spinning(Builder::new_current_thread().build().unwrap());
}
