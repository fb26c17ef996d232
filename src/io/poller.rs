//! The event source behind the reactor: a small trait pair, and its mio implementation.
//!
//! The driver never names mio directly. It owns a [`Poller`] (the blocking half: waits for
//! events) and shares its [`Registrar`] (the non-blocking half: registers sources and wakes the
//! wait) with every thread. A loom model substitutes a scripted fake for both and drives the real
//! readiness protocol of [`ScheduledIo`](super::scheduled_io::ScheduledIo) and the real park
//! protocol of the driver through it.
//!
//! # The contract an implementation keeps
//!
//! 1. Readiness is **edge-triggered**: an event is reported when a source *becomes* ready, not
//!    while it *is* ready. Every source is registered once, for reading and writing both; the
//!    reactor never re-registers it.
//! 2. A source that is already ready when it is registered produces an event at the next poll
//!    (epoll and kqueue both do this), so a task that registers after a `WouldBlock` never misses
//!    readiness that arrived in between.
//! 3. [`Poller::poll`] calls `on_event` only after its wait has ended, never while blocked, so the
//!    caller may take locks in it.
//! 4. After [`Registrar::deregister`] returns, no later poll reports the source's token. (An event
//!    already collected by a poll in progress on another thread may still be dispatched: that is
//!    why the driver alone frees registrations.)
//! 5. [`Registrar::wake`] makes the current or next [`Poller::poll`] return promptly; the wake
//!    itself is not reported as an event. Spurious returns are allowed.
//! 6. Traits are used generically, never as objects (`register` is generic over the source), so
//!    the fake costs nothing in the normal build.

use std::io;
use std::time::Duration;

use super::faults::PollFaults;
use super::scheduled_io::Ready;

/// The blocking half of an event source. Owned by the driver; one thread polls at a time.
pub(crate) trait Poller: Send + 'static {
    /// The shared half, reachable from every thread.
    type Registrar: Registrar;

    /// Blocks for at most `timeout` (`None`: until an event or a wake; `Some(ZERO)`: not at
    /// all), then reports each collected event as `on_event(token, readiness)` (rule 3).
    ///
    /// # Errors
    /// The wait failed; `Interrupted` is an ordinary early return.
    fn poll(
        &mut self,
        timeout: Option<Duration>,
        on_event: impl FnMut(usize, Ready),
    ) -> io::Result<()>;
}

/// The shared half of an event source: register, deregister, wake.
pub(crate) trait Registrar: Send + Sync + 'static {
    /// Starts reporting readiness of `source` (read and write, edge-triggered) under `token`.
    ///
    /// # Errors
    /// The OS refused the registration.
    fn register(&self, source: &mut impl mio::event::Source, token: usize) -> io::Result<()>;

    /// Stops reporting readiness of `source`, registered under `token` (rule 4).
    ///
    /// # Errors
    /// The OS refused; the source was not registered.
    fn deregister(&self, source: &mut impl mio::event::Source, token: usize) -> io::Result<()>;

    /// Makes the current or the next [`Poller::poll`] return promptly (rule 5).
    ///
    /// # Errors
    /// The wake could not be delivered.
    fn wake(&self) -> io::Result<()>;
}

// === impl MioPoller ===

/// The token of the `mio::Waker`; registration tokens are slab indexes and never reach it.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);

/// Events a poll collects at most, unless [`Builder::max_io_events_per_tick`] says otherwise. The
/// rest stay in the kernel's ready list, in the order they became ready, for the next turn of
/// whichever worker polls first.
///
/// Small on purpose (tokio takes 1024). Under `wrk -t2 -c500` on two workers, a turn that takes
/// every ready socket (a few hundred) queues them all on the worker that polled, and the p99
/// latency is tokio's or worse; at 64 it is about a third lower, at the same throughput. At 96
/// and 128 the tail is back, and neither a larger local queue, nor running the turn's wakes
/// without the LIFO slot, nor sending the wakes past 64 to the injector brings it down: what
/// helps is leaving the events in the kernel. The price is more `epoll_wait`s when more than 64
/// sockets are ready at once (PERF.md, "HTTP under wrk" has the runs).
///
/// [`Builder::max_io_events_per_tick`]: crate::Builder::max_io_events_per_tick
pub(crate) const DEFAULT_MAX_EVENTS_PER_TICK: usize = 64;

/// The default [`Poller`]: a `mio::Poll` (epoll on Linux, kqueue on the BSDs and macOS).
pub(crate) struct MioPoller {
    poll: mio::Poll,
    events: mio::Events,
    /// Injected misbehaviour, when `TOURBILLON_FAULTS` asks for it (`faults.rs`).
    faults: Option<PollFaults>,
}

/// The shared half of [`MioPoller`]: a cloned `mio::Registry` (its own epoll fd, so it stays
/// valid after the `MioPoller` is dropped) and the `mio::Waker` that interrupts the poll.
pub(crate) struct MioRegistrar {
    registry: mio::Registry,
    waker: mio::Waker,
}

impl MioPoller {
    /// A new poll instance, collecting at most `max_events` (at least 1) per poll, and its
    /// shared half.
    pub(crate) fn new(max_events: usize) -> io::Result<(MioPoller, MioRegistrar)> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        let poller = MioPoller {
            poll,
            events: mio::Events::with_capacity(max_events.max(1)),
            faults: PollFaults::from_env(),
        };
        Ok((poller, MioRegistrar { registry, waker }))
    }
}

impl Poller for MioPoller {
    type Registrar = MioRegistrar;

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        on_event: impl FnMut(usize, Ready),
    ) -> io::Result<()> {
        let Some(faults) = &mut self.faults else {
            return wait(&mut self.poll, &mut self.events, timeout, on_event);
        };
        let (poll, events) = (&mut self.poll, &mut self.events);
        faults.poll(
            timeout,
            |timeout, report| wait(poll, events, timeout, report),
            on_event,
        )
    }
}

/// One wait of a `mio::Poll`, reporting every event but the waker's.
fn wait(
    poll: &mut mio::Poll,
    events: &mut mio::Events,
    timeout: Option<Duration>,
    mut on_event: impl FnMut(usize, Ready),
) -> io::Result<()> {
    poll.poll(events, timeout)?;
    for event in events.iter() {
        if event.token() != WAKE_TOKEN {
            on_event(event.token().0, Ready::from_mio(event));
        }
    }
    Ok(())
}

impl Registrar for MioRegistrar {
    fn register(&self, source: &mut impl mio::event::Source, token: usize) -> io::Result<()> {
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        self.registry.register(source, mio::Token(token), interest)
    }

    fn deregister(&self, source: &mut impl mio::event::Source, _token: usize) -> io::Result<()> {
        // epoll and kqueue find the source by its fd; the token is for the loom fake.
        self.registry.deregister(source)
    }

    fn wake(&self) -> io::Result<()> {
        self.waker.wake()
    }
}
