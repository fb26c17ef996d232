//! Loom model of idle coordination (src/scheduler/idle.rs) with the real worker loop
//! (src/scheduler/multi_thread.rs `Worker::run`): parking, searching, waking.
//!
//! The scheduler is the real multi-thread one with one or two workers, each on a loom thread.
//! The reactor is held by the model, so workers sleep on their futex parkers (loom's condvar).
//! A task spawned from a foreign thread goes to the injector and may unpark a sleeper
//! (idle.rs rule 1); a worker going to sleep re-checks the queues (rule 4). If both miss each
//! other the task never runs, the JoinHandle never completes, and loom reports the deadlock.
//!
//! | scenario                              | proves                                               |
//! |---------------------------------------|------------------------------------------------------|
//! | `spawn_vs_last_worker_parking`        | a spawn racing the only worker going to sleep is run  |
//! | `spawn_vs_two_workers_parking`        | the same with two workers (searching counts, rule 2/3); preemptions capped at 1 |
//! | `shutdown_wakes_sleeping_worker`      | `begin_shutdown` reaches a worker however far into parking it is; it exits and drains |
#![cfg(loom)]

use loom::thread;
use loom_tests::{model, poll_fn, Tally};
use std::task::Poll;
use tourbillon::loom_api::MultiThread;

/// Runs `workers` real worker loops, spawns one task from the model's thread, waits for its
/// output, then shuts down.
fn spawn_vs_parking(workers: usize) {
    let mut rt = MultiThread::new(workers);
    let ws = rt.take_workers();
    let runs = Tally::new();
    rt.with_driver_held(|| {
        let threads: Vec<_> = ws
            .into_iter()
            .map(|w| thread::spawn(move || w.run()))
            .collect();
        let r = runs.clone();
        let join = rt.spawn(poll_fn((), move |_| {
            r.add();
            Poll::Ready(7)
        }));
        // A lost wake-up leaves every thread blocked here or in `park`: loom's deadlock.
        assert_eq!(loom::future::block_on(join).unwrap(), 7);
        rt.begin_shutdown();
        for t in threads {
            t.join().unwrap();
        }
        rt.finish_shutdown();
    });
    assert_eq!(runs.get(), 1);
    assert_eq!(rt.alive(), 0);
}

#[test]
fn spawn_vs_last_worker_parking() {
    model(None, || spawn_vs_parking(1));
}

#[test]
fn spawn_vs_two_workers_parking() {
    model(Some(1), || spawn_vs_parking(2));
}

#[test]
fn shutdown_wakes_sleeping_worker() {
    model(None, || {
        let mut rt = MultiThread::new(1);
        let ws = rt.take_workers();
        rt.with_driver_held(|| {
            let threads: Vec<_> = ws
                .into_iter()
                .map(|w| thread::spawn(move || w.run()))
                .collect();
            rt.begin_shutdown();
            for t in threads {
                t.join().unwrap();
            }
            rt.finish_shutdown();
        });
    });
}
