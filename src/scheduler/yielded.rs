//! The tasks that yielded on one scheduler thread, waiting for their turn to come back.
//!
//! A task that wakes itself during its poll (`yield_now`) is not queued at once: it waits here
//! until its thread's run queue runs dry, so a yield loop lets every other runnable task go
//! first. Before the yielders rejoin the queue, the reactor must have had a turn *since the
//! first of them yielded*, so a yield loop cannot starve I/O and timers either (tokio gives
//! the same guarantee by polling the reactor each time its deferred list is drained).
//!
//! Counting the turns that happened anyway is what makes a round of yields cheap: a worker
//! polls the reactor every `EVENT_INTERVAL` ticks regardless, so a round longer than that
//! needs no extra `epoll_wait`; a lone task yielding in a loop still gets one per yield.
//!
//! Owned by one thread (a worker, or the `block_on` thread): no atomics.

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

    /// Whether the tasks must wait for a reactor turn before [`Yielded::drain`].
    pub(super) fn awaits_reactor(&self) -> bool {
        self.awaits_reactor
    }

    /// Every task, in the order they yielded; the list keeps its capacity.
    pub(super) fn drain(&mut self) -> std::vec::Drain<'_, Notified<S>> {
        self.tasks.drain(..)
    }
}
