//! Loom model of the task state word (src/task/state.rs) and the harness that acts on it.
//!
//! Each scenario spawns one real task on [`TestScheduler`] (the real `spawn_task`,
//! `OwnedTasks`, harness and waker; only the run queue is a test FIFO) and races two or three
//! threads over it. Task cells come from `loom::alloc`, so every scenario also proves that the
//! cell is freed exactly once: a leak fails the model at its end, a second free panics with
//! "pointer not tracked".
//!
//! | scenario                          | proves                                                   |
//! |-----------------------------------|----------------------------------------------------------|
//! | `wake_during_poll_is_not_lost`    | a wake that lands while the task is RUNNING re-queues it (rule 3) |
//! | `wakers_on_other_threads`         | `wake` (by value) + `wake_by_ref` + waker drop from two threads while it runs: refs balance, it completes |
//! | `join_handle_drop_vs_completion`  | output and future each dropped exactly once, whoever is last |
//! | `abort_vs_running_poll`           | an abort during, before or after a poll always cancels the task (future dropped once, `JoinError::Cancelled`) |
//! | `join_waker_vs_completion`        | the JoinHandle's waker, registered while the task completes, is woken (rule 2) |
//! | `join_waker_registered_then_dropped` | a JoinHandle that registered its waker is dropped while the task completes: the slot is read by one side only |
//! | `last_reference_freed_once`       | waker drop, JoinHandle drop and shutdown racing: one free |
//! | `shutdown_vs_running_poll`        | shutdown while another thread polls the task: the runner cancels it when the poll ends; one drop, one free |
//! | `abort_handle_outlives_join_handle` | an `AbortHandle` (a counted reference, no bit of its own) aborts a detached task while another thread polls it, then is dropped racing the completion: the task is cancelled, one drop, one free |
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, poll_fn, DropCount, Tally};
use std::future::Future;
use std::sync::Mutex as StdMutex;
use std::task::{Poll, Waker};
use tourbillon::loom_api::TestScheduler;

/// A waker slot the future fills on its first poll (a std mutex: no interleavings of its own).
type Slot = std::sync::Arc<StdMutex<Vec<Waker>>>;

/// A second thread runs one task from `sched`'s queue (the race partner of most scenarios);
/// `must_find_one`: the queue is known to hold a task at spawn time.
fn run_one_on_another_thread(sched: &TestScheduler, must_find_one: bool) -> thread::JoinHandle<()> {
    let sched = sched.clone();
    thread::spawn(move || {
        let ran = sched.run_one();
        assert!(ran || !must_find_one, "the queued task was not there");
    })
}

#[test]
fn wake_during_poll_is_not_lost() {
    model(None, || {
        let sched = TestScheduler::new();
        let ready = Arc::new(AtomicBool::new(false));
        let slot: Slot = Default::default();
        let join = sched.spawn({
            let (ready, slot) = (ready.clone(), slot.clone());
            poll_fn((), move |cx| {
                // Acquire: pairs with the Release store of the waking thread.
                if ready.load(Acquire) {
                    return Poll::Ready(());
                }
                let mut slot = slot.lock().unwrap();
                if slot.is_empty() {
                    slot.push(cx.waker().clone());
                }
                Poll::Pending
            })
        });
        assert!(sched.run_one()); // first poll: hands out a waker
        let waker = slot.lock().unwrap().pop().unwrap();
        waker.wake_by_ref(); // queued again: the next run races with the wake below
        let waking = thread::spawn(move || {
            ready.store(true, Release);
            waker.wake();
        });
        sched.run_until_idle();
        waking.join().unwrap();
        sched.run_until_idle();
        assert!(join.is_finished(), "a wake during the poll was lost");
        drop(join);
        sched.shutdown();
    });
}

#[test]
fn wakers_on_other_threads() {
    model(None, || {
        let sched = TestScheduler::new();
        let fired = Arc::new(AtomicUsize::new(0));
        let slot: Slot = Default::default();
        let join = sched.spawn({
            let (fired, slot) = (fired.clone(), slot.clone());
            let mut first = true;
            poll_fn((), move |cx| {
                if std::mem::take(&mut first) {
                    let mut slot = slot.lock().unwrap();
                    slot.push(cx.waker().clone());
                    slot.push(cx.waker().clone());
                }
                // Acquire: pairs with the wakers' Release increments.
                if fired.load(Acquire) == 2 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
        });
        assert!(sched.run_one());
        let (w1, w2) = {
            let mut slot = slot.lock().unwrap();
            (slot.pop().unwrap(), slot.pop().unwrap())
        };
        let f1 = fired.clone();
        let by_val = thread::spawn(move || {
            f1.fetch_add(1, Release);
            w1.wake();
        });
        let by_ref = thread::spawn(move || {
            fired.fetch_add(1, Release);
            w2.wake_by_ref();
            drop(w2);
        });
        sched.run_until_idle();
        by_val.join().unwrap();
        by_ref.join().unwrap();
        sched.run_until_idle();
        assert!(join.is_finished(), "a wake was lost");
        drop(join);
        sched.shutdown();
    });
}

#[test]
fn join_handle_drop_vs_completion() {
    model(None, || {
        let sched = TestScheduler::new();
        let (future_drops, output_drops) = (Tally::new(), Tally::new());
        let out = output_drops.clone();
        let join = sched.spawn(poll_fn(DropCount(future_drops.clone()), move |_| {
            Poll::Ready(DropCount(out.clone()))
        }));
        let runner = run_one_on_another_thread(&sched, true);
        drop(join);
        runner.join().unwrap();
        assert_eq!(future_drops.get(), 1, "future dropped once");
        assert_eq!(output_drops.get(), 1, "output dropped once");
        sched.shutdown();
    });
}

#[test]
fn abort_vs_running_poll() {
    model(None, || {
        let sched = TestScheduler::new();
        let future_drops = Tally::new();
        let join = sched.spawn(poll_fn(DropCount(future_drops.clone()), |_| {
            Poll::<()>::Pending
        }));
        let runner = run_one_on_another_thread(&sched, false);
        join.abort();
        runner.join().unwrap();
        sched.run_until_idle();
        let result = loom::future::block_on(join);
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(future_drops.get(), 1, "future dropped once");
        sched.shutdown();
    });
}

#[test]
fn join_waker_vs_completion() {
    model(None, || {
        let sched = TestScheduler::new();
        let join = sched.spawn(poll_fn((), |_| Poll::Ready(42)));
        let runner = run_one_on_another_thread(&sched, true);
        // Polls the JoinHandle (registering loom's waker) while the task completes; a lost
        // join wake-up is a deadlock, which loom reports.
        assert_eq!(loom::future::block_on(join).unwrap(), 42);
        runner.join().unwrap();
        sched.shutdown();
    });
}

#[test]
fn last_reference_freed_once() {
    model(None, || {
        let sched = TestScheduler::new();
        let future_drops = Tally::new();
        let slot: Slot = Default::default();
        let join = sched.spawn({
            let slot = slot.clone();
            poll_fn(DropCount(future_drops.clone()), move |cx| {
                slot.lock().unwrap().push(cx.waker().clone());
                Poll::<()>::Pending
            })
        });
        assert!(sched.run_one());
        let waker = slot.lock().unwrap().pop().unwrap();
        let dropper = thread::spawn(move || drop(waker));
        let detacher = thread::spawn(move || drop(join));
        sched.shutdown(); // cancels the idle task: drops the future, completes it
        dropper.join().unwrap();
        detacher.join().unwrap();
        assert_eq!(future_drops.get(), 1, "future dropped once");
    });
}

#[test]
fn join_waker_registered_then_dropped() {
    model(None, || {
        let sched = TestScheduler::new();
        let mut join = sched.spawn(poll_fn((), |_| Poll::Ready(1)));
        // Register a waker (a clone of it goes into the join-waker slot).
        let mut cx = std::task::Context::from_waker(Waker::noop());
        assert!(std::pin::Pin::new(&mut join).poll(&mut cx).is_pending());
        let runner = run_one_on_another_thread(&sched, true);
        drop(join);
        runner.join().unwrap();
        sched.shutdown();
    });
}

#[test]
fn shutdown_vs_running_poll() {
    model(None, || {
        let sched = TestScheduler::new();
        let future_drops = Tally::new();
        let join = sched.spawn(poll_fn(DropCount(future_drops.clone()), |_| {
            Poll::<()>::Pending
        }));
        let runner = run_one_on_another_thread(&sched, false);
        sched.shutdown();
        runner.join().unwrap();
        assert_eq!(future_drops.get(), 1, "future dropped once");
        assert!(loom::future::block_on(join).unwrap_err().is_cancelled());
    });
}

#[test]
fn abort_handle_outlives_join_handle() {
    model(None, || {
        let sched = TestScheduler::new();
        let future_drops = Tally::new();
        let join = sched.spawn(poll_fn(DropCount(future_drops.clone()), |_| {
            Poll::<()>::Pending
        }));
        let abort = join.abort_handle();
        drop(join); // detached: only the AbortHandle can cancel it now
        let runner = run_one_on_another_thread(&sched, false);
        let aborter = thread::spawn(move || {
            abort.abort();
            drop(abort);
        });
        runner.join().unwrap();
        aborter.join().unwrap();
        // Whichever order: the abort left an entry (or the runner re-queued the task), and
        // running it cancels the task.
        sched.run_until_idle();
        assert_eq!(
            future_drops.get(),
            1,
            "future dropped once, by the cancellation"
        );
        sched.shutdown();
    });
}
