//! The driver: the reactor and the timer wheel behind one `park`.
//!
//! One thread at a time owns the [`Driver`] and may block in it; every thread can reach the
//! [`DriverHandle`] to register I/O, insert timers, or wake the owner.

use super::metrics::DriverMetrics;
use std::time::{Duration, Instant};

/// The blocking half: held by the one thread that parks in the reactor.
pub(crate) struct Driver {
    io: crate::io::Driver,
}

/// The shared half: reached from any thread through the runtime handle.
pub(crate) struct DriverHandle {
    pub(crate) io: crate::io::Handle,
    pub(crate) time: crate::time::Handle,
    /// Written by the thread that holds the [`Driver`].
    pub(crate) metrics: DriverMetrics,
}

impl Driver {
    /// A driver whose reactor dispatches at most `max_io_events` events per turn.
    pub(crate) fn new(max_io_events: usize) -> std::io::Result<(Driver, DriverHandle)> {
        let (io, io_handle) = crate::io::Driver::new(max_io_events)?;
        let unpark = io_handle.clone();
        let time = crate::time::Handle::new(Box::new(move || unpark.unpark()));
        Ok((
            Driver { io },
            DriverHandle {
                io: io_handle,
                time,
                metrics: DriverMetrics::default(),
            },
        ))
    }

    /// Blocks until I/O is ready, a timer is due, `timeout` passes, or [`DriverHandle::unpark`].
    /// Fires what became ready. `Some(Duration::ZERO)` polls without blocking. Returns the
    /// I/O events dispatched.
    pub(crate) fn park(&mut self, handle: &DriverHandle, timeout: Option<Duration>) -> usize {
        if timeout == Some(Duration::ZERO) {
            let events = self.io.turn(timeout);
            let fired = handle.time.process(Instant::now());
            handle.metrics.turned(events, fired);
            return events;
        }
        let timeout = match handle.time.before_park() {
            Some(deadline) => {
                let until_deadline = deadline.saturating_duration_since(Instant::now());
                Some(timeout.map_or(until_deadline, |t| t.min(until_deadline)))
            }
            None => timeout,
        };
        let events = self.io.turn(timeout);
        let fired = handle.time.after_park(Instant::now());
        handle.metrics.turned(events, fired);
        events
    }
}

impl DriverHandle {
    /// Wakes the thread parked in [`Driver::park`] (or makes its next park return at once).
    pub(crate) fn unpark(&self) {
        self.io.unpark();
    }

    /// Called once at runtime shutdown, after every task has been dropped.
    pub(crate) fn shutdown(&self) {
        self.io.shutdown();
        self.time.shutdown();
    }
}
