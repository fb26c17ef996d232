//! Runtime metrics: one scenario per counter family, each built so that the workload dictates
//! the count (a worker that cannot run its own queue must be stolen from; a reader that always
//! finds data must be stopped by its budget), on every flavor, under a watchdog.

use tourbillon_support::testing as support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures_util::AsyncReadExt;
use support::{connected_pair, every_flavor, watchdog};
use tourbillon::{Builder, Runtime, RuntimeMetrics};

/// Runs `scenario` on every flavor, each under a watchdog naming the scenario and the flavor.
fn on_every_flavor(name: &str, scenario: fn(&Runtime)) {
    for (flavor, rt) in every_flavor() {
        watchdog(&format!("{name} on {flavor}"), move || scenario(&rt));
    }
}

fn sum(metrics: &RuntimeMetrics, per_worker: impl Fn(&RuntimeMetrics, usize) -> u64) -> u64 {
    (0..metrics.num_workers())
        .map(|i| per_worker(metrics, i))
        .sum()
}

fn is_current_thread(rt: &Runtime) -> bool {
    format!("{:?}", rt.handle()).contains("current_thread")
}

/// Waits until every worker of a multi-thread runtime is asleep: it parked once more than it
/// unparked. (The current-thread runtime parks only inside `block_on`.)
fn all_workers_asleep(rt: &Runtime) {
    let metrics = rt.metrics();
    if !is_current_thread(rt) {
        eventually(|| {
            (0..metrics.num_workers())
                .all(|i| metrics.worker_park_count(i) == metrics.worker_unpark_count(i) + 1)
        });
    }
}

/// Waits (the watchdog bounds it) until `condition` holds.
fn eventually(mut condition: impl FnMut() -> bool) {
    while !condition() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

const TASKS: u64 = 100;

#[test]
fn every_poll_is_counted() {
    on_every_flavor("every poll counted", |rt| {
        let metrics = rt.metrics();
        let before = sum(&metrics, RuntimeMetrics::worker_poll_count);
        rt.block_on(async {
            let tasks: Vec<_> = (0..TASKS).map(|_| tourbillon::spawn(async {})).collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        let polls = sum(&metrics, RuntimeMetrics::worker_poll_count) - before;
        assert!(polls >= TASKS, "{polls} polls for {TASKS} tasks");
    });
}

#[test]
fn spawns_from_a_foreign_thread_are_remote_schedules() {
    on_every_flavor("remote spawns counted", |rt| {
        let metrics = rt.metrics();
        let before = metrics.remote_schedule_count();
        let handle = rt.handle().clone();
        let tasks = std::thread::spawn(move || {
            (0..TASKS)
                .map(|_| handle.spawn(async {}))
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        let remote = metrics.remote_schedule_count() - before;
        assert!(remote >= TASKS, "{remote} remote schedules for {TASKS}");
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
    });
}

#[test]
fn spawns_from_a_task_are_local_schedules() {
    on_every_flavor("local spawns counted", |rt| {
        let metrics = rt.metrics();
        let before = sum(&metrics, RuntimeMetrics::worker_local_schedule_count);
        rt.block_on(async {
            tourbillon::spawn(async {
                let tasks: Vec<_> = (0..TASKS).map(|_| tourbillon::spawn(async {})).collect();
                for task in tasks {
                    task.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        let local = sum(&metrics, RuntimeMetrics::worker_local_schedule_count) - before;
        assert!(local >= TASKS, "{local} local schedules for {TASKS} spawns");
    });
}

#[test]
fn idle_workers_park() {
    on_every_flavor("idle workers park", |rt| {
        let metrics = rt.metrics();
        let before = sum(&metrics, RuntimeMetrics::worker_park_count);
        rt.block_on(async {
            let tasks: Vec<_> = (0..TASKS).map(|_| tourbillon::spawn(async {})).collect();
            for task in tasks {
                task.await.unwrap();
            }
            // Nothing to run for a while: the current-thread runtime parks in the reactor.
            tourbillon::time::sleep(Duration::from_millis(5)).await;
        });
        all_workers_asleep(rt);
        let parks = sum(&metrics, RuntimeMetrics::worker_park_count);
        assert!(parks > before, "park count stayed at {before}");
        let busy: Duration = (0..metrics.num_workers())
            .map(|i| metrics.worker_total_busy_duration(i))
            .sum();
        assert!(
            busy > Duration::ZERO,
            "workers that polled tasks were never busy"
        );
    });
}

#[test]
fn a_blocked_worker_is_stolen_from() {
    // Two workers: a task spawns TASKS tasks into its worker's queue and then blocks that
    // worker until they have all run, so only the other worker can run them, by stealing.
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    watchdog("a blocked worker is stolen from", move || {
        let done = Arc::new(AtomicUsize::new(0));
        let spawner = {
            let done = done.clone();
            rt.spawn(async move {
                for _ in 0..TASKS {
                    let done = done.clone();
                    tourbillon::spawn(async move { done.fetch_add(1, SeqCst) });
                }
                while done.load(SeqCst) < TASKS as usize {
                    std::hint::spin_loop();
                }
            })
        };
        rt.block_on(spawner).unwrap();
        let m = rt.metrics();
        assert_eq!(sum(&m, RuntimeMetrics::worker_steal_count), TASKS);
        assert!(sum(&m, RuntimeMetrics::worker_steal_operations) >= 1);
        assert!(sum(&m, RuntimeMetrics::worker_local_schedule_count) >= TASKS);
    });
}

#[test]
fn the_current_thread_runtime_never_steals() {
    watchdog("current-thread steals nothing", || {
        let rt = support::current_thread();
        rt.block_on(async {
            for _ in 0..TASKS {
                tourbillon::spawn(async {}).await.unwrap();
            }
        });
        let m = rt.metrics();
        assert_eq!(m.num_workers(), 1);
        assert_eq!(m.worker_steal_count(0), 0);
        assert_eq!(m.worker_steal_operations(0), 0);
        assert_eq!(m.worker_overflow_count(0), 0);
        assert_eq!(m.worker_lifo_hit_count(0), 0);
    });
}

#[test]
fn a_full_ring_overflows() {
    // One worker, a task spawning more tasks than the 256-slot ring holds without yielding.
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    watchdog("a full ring overflows", move || {
        rt.block_on(async {
            tourbillon::spawn(async {
                let tasks: Vec<_> = (0..600).map(|_| tourbillon::spawn(async {})).collect();
                for task in tasks {
                    task.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        let m = rt.metrics();
        assert!(m.worker_overflow_count(0) >= 1);
        // The overflow went to the injector, and the worker took it back in batches.
        assert!(m.worker_injector_batch_count(0) >= 1);
    });
}

#[test]
fn a_woken_task_runs_from_the_lifo_slot() {
    // One worker: a task wakes another through a channel, and the woken task runs next, from
    // the LIFO slot.
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    watchdog("lifo hits counted", move || {
        rt.block_on(async {
            tourbillon::spawn(async {
                for _ in 0..TASKS {
                    let (tx, rx) = futures_channel::oneshot::channel();
                    let receiver = tourbillon::spawn(rx);
                    tourbillon::task::yield_now().await; // the receiver registers its waker
                    tx.send(()).unwrap();
                    receiver.await.unwrap().unwrap();
                }
            })
            .await
            .unwrap();
        });
        assert!(rt.metrics().worker_lifo_hit_count(0) >= 1);
    });
}

#[test]
fn a_reader_that_always_finds_data_is_stopped_by_its_budget() {
    on_every_flavor("budget-forced yields counted", |rt| {
        const BYTES: usize = 4096;
        let metrics = rt.metrics();
        let before = metrics.budget_forced_yield_count();
        rt.block_on(async {
            let (mut client, mut server) = connected_pair().await;
            client.write_all(&[7; BYTES]).await.unwrap();
            // One byte per read: the socket is ready for every read, so only the budget (a
            // few hundred reads per poll) makes the reader yield.
            tourbillon::spawn(async move {
                let mut byte = [0];
                for _ in 0..BYTES {
                    server.read_exact(&mut byte).await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        let forced = metrics.budget_forced_yield_count() - before;
        assert!(
            forced >= 1,
            "{BYTES} one-byte reads never ran out of budget"
        );
    });
}

#[test]
fn reactor_events_and_turns_are_counted() {
    on_every_flavor("reactor events counted", |rt| {
        let metrics = rt.metrics();
        let (events, turns) = (
            metrics.io_driver_ready_count(),
            metrics.reactor_turn_count(),
        );
        rt.block_on(async {
            let (mut client, mut server) = connected_pair().await;
            // The read waits for the write, so a readiness event must arrive.
            let reader = tourbillon::spawn(async move {
                let mut buf = [0; 5];
                server.read_exact(&mut buf).await.unwrap();
                buf
            });
            tourbillon::time::sleep(Duration::from_millis(1)).await;
            client.write_all(b"hello").await.unwrap();
            assert_eq!(&reader.await.unwrap(), b"hello");
        });
        // The worker that turned the reactor counts after it has woken the tasks.
        eventually(|| metrics.io_driver_ready_count() > events);
        eventually(|| metrics.reactor_turn_count() > turns);
    });
}

#[test]
fn fired_timers_are_counted() {
    on_every_flavor("timers fired counted", |rt| {
        let metrics = rt.metrics();
        let before = metrics.timers_fired_count();
        rt.block_on(async {
            for _ in 0..3 {
                tourbillon::time::sleep(Duration::from_millis(50)).await;
            }
        });
        // The worker that fired the timers counts after it has woken their tasks. A sleep whose
        // deadline had passed by its first poll (a stalled thread: valgrind, a loaded machine)
        // completes without the wheel, so the count is at least one, not exactly three.
        eventually(|| metrics.timers_fired_count() - before >= 1);
        assert!(metrics.timers_fired_count() - before <= 3);
    });
}

#[test]
fn wakes_made_never_exceed_wake_requests() {
    on_every_flavor("worker wakes counted", |rt| {
        let metrics = rt.metrics();
        all_workers_asleep(rt);
        let before = metrics.worker_wake_request_count();
        let handle = rt.handle().clone();
        // A spawn from a foreign thread into an idle runtime.
        let task = std::thread::spawn(move || handle.spawn(async {}))
            .join()
            .unwrap();
        rt.block_on(task).unwrap();
        let requests = metrics.worker_wake_request_count() - before;
        if is_current_thread(rt) {
            // Its one thread is woken through the reactor, not a parker.
            assert_eq!(requests, 0);
        } else {
            assert!(requests >= 1, "a spawn into a sleeping runtime woke nobody");
        }
        assert!(metrics.worker_wake_count() <= metrics.worker_wake_request_count());
    });
}
