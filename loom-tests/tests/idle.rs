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
//! | `blocked_worker_does_not_strand_a_task` | while one worker is stuck in a task, a queued task is run by the other: a worker that parks without having searched still re-checks (rule 4) |
#![cfg(loom)]

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use loom_tests::{model, poll_fn, Tally};
use std::task::Poll;
use tourbillon::loom_api::MultiThread;

/// Starts `workers` real worker loops on loom threads, runs `body` on the model's thread, then
/// shuts down: the workers must all return (a worker that never wakes is loom's deadlock).
/// Returns the runtime for checks after shutdown.
fn with_running_workers(workers: usize, body: impl FnOnce(&MultiThread)) -> MultiThread {
    let mut rt = MultiThread::new(workers);
    let ws = rt.take_workers();
    rt.with_driver_held(|| {
        let threads: Vec<_> = ws
            .into_iter()
            .map(|w| thread::spawn(move || w.run()))
            .collect();
        body(&rt);
        rt.begin_shutdown();
        for t in threads {
            t.join().unwrap();
        }
        rt.finish_shutdown();
    });
    rt
}

/// Spawns one task from the model's thread while `workers` workers start and park, and waits
/// for its output.
fn spawn_vs_parking(workers: usize) {
    let runs = Tally::new();
    let rt = with_running_workers(workers, |rt| {
        let r = runs.clone();
        let join = rt.spawn(poll_fn((), move |_| {
            r.add();
            Poll::Ready(7)
        }));
        // A lost wake-up leaves every thread blocked here or in `park`: loom's deadlock.
        assert_eq!(loom::future::block_on(join).unwrap(), 7);
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
        with_running_workers(1, |_| {});
    });
}

/// Two tasks from a foreign thread; the first blocks its worker until the second has run, so
/// the second must be run by the other worker. The window this closes: a worker still counted
/// as unparked (starting up, or just out of a task) that fails to become a searcher (rule 2)
/// and parks. A producer saw it unparked and woke nobody; if it parked without re-checking the
/// queues, the second task would wait behind the blocked one forever (loom: deadlock).
#[test]
fn blocked_worker_does_not_strand_a_task() {
    model(Some(1), || {
        let rt = with_running_workers(2, |rt| {
            let ran = Arc::new((Mutex::new(false), Condvar::new()));
            let seen = ran.clone();
            let blocker = rt.spawn(poll_fn((), move |_| {
                let (flag, signal) = &*seen;
                let mut ran = flag.lock().unwrap();
                while !*ran {
                    ran = signal.wait(ran).unwrap();
                }
                Poll::Ready(())
            }));
            let releaser = rt.spawn(poll_fn((), move |_| {
                let (flag, signal) = &*ran;
                *flag.lock().unwrap() = true;
                signal.notify_one();
                Poll::Ready(())
            }));
            loom::future::block_on(releaser).unwrap();
            loom::future::block_on(blocker).unwrap();
        });
        assert_eq!(rt.alive(), 0);
    });
}
