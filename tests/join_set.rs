//! `JoinSet` and `AbortHandle` through the public API, on the current-thread runtime and the
//! multi-thread runtime with one and two workers: joining, aborting, dropping and shutting down
//! a set of 100 tasks, completion order, and cancelling a task by its `AbortHandle`.

mod support;

use futures_channel::oneshot;
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use support::{pending_counted, within_deadline};
use tourbillon::task::{AbortHandle, JoinSet};
use tourbillon::{Builder, Runtime};

const TASKS: usize = 100;

/// A runtime flavor's name and how to build it.
type Flavor = (&'static str, fn() -> Runtime);

/// Runs `test` on each flavor, under the watchdog, naming the flavor on failure.
fn on_each_flavor(test: fn(&'static str, Runtime)) {
    let flavors: [Flavor; 3] = [
        ("current_thread", || {
            Builder::new_current_thread().build().unwrap()
        }),
        ("multi_thread(1)", || {
            Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .unwrap()
        }),
        ("multi_thread(2)", support::multi_thread),
    ];
    for (name, build) in flavors {
        within_deadline(move || test(name, build()));
    }
}

#[test]
fn join_set_and_abort_handle_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JoinSet<u64>>();
    // Only `T: Send` is required, as for `JoinHandle`.
    assert_send_sync::<JoinSet<std::cell::Cell<u64>>>();
    assert_send_sync::<AbortHandle>();
}

#[test]
fn hundred_tasks_joined_each_output_once() {
    on_each_flavor(|name, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..TASKS {
                set.spawn(async move {
                    // Some finish before their first join, some after a yield.
                    if i % 2 == 0 {
                        tourbillon::task::yield_now().await;
                    }
                    i
                });
            }
            assert_eq!(set.len(), TASKS, "{name}");
            let mut seen = HashSet::new();
            while let Some(result) = set.join_next().await {
                let i = result.unwrap();
                assert!(seen.insert(i), "{name}: output {i} joined twice");
                assert_eq!(set.len(), TASKS - seen.len(), "{name}");
            }
            assert_eq!(seen, (0..TASKS).collect(), "{name}");
            assert!(set.is_empty(), "{name}");
            assert!(set.join_next().await.is_none(), "{name}");
        });
    });
}

#[test]
fn join_next_returns_tasks_in_the_order_they_finish() {
    on_each_flavor(|name, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut gates = Vec::new();
            for i in 0..5 {
                let (open, gate) = oneshot::channel::<()>();
                gates.push(Some(open));
                set.spawn(async move {
                    gate.await.unwrap();
                    i
                });
            }
            // Open the gates in the order 3, 1, 4, 0, 2, each after the previous task joined.
            for i in [3, 1, 4, 0, 2] {
                gates[i].take().unwrap().send(()).unwrap();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i, "{name}");
            }
            assert!(set.join_next().await.is_none(), "{name}");
        });
    });
}

#[test]
fn abort_all_cancels_every_pending_task() {
    on_each_flavor(|name, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            // Even tasks finish at once (they may complete before the abort), odd ones never.
            for i in 0..TASKS {
                if i % 2 == 0 {
                    set.spawn(async move { Some(i) });
                } else {
                    let pending = pending_counted(&drops);
                    set.spawn(async move {
                        pending.await;
                        None
                    });
                }
            }
            tourbillon::task::yield_now().await;
            set.abort_all();
            assert_eq!(set.len(), TASKS, "{name}: aborted tasks stay in the set");
            let (mut completed, mut cancelled) = (HashSet::new(), 0);
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(Some(i)) => assert!(completed.insert(i), "{name}"),
                    Ok(None) => unreachable!("{name}: a pending task completed"),
                    Err(e) => {
                        assert!(e.is_cancelled(), "{name}: {e}");
                        cancelled += 1;
                    }
                }
            }
            assert_eq!(completed.len() + cancelled, TASKS, "{name}");
            assert!(
                cancelled >= TASKS / 2,
                "{name}: every pending task is cancelled"
            );
        });
        assert_eq!(
            drops.load(SeqCst),
            TASKS / 2,
            "{name}: pending futures dropped once"
        );
    });
}

#[test]
fn dropping_the_set_drops_every_future() {
    on_each_flavor(|name, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..TASKS {
                set.spawn(pending_counted(&drops));
            }
            // Let some be polled into their pending state, others stay queued.
            tourbillon::task::yield_now().await;
            drop(set);
            // The aborted tasks are cancelled by the runtime's workers (or this thread, on
            // the current-thread runtime), while the runtime still runs.
            while drops.load(SeqCst) < TASKS {
                tourbillon::task::yield_now().await;
            }
        });
        assert_eq!(
            drops.load(SeqCst),
            TASKS,
            "{name}: each future dropped once"
        );
        assert_eq!(rt.metrics().num_alive_tasks(), 0, "{name}");
    });
}

#[test]
fn shutdown_waits_for_every_task_to_be_cancelled() {
    on_each_flavor(|name, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..TASKS {
                set.spawn(pending_counted(&drops));
            }
            set.shutdown().await;
            assert!(set.is_empty(), "{name}");
            // Each future is dropped before its task completes, so all are gone by now.
            assert_eq!(drops.load(SeqCst), TASKS, "{name}");
            // The set is usable again.
            set.spawn(pending_counted(&drops));
            assert_eq!(set.len(), 1, "{name}");
        });
    });
}

#[test]
fn abort_handle_cancels_a_pending_task() {
    on_each_flavor(|name, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let handle = tourbillon::spawn(pending_counted(&drops));
            let abort = handle.abort_handle();
            assert!(!abort.is_finished(), "{name}");
            // Aborted from another thread, after the JoinHandle's own copy is made.
            std::thread::spawn(move || abort.abort()).join().unwrap();
            assert!(handle.await.unwrap_err().is_cancelled(), "{name}");
            assert_eq!(drops.load(SeqCst), 1, "{name}");

            // From a JoinSet: only the aborted task is cancelled.
            let mut set = JoinSet::new();
            let (open, gate) = oneshot::channel::<()>();
            let kept = set.spawn(async move { gate.await.is_ok() });
            let aborted = set.spawn(async {
                std::future::pending::<()>().await;
                false
            });
            aborted.abort();
            assert!(
                set.join_next().await.unwrap().unwrap_err().is_cancelled(),
                "{name}"
            );
            assert!(aborted.is_finished(), "{name}");
            assert!(!kept.is_finished(), "{name}");
            open.send(()).unwrap();
            assert!(set.join_next().await.unwrap().unwrap(), "{name}");
            assert!(kept.is_finished(), "{name}");
        });
    });
}

#[test]
fn abort_handle_outlives_its_task_and_runtime() {
    on_each_flavor(|name, rt| {
        let (abort, detached) = rt.block_on(async {
            let done = tourbillon::spawn(async { 1 });
            let abort = done.abort_handle();
            assert_eq!(done.await.unwrap(), 1, "{name}");
            assert!(abort.is_finished(), "{name}");
            // Aborting a finished task changes nothing.
            abort.abort();
            let detached = tourbillon::spawn(std::future::pending::<()>()).abort_handle();
            (abort, detached)
        });
        drop(rt);
        // Runtime shutdown cancelled the detached task; its handle still answers, and aborting
        // it now is a no-op.
        assert!(abort.is_finished(), "{name}");
        assert!(detached.is_finished(), "{name}");
        detached.abort();
    });
}

#[test]
fn abort_handle_of_a_joined_handle_is_finished() {
    on_each_flavor(|name, rt| {
        rt.block_on(async {
            let mut handle = tourbillon::spawn(async { 2 });
            assert_eq!((&mut handle).await.unwrap(), 2, "{name}");
            let abort = handle.abort_handle();
            assert!(abort.is_finished(), "{name}");
            abort.abort();
        });
    });
}

#[test]
fn spawn_on_from_outside_the_runtime() {
    on_each_flavor(|name, rt| {
        let mut set = JoinSet::new();
        for i in 0..10u32 {
            set.spawn_on(async move { i }, rt.handle());
        }
        let total = rt.block_on(async {
            let mut total = 0;
            while let Some(result) = set.join_next().await {
                total += result.unwrap();
            }
            total
        });
        assert_eq!(total, 45, "{name}");
    });
}

#[test]
fn a_panicking_task_is_joined_as_a_panic() {
    on_each_flavor(|name, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic!("boom") });
            let error = set.join_next().await.unwrap().unwrap_err();
            assert!(error.is_panic(), "{name}: {error}");
            assert!(set.is_empty(), "{name}");
        });
    });
}

#[test]
fn a_dropped_join_next_loses_no_result() {
    on_each_flavor(|name, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let (open, gate) = oneshot::channel::<()>();
            set.spawn(async move {
                gate.await.unwrap();
                "late"
            });
            // One poll registers this task's waker, then the join_next future is dropped.
            let polled = std::future::poll_fn(|cx| {
                let mut join = std::pin::pin!(set.join_next());
                std::task::Poll::Ready(join.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(polled, "{name}: the task cannot have finished yet");
            open.send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "late", "{name}");
        });
    });
}
