//! The reactor: readiness from mio, delivered to the tasks waiting on it.
//!
//! (Placeholder until the reactor lands: a real `mio::Poll` with a `mio::Waker`, so the runtime
//! can park in it, but no registrations yet.)

use std::time::Duration;

const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

/// Owns the `mio::Poll`; whoever holds it may block in [`Driver::turn`].
pub(crate) struct Driver {
    poll: mio::Poll,
    events: mio::Events,
}

/// Shared side of the reactor: wakes the thread blocked in [`Driver::turn`].
#[derive(Clone)]
pub(crate) struct Handle {
    waker: std::sync::Arc<mio::Waker>,
}

impl Driver {
    pub(crate) fn new() -> std::io::Result<(Driver, Handle)> {
        let poll = mio::Poll::new()?;
        let waker = std::sync::Arc::new(mio::Waker::new(poll.registry(), WAKER_TOKEN)?);
        let driver = Driver {
            poll,
            events: mio::Events::with_capacity(1024),
        };
        Ok((driver, Handle { waker }))
    }

    /// Blocks for at most `timeout` (`None`: until unparked) and dispatches readiness events.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reactor poll failed: {e}"),
        }
    }
}

impl Handle {
    /// Wakes the thread blocked in [`Driver::turn`], or makes its next turn return at once.
    pub(crate) fn unpark(&self) {
        self.waker.wake().expect("failed to wake the reactor");
    }

    /// Called once when the runtime shuts down, after every task is dropped.
    pub(crate) fn shutdown(&self) {}
}
