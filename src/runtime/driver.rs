//! The driver: the reactor and the timer wheel behind one `park`.
//!
//! One thread at a time owns the [`Driver`] and may block in it; every thread can reach the
//! [`DriverHandle`] to register I/O, insert timers, or wake the owner.

use std::time::{Duration, Instant};

/// The blocking half: held by the one thread that parks in the reactor.
pub(crate) struct Driver {
    io: crate::io::Driver,
}

/// The shared half: reached from any thread through the runtime handle.
pub(crate) struct DriverHandle {
    pub(crate) io: crate::io::Handle,
    pub(crate) time: crate::time::Handle,
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
            },
        ))
    }

    /// Blocks until I/O is ready, a timer is due, `timeout` passes, or [`DriverHandle::unpark`].
    /// Fires what became ready. `Some(Duration::ZERO)` polls without blocking.
    pub(crate) fn park(&mut self, handle: &DriverHandle, timeout: Option<Duration>) {
        if timeout == Some(Duration::ZERO) {
            self.io.turn(timeout);
            handle.time.process(Instant::now());
            return;
        }
        let timeout = match handle.time.before_park() {
            Some(deadline) => {
                let until_deadline = deadline.saturating_duration_since(Instant::now());
                Some(timeout.map_or(until_deadline, |t| t.min(until_deadline)))
            }
            None => timeout,
        };
        self.io.turn(timeout);
        handle.time.after_park(Instant::now());
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
