//! One scheduler tick, written once for both schedulers: where the next task comes from, and
//! the intervals that keep the fairness contract (see the [`scheduler`](super) module docs).
//!
//! A scheduler thread (a multi-thread worker, or the current-thread `block_on` thread) owns a
//! FIFO [`RunQueue`] and shares the [`Injector`] with every other thread. Each tick it runs one
//! task: from the injector first every [`GLOBAL_INTERVAL`] ticks, else from its own queue, else
//! a batch from the injector. Every [`EVENT_INTERVAL`] ticks it does its maintenance: the
//! reactor and the timers get a non-blocking turn, and the tasks that yielded rejoin the queue.

use super::injector::{Injector, Pop};
use super::local::Local;
use crate::task::{Notified, Schedule};
use std::collections::VecDeque;

/// Every this many ticks, look at the injector before the scheduler thread's own queue.
pub(super) const GLOBAL_INTERVAL: u32 = 31;
/// Every this many ticks, poll the reactor and timers without blocking and requeue the tasks
/// that yielded.
pub(super) const EVENT_INTERVAL: u32 = 61;

/// What this tick owes to fairness, besides running a task.
pub(super) fn is_maintenance(tick: u32) -> bool {
    tick % EVENT_INTERVAL == 0
}

/// A scheduler thread's own FIFO run queue: a worker's ring, or the current-thread
/// scheduler's `VecDeque`.
pub(super) trait RunQueue<S: Schedule> {
    /// The oldest task.
    fn pop(&mut self) -> Option<Notified<S>>;
    /// Appends `task`; a bounded queue that is full moves tasks to `injector`.
    fn push_back(&mut self, task: Notified<S>, injector: &Injector<S>);
}

impl<S: Schedule> RunQueue<S> for VecDeque<Notified<S>> {
    fn pop(&mut self) -> Option<Notified<S>> {
        self.pop_front()
    }

    fn push_back(&mut self, task: Notified<S>, _: &Injector<S>) {
        VecDeque::push_back(self, task);
    }
}

impl<S: Schedule> RunQueue<S> for Local<S> {
    fn pop(&mut self) -> Option<Notified<S>> {
        Local::pop(self)
    }

    fn push_back(&mut self, task: Notified<S>, injector: &Injector<S>) {
        // A batch never overflows: its size is capped by the ring's free room.
        let _ = self.push_back_or_overflow(task, injector);
    }
}

/// A task to run, and how many more tasks the injector batch it came with added to the queue
/// (others may want to steal those).
pub(super) struct Picked<S: 'static> {
    pub(super) task: Notified<S>,
    pub(super) batched: usize,
}

/// The next task of tick number `tick`: the injector first every [`GLOBAL_INTERVAL`] ticks
/// (so remote wakes and spawns are not starved by a busy local queue), then the local queue,
/// then a batch of at most `batch(queue)` tasks from the injector.
pub(super) fn next_task<S: Schedule, Q: RunQueue<S>>(
    tick: u32,
    queue: &mut Q,
    injector: &Injector<S>,
    batch: impl FnOnce(&Q) -> usize,
) -> Option<Picked<S>> {
    if tick % GLOBAL_INTERVAL == 0 {
        if let Pop::Task(task) = injector.pop() {
            return Some(Picked { task, batched: 0 });
        }
    }
    if let Some(task) = queue.pop() {
        return Some(Picked { task, batched: 0 });
    }
    let max = batch(queue);
    pop_injector_batch(queue, injector, max)
}

/// Moves up to `max` tasks from the injector (one token acquisition) and returns the first;
/// the rest go to the back of `queue`.
pub(super) fn pop_injector_batch<S: Schedule, Q: RunQueue<S>>(
    queue: &mut Q,
    injector: &Injector<S>,
    max: usize,
) -> Option<Picked<S>> {
    let mut first = None;
    let popped = injector.pop_batch(max.max(1), |task| match first {
        None => first = Some(task),
        Some(_) => queue.push_back(task, injector),
    });
    match popped {
        Pop::Task(taken) => first.map(|task| Picked {
            task,
            batched: taken - 1,
        }),
        Pop::Empty => None,
        Pop::Busy | Pop::Inconsistent => {
            // Work is there but another thread must move first: it holds the consumer token,
            // or is between the two steps of a push (and unparks a sleeper right after). The
            // caller may come straight back here (a worker that finds nothing wakes, possibly
            // itself, while the queue is non-empty), so this is a spin: say so. Under loom the
            // hint is a yield; without it loom-tests/tests/idle.rs
            // `spawn_vs_two_workers_parking` livelocks.
            crate::loom::hint::spin_loop();
            None
        }
    }
}
