//! The driver: the reactor and the timer wheel behind one `park`, and the thread's current one.
//!
//! The front of the driver layer (this file, [`io`](crate::io) and [`time`](crate::time)): below
//! the schedulers, which park in it, and above the tasks. It imports only `io` and `time`; the
//! runtime builds it, and the sockets and timers find it here (README's "Architecture").
//!
//! - [`Driver`] is the blocking half. One thread at a time owns it and may block in
//!   [`Driver::park`].
//! - [`DriverHandle`] is the shared half: every thread can reach it to register I/O, insert
//!   timers, or wake the owner.
//! - [`with_current`] is the one lookup of "the driver of the runtime this thread runs in",
//!   for `Registered::new` (every socket, `AsyncFd`, signals) and the timers. The thread-local
//!   it reads lives here, at the bottom; the runtime fills it through [`set_current`] whenever
//!   it makes a runtime current (`runtime::context::set_current`), so no lower layer reaches up
//!   to the runtime's `Handle` to find its driver.

use crate::metrics::DriverMetrics;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a lookup outside any runtime panics with (also `TryCurrentError`'s text).
pub(crate) const NO_CONTEXT: &str = "there is no tourbillon runtime here: this must be called \
     from inside `Runtime::block_on`, a task spawned on a runtime, or with a `Handle`";

/// What a lookup panics with while the thread's thread-locals are being destroyed (also
/// `TryCurrentError`'s text).
pub(crate) const CONTEXT_DESTROYED: &str =
    "the tourbillon runtime context is being destroyed (the thread is exiting)";

/// The blocking half: held by the one thread that parks in the reactor.
pub(crate) struct Driver {
    io: crate::io::Driver,
}

/// The shared half: reached from any thread through the scheduler's handle, or through
/// [`with_current`]. Cloning it costs three reference counts.
#[derive(Clone)]
pub(crate) struct DriverHandle {
    pub(crate) io: crate::io::Handle,
    pub(crate) time: crate::time::Handle,
    /// Reactor turns and timers, written by the thread that holds the [`Driver`].
    pub(crate) metrics: Arc<DriverMetrics>,
}

// === impl Driver ===

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
                metrics: Arc::default(),
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

// === impl DriverHandle ===

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

// === the current driver ===

std::thread_local! {
    /// The driver of the runtime that is current on this thread; set and restored only by
    /// [`set_current`] and its guard, so it always belongs to the runtime current beside it.
    static CURRENT: RefCell<Option<DriverHandle>> = const { RefCell::new(None) };
}

/// Runs `f` with the driver of the runtime this thread runs in.
///
/// # Panics
/// Outside a runtime ([`NO_CONTEXT`]), or while the thread is exiting ([`CONTEXT_DESTROYED`]).
pub(crate) fn with_current<R>(f: impl FnOnce(&DriverHandle) -> R) -> R {
    let found = CURRENT.try_with(|current| current.borrow().as_ref().map(f));
    match found {
        Ok(Some(out)) => out,
        Ok(None) => panic!("{NO_CONTEXT}"),
        Err(_) => panic!("{CONTEXT_DESTROYED}"),
    }
}

/// Makes `handle` the current driver until the guard drops (then the previous one is
/// restored). On a thread whose thread-locals are being destroyed the guard does nothing.
pub(crate) fn set_current(handle: &DriverHandle) -> SetCurrentGuard {
    let previous = CURRENT
        .try_with(|current| current.replace(Some(handle.clone())))
        .ok()
        .flatten();
    SetCurrentGuard { previous }
}

/// Restores the previously current driver when dropped.
#[must_use = "the driver is current only while the guard lives"]
pub(crate) struct SetCurrentGuard {
    previous: Option<DriverHandle>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The thread may be exiting (thread-locals destroyed): nothing to restore then.
        let _ = CURRENT.try_with(|current| current.replace(previous));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::io::DEFAULT_MAX_EVENTS_PER_TICK;

    fn is_set() -> bool {
        CURRENT.with(|current| current.borrow().is_some())
    }

    #[test]
    fn lookup_outside_a_runtime_panics_with_the_no_context_message() {
        let panic = std::panic::catch_unwind(|| with_current(|_| ())).unwrap_err();
        assert_eq!(panic.downcast_ref::<String>().unwrap(), NO_CONTEXT);
    }

    #[test]
    fn guards_nest_and_restore_the_previous_driver() {
        let (_outer_driver, outer) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
        let (_inner_driver, inner) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
        assert!(!is_set());
        let outer_guard = set_current(&outer);
        // The inner driver is shut down, the outer one is not: which one a lookup finds shows
        // in whether it accepts a registration.
        inner.shutdown();
        let registers = || {
            let mut socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            with_current(|driver| driver.io.register(&mut socket).is_ok())
        };
        {
            let _inner_guard = set_current(&inner);
            assert!(!registers());
        }
        assert!(registers());
        drop(outer_guard);
        assert!(!is_set());
    }
}
