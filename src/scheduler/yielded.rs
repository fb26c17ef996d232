//! The tasks that yielded on one scheduler thread, waiting for their turn to come back.
//!
//! A task that wakes itself during its poll (`yield_now`, a hand-written future, a read that
//! ran out of coop budget) is not queued at once: it waits here, so that a yield loop lets
//! every other runnable task go first. It comes back at the first of:
//!
//! - the thread's run queue runs dry: then, if the reactor has not had a turn *since the first
//!   of them yielded*, it gets one first, so a yield loop cannot starve I/O and timers either
//!   (tokio polls the reactor each time it drains its deferred list, for the same reason);
//! - the thread's maintenance tick (every `EVENT_INTERVAL` ticks, tick.rs), which turns the
//!   reactor anyway. This bounds the wait when the queue never runs dry (a busy ping-pong
//!   pair): without it, a task that yielded beside such a pair was never polled again.
//!
//! Counting the turns that happened anyway is what makes a round of yields cheap: a round
//! longer than `EVENT_INTERVAL` ticks needs no extra `epoll_wait`; a lone task yielding in a
//! loop still gets one per yield.
//!
//! Owned by one thread (a worker, or the `block_on` thread): no atomics.

use super::injector::Injector;
use super::tick::RunQueue;
use crate::task::{Notified, Schedule};

pub(super) struct Yielded<S: Schedule> {
    tasks: Vec<Notified<S>>,
    /// The reactor has not run since the first of `tasks` yielded.
    awaits_reactor: bool,
}

impl<S: Schedule> Yielded<S> {
    pub(super) fn with_capacity(capacity: usize) -> Yielded<S> {
        Yielded {
            tasks: Vec::with_capacity(capacity),
            awaits_reactor: false,
        }
    }

    pub(super) fn push(&mut self, task: Notified<S>) {
        if self.tasks.is_empty() {
            self.awaits_reactor = true;
        }
        self.tasks.push(task);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Call after every reactor turn.
    pub(super) fn reactor_turned(&mut self) {
        self.awaits_reactor = false;
    }

    /// Whether the tasks must wait for a reactor turn before they rejoin the queue.
    pub(super) fn awaits_reactor(&self) -> bool {
        self.awaits_reactor
    }

    /// Every task to the back of `queue`, in the order they yielded (the list keeps its
    /// capacity). Returns how many.
    pub(super) fn requeue_into<Q: RunQueue<S>>(
        &mut self,
        queue: &mut Q,
        injector: &Injector<S>,
    ) -> usize {
        let count = self.tasks.len();
        for task in self.tasks.drain(..) {
            queue.push_back(task, injector);
        }
        count
    }

    /// Every task, to drop them at shutdown.
    pub(super) fn take_all(&mut self) -> Vec<Notified<S>> {
        std::mem::take(&mut self.tasks)
    }
}
