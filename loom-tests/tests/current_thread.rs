//! Loom model of the current-thread scheduler's shutdown hand-off
//! (src/scheduler/current_thread.rs, "Two owned-task lists"): the runtime is dropped while
//! another thread is inside `block_on` through a handle.
//!
//! A task spawned inside `block_on` joins the core's own list, which only the thread holding
//! the core touches. Shutdown takes that list (and drops the queue's entries) when the core is
//! free; when a thread holds the core, that thread does it as it hands the core back. Both
//! decide under the core's lock, so exactly one of them does. Loom tracks the task's cell and
//! the scheduler's `Arc`: a task left in a list or an entry left in the queue is a leak (the
//! entry holds the task, the task the scheduler, the scheduler the core), and loom fails the
//! model.
//!
//! | scenario                              | proves                                               |
//! |---------------------------------------|------------------------------------------------------|
//! | `shutdown_vs_block_on_with_queued_task` | a task spawned in `block_on` and still queued when it returns: cancelled (at spawn, or at the hand-back, or by shutdown), its future dropped once, nothing leaked |
//! | `shutdown_vs_block_on_running_a_task` | a task spawned in `block_on` and run there to completion, racing shutdown: it completes (or is refused at spawn), leaves its list once, nothing leaked |
//! | `shutdown_vs_block_on_with_idle_task` | a task spawned in `block_on`, polled there once and idle (never woken) when it returns: cancelled by whichever side takes the core's list, its future dropped once, nothing leaked |
#![cfg(loom)]

use loom::thread;
use loom_tests::{model, poll_fn, DropCount, Tally};
use std::future::Future;
use std::task::Poll;
use tourbillon::loom_api::CurrentThread;
use tourbillon::JoinHandle;

/// Runs the future `in_block_on` makes inside `block_on` (so its spawns join the core's own
/// list) on a second thread, while this one shuts the runtime down; returns its output.
fn race_shutdown<F>(
    rt: &CurrentThread,
    in_block_on: impl FnOnce(CurrentThread) -> F + Send + 'static,
) -> F::Output
where
    F: Future,
    F::Output: Send + 'static,
{
    let blocking = thread::spawn({
        let rt = rt.clone();
        move || {
            let inner = rt.clone();
            rt.block_on(async move { in_block_on(inner).await })
        }
    });
    rt.shutdown();
    blocking.join().unwrap()
}

/// A task whose future completes on its first poll if `completes` (or stays pending, never
/// woken, if not) and counts its drop in `drops`.
fn counted_task(rt: &CurrentThread, drops: &Tally, completes: bool) -> JoinHandle<()> {
    rt.spawn(poll_fn(DropCount(drops.clone()), move |_| {
        if completes {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }))
}

#[test]
fn shutdown_vs_block_on_with_queued_task() {
    model(None, || {
        let rt = CurrentThread::new();
        let drops = Tally::new();
        let in_block_on = drops.clone();
        // The spawn queues the task; `block_on`'s future is ready before the queue runs.
        let join = race_shutdown(&rt, move |rt| {
            std::future::ready(counted_task(&rt, &in_block_on, true))
        });
        assert_ended(&rt, &drops, join, Outcome::Cancelled);
    });
}

/// How a model's task may end.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Cancelled,
    CompletedOrCancelled,
}

/// The task ended as `outcome` allows, its future dropped exactly once, and the runtime owns
/// no task any more.
fn assert_ended(rt: &CurrentThread, drops: &Tally, join: JoinHandle<()>, outcome: Outcome) {
    assert_eq!(drops.get(), 1, "the future is dropped exactly once");
    assert!(join.is_finished());
    match loom::future::block_on(join) {
        Ok(()) => assert!(
            outcome == Outcome::CompletedOrCancelled,
            "the task completed where it must be cancelled"
        ),
        Err(error) => assert!(error.is_cancelled()),
    }
    assert_eq!(rt.alive(), 0);
}

/// Inside `block_on`: spawns a [`counted_task`], lets `block_on` run it once, and returns its
/// handle.
async fn spawn_and_run_once(rt: CurrentThread, drops: Tally, completes: bool) -> JoinHandle<()> {
    let join = counted_task(&rt, &drops, completes);
    // Wake and yield once: `block_on` runs the queue (the task) before it polls this future
    // again, and does not block.
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
    if completes {
        // It ran (or was refused at spawn): either way no list holds it any more, and no
        // shutdown can have emptied the core's list while this thread holds the core.
        assert_eq!(
            rt.alive(),
            0,
            "a completed task is still counted in the core's list"
        );
    }
    join
}

/// A task spawned in `block_on` and run there once, racing a shutdown from another thread.
fn run_once_vs_shutdown(completes: bool, outcome: Outcome) {
    model(None, move || {
        let rt = CurrentThread::new();
        let drops = Tally::new();
        let in_block_on = drops.clone();
        let join = race_shutdown(&rt, move |rt| {
            spawn_and_run_once(rt, in_block_on, completes)
        });
        assert_ended(&rt, &drops, join, outcome);
    });
}

#[test]
fn shutdown_vs_block_on_running_a_task() {
    // Refused at spawn if shutdown came first; run to completion otherwise.
    run_once_vs_shutdown(true, Outcome::CompletedOrCancelled);
}

#[test]
fn shutdown_vs_block_on_with_idle_task() {
    run_once_vs_shutdown(false, Outcome::Cancelled);
}
