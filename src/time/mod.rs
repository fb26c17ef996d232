//! Timers: a hierarchical timing wheel, `sleep`, `timeout` and `interval`.
//!
//! (Placeholder until the timer wheel lands: no timers are ever pending.)

use std::time::Instant;

/// Called when a newly inserted deadline is earlier than the one a parked thread waits for.
pub(crate) type Unpark = Box<dyn Fn() + Send + Sync>;

/// Shared side of the timer driver.
#[derive(Clone)]
pub(crate) struct Handle {
    _unpark: std::sync::Arc<Unpark>,
}

impl Handle {
    pub(crate) fn new(unpark: Unpark) -> Handle {
        Handle {
            _unpark: std::sync::Arc::new(unpark),
        }
    }

    /// A thread is about to block in the reactor: returns the earliest pending deadline (the park
    /// timeout) and remembers it, so that an insert of an earlier deadline calls `unpark`.
    pub(crate) fn before_park(&self) -> Option<Instant> {
        None
    }

    /// The parked thread woke up: forget the armed deadline and fire every timer due at `now`.
    pub(crate) fn after_park(&self, now: Instant) {
        self.process(now)
    }

    /// Fires every timer whose deadline is at or before `now` (a non-blocking reactor turn).
    pub(crate) fn process(&self, _now: Instant) {}

    /// Called once when the runtime shuts down, after every task is dropped.
    pub(crate) fn shutdown(&self) {}
}
