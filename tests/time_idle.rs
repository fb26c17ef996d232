//! A runtime waiting on timers sleeps until the earliest one: pending timers at every level of
//! the wheel must not make the driver spin (the park timeout is the next expiration).
//!
//! Its own test binary, because it reads the whole process's CPU time.

use tourbillon_support::testing as support;

use std::time::{Duration, Instant};

use support::{process_cpu_ticks, MAX_TICKS_PER_IDLE_SECOND};
use tourbillon::time::sleep;
use tourbillon::{Builder, Runtime};

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
