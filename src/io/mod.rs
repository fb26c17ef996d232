//! Asynchronous I/O on any file descriptor: [`AsyncFd`] and its readiness guards.
//!
//! The sockets of [`net`](crate::net) are built on the reactor in this module; [`AsyncFd`] is
//! its public face, so pipes, eventfds, netlink sockets or a user's own socket type can be
//! driven by the same readiness code.
//!
//! # The reactor (crate-private)
//!
//! Data flows top to bottom through a few small files:
//!
//! - `poller`: the `Poller`/`Registrar` traits between the reactor and mio (edge-triggered),
//!   and their mio implementation. A loom model substitutes a scripted fake.
//! - `scheduled_io`: per registration, one readiness word (bits plus a read and a write tick)
//!   and the waiting tasks of each direction (`waiters`: an owner slot, plus keyed slots for
//!   tasks sharing a socket through `&self`). The tick rule: after `WouldBlock`, readiness is
//!   cleared only if no event came since the attempt began, so a newer event is never lost.
//! - `driver`: the `Driver` the runtime blocks in (`turn`) and the shared `Handle`
//!   (`register`, `unpark`, `shutdown`). Only the driver frees registrations, so an in-flight
//!   event never reaches a slot that was reused; `unpark` costs a syscall only when a turn is
//!   blocked.
//! - `fake` (only under `--cfg loom`): a scripted in-memory event source implementing the
//!   poller traits, so the loom models in `loom-tests/tests/reactor.rs` run all of the above.
//! - `registration`: `Registered`, a mio source tied to the reactor, and the try-the-syscall-
//!   first loop every socket operation runs through.
//! - `async_fd`: [`AsyncFd`], a `Registered` over any descriptor, with readiness guards.
//! - `faults`: misbehaviour on demand (`TOURBILLON_FAULTS=spurious,late,eintr,short`): spurious,
//!   late and interrupted polls wrapped around the mio poller, short TCP reads and writes.
//!
//! # What the runtime does
//!
//! - Exactly one thread at a time holds the `Driver` and calls `turn`: with the park timeout
//!   when it has nothing else to do, with `Some(Duration::ZERO)` every few scheduler ticks while
//!   busy (events are dispatched only by turns: without them sockets starve).
//! - Anyone who makes work for a parked driver thread calls `Handle::unpark`.
//! - After every task is dropped, the runtime calls `Handle::shutdown` once. Sockets that
//!   outlive it fail their operations with an error and still close cleanly when dropped.

#[cfg(unix)]
mod async_fd;
mod driver;
#[cfg(loom)]
pub(crate) mod fake;
pub(crate) mod faults;
mod poller;
mod registration;
mod scheduled_io;
mod waiters;

#[cfg(unix)]
pub use async_fd::{AsyncFd, AsyncFdReadyGuard, TryIoError};
pub(crate) use driver::{Driver, Handle};
pub(crate) use poller::DEFAULT_MAX_EVENTS_PER_TICK;
pub(crate) use registration::Registered;
pub(crate) use scheduled_io::Direction;
#[cfg(all(unix, not(loom)))]
pub(crate) use waiters::DirectionWaiters;

#[cfg(all(test, not(loom)))]
mod tests;
