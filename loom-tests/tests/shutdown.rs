//! Loom model of runtime shutdown (src/runtime/mod.rs "Shutdown", `multi_thread::Handle::
//! {begin_shutdown, finish_shutdown}`, `OwnedTasks::close_and_shutdown_all`,
//! `Injector::close_and_drain`) racing a wake from a thread the runtime does not own.
//!
//! A task is polled once by worker 0 (on the model's thread, through the real `run_tick`) and
//! hands a clone of its waker to a foreign thread; then the runtime shuts down while that
//! thread wakes. The wake may find the task idle (it is pushed to the injector, maybe after
//! the injector closed: the pusher drains it), cancelled, or complete. Every path must drop the
//! future exactly once and free the cell exactly once (loom tracks the allocation: a leak or a
//! double free fails the model); the scheduler handle the task holds must not be used after it
//! is freed (loom tracks its `Arc`).
//!
//! | scenario                               | proves                                              |
//! |----------------------------------------|-----------------------------------------------------|
//! | `shutdown_vs_foreign_wake`             | `wake()` (by value) racing shutdown: one drop of the future, one free, JoinHandle says cancelled |
//! | `shutdown_vs_foreign_wake_by_ref_drop` | `wake_by_ref()` then drop of the waker, racing shutdown |
//! | `spawn_vs_shutdown`                    | a spawn from a foreign thread racing shutdown: the task is run, or cancelled by the closed owned list; never stranded (its cell would leak) |
//! | `shutdown_vs_wake_with_running_worker` | as the first, with the worker loop on its own thread (it may run the woken task, or be told to stop first) |
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering::*};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, poll_fn, DropCount, Tally};
use std::sync::Mutex as StdMutex;
use std::task::{Poll, Waker};
use tourbillon::loom_api::{MultiThread, Worker};

type Slot = std::sync::Arc<StdMutex<Option<Waker>>>;

/// A task that hands out its waker on the first poll and completes once `ready` is set.
fn task(
    rt: &MultiThread,
    slot: &Slot,
    ready: &Arc<AtomicBool>,
    drops: &Tally,
) -> tourbillon::JoinHandle<()> {
    let (slot, ready) = (slot.clone(), ready.clone());
    rt.spawn(poll_fn(DropCount(drops.clone()), move |cx| {
        // Acquire: pairs with the foreign thread's Release store.
        if ready.load(Acquire) {
            return Poll::Ready(());
        }
        slot.lock()
            .unwrap()
            .get_or_insert_with(|| cx.waker().clone());
        Poll::Pending
    }))
}

/// The scene of the shutdown-vs-wake models: a one-worker runtime (its worker not yet
/// running) and one task spawned on it by [`task`].
struct Scene {
    rt: MultiThread,
    worker: Worker,
    slot: Slot,
    ready: Arc<AtomicBool>,
    drops: Tally,
    join: tourbillon::JoinHandle<()>,
}

impl Scene {
    fn new() -> Scene {
        let mut rt = MultiThread::new(1);
        let worker = rt.take_workers().pop().unwrap();
        let (slot, ready, drops) = (
            Slot::default(),
            Arc::new(AtomicBool::new(false)),
            Tally::new(),
        );
        let join = task(&rt, &slot, &ready, &drops);
        Scene {
            rt,
            worker,
            slot,
            ready,
            drops,
            join,
        }
    }
}

/// One tick of `worker` polls the task, which hands out its waker.
fn poll_once_and_take_waker(worker: &Worker, slot: &Slot) -> Waker {
    assert!(worker.run_tick(), "worker 0 polls the task once");
    let waker = slot.lock().unwrap().take();
    waker.expect("the task handed out its waker")
}

fn shutdown_vs_wake(by_ref: bool) {
    let Scene {
        rt,
        worker,
        slot,
        ready,
        drops,
        join,
    } = Scene::new();
    rt.with_driver_held(|| {
        let waker = poll_once_and_take_waker(&worker, &slot);
        let foreign = thread::spawn(move || {
            ready.store(true, Release);
            if by_ref {
                waker.wake_by_ref();
                drop(waker);
            } else {
                waker.wake();
            }
        });
        rt.begin_shutdown();
        worker.run(); // sees the shutdown flag at once: drains its queues and returns
        rt.finish_shutdown();
        foreign.join().unwrap();
    });
    assert_eq!(drops.get(), 1, "the future is dropped exactly once");
    assert!(join.is_finished());
    let out = loom::future::block_on(join);
    assert!(out.unwrap_err().is_cancelled());
    assert_eq!(rt.alive(), 0);
}

#[test]
fn shutdown_vs_foreign_wake() {
    model(None, || shutdown_vs_wake(false));
}

#[test]
fn shutdown_vs_foreign_wake_by_ref_drop() {
    model(None, || shutdown_vs_wake(true));
}

#[test]
fn shutdown_vs_wake_with_running_worker() {
    model(None, || {
        let Scene {
            rt,
            worker,
            slot,
            ready,
            drops,
            join,
        } = Scene::new();
        rt.with_driver_held(|| {
            let waker = poll_once_and_take_waker(&worker, &slot);
            let worker = thread::spawn(move || worker.run());
            let foreign = thread::spawn(move || {
                ready.store(true, Release);
                waker.wake();
            });
            rt.begin_shutdown();
            worker.join().unwrap();
            rt.finish_shutdown();
            foreign.join().unwrap();
        });
        assert_eq!(drops.get(), 1, "the future is dropped exactly once");
        // The worker may have run the woken task to completion before it saw the shutdown.
        let out = loom::future::block_on(join);
        assert!(out.is_ok() || out.unwrap_err().is_cancelled());
        assert_eq!(rt.alive(), 0);
    });
}

#[test]
fn spawn_vs_shutdown() {
    model(None, || {
        let mut rt = Arc::new(MultiThread::new(1));
        let worker = Arc::get_mut(&mut rt).unwrap().take_workers().pop().unwrap();
        let drops = Tally::new();
        rt.with_driver_held(|| {
            let spawner = {
                let (rt, drops) = (rt.clone(), drops.clone());
                thread::spawn(move || rt.spawn(poll_fn(DropCount(drops), |_| Poll::<()>::Pending)))
            };
            rt.begin_shutdown();
            worker.run();
            rt.finish_shutdown();
            let join = spawner.join().unwrap();
            assert!(loom::future::block_on(join).unwrap_err().is_cancelled());
        });
        assert_eq!(drops.get(), 1, "the future is dropped exactly once");
        assert_eq!(rt.alive(), 0);
    });
}
