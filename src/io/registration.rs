//! [`Registered`]: a mio source tied to the reactor, and the try-then-wait loop every socket
//! operation runs through.
//!
//! # The caller's contract (as in mio's `Poll`)
//!
//! 1. **Try while ready.** An operation runs its syscall at once unless its direction is known
//!    to be drained: data that is already there costs one syscall, no lock and no waker clone.
//!    A new registration counts as ready, so its first operation always tries.
//! 2. **Wait only when drained.** After `WouldBlock` the direction's readiness is cleared if no
//!    event came since the attempt began (the tick check of `scheduled_io` rule 1), and the
//!    task waits for the next event — without a syscall it knows would fail.
//! 3. **Drain.** Edge-triggered readiness means the reactor reports a change, not a state: an
//!    operation that stops early keeps the readiness, so the next one tries at once. One
//!    exception, as in tokio: on a stream socket a read or write that moved fewer bytes than
//!    asked has drained the kernel's buffer, so the stream paths
//!    ([`poll_io_stream`](Registered::poll_io_stream)) clear the readiness right there (tick
//!    checked, so a newer event still wins) and save the `WouldBlock` syscall that would
//!    follow. That is one syscall in three for a request/response server. Anything else (data,
//!    EOF, an error) is returned as is and leaves the readiness set.
//! 4. **Owner or shared.** [`poll_io`](Registered::poll_io) and its stream variants
//!    wait in the direction's owner slot: for callers that hold the only right to it (`&mut`).
//!    [`async_io_shared`](Registered::async_io_shared) and
//!    [`ready_shared`](Registered::ready_shared) (`AsyncFd`'s guards) wait in a slot of their
//!    own, so any number of tasks may await them at once through `&self` (see `waiters`).
//! 5. Dropping a `Registered` deregisters the source, then closes it. Once the runtime has shut
//!    down, operations fail with an error saying so.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::ptr;
use std::task::{ready, Context, Poll};

use super::driver::{runtime_gone, Handle};
use super::poller::{MioRegistrar, Registrar};
use super::scheduled_io::{Direction, Ready, ReadyEvent, ScheduledIo, SharedWaiter};
use crate::loom::sync::Arc;

/// A mio source registered with a reactor, read and write, edge-triggered, once.
///
/// Generic over the reactor's [`Registrar`] so that the loom models run this very code on the
/// scripted fake event source; the runtime only ever uses the default, mio.
pub(crate) struct Registered<S: mio::event::Source, P: Registrar = MioRegistrar> {
    io: S,
    handle: Handle<P>,
    token: usize,
    scheduled_io: Arc<ScheduledIo>,
}

impl<S: mio::event::Source> Registered<S> {
    /// Registers `io` with the reactor of the current runtime.
    ///
    /// # Errors
    /// The runtime has shut down, or the OS refused the registration.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    pub(crate) fn new(io: S) -> io::Result<Registered<S>> {
        let handle = crate::runtime::Handle::with_current(|handle| handle.driver().io.clone());
        Registered::with_handle(io, handle)
    }
}

impl<S: mio::event::Source, P: Registrar> Registered<S, P> {
    /// Registers `io` with the reactor behind `handle`.
    ///
    /// # Errors
    /// The reactor has shut down, or the OS refused the registration.
    pub(crate) fn with_handle(mut io: S, handle: Handle<P>) -> io::Result<Registered<S, P>> {
        let (token, scheduled_io) = handle.register(&mut io)?;
        // Nothing is known yet, so both directions count as ready (rule 1): the first
        // operation tries its syscall, and data that is already there costs no wait.
        scheduled_io.set_readiness(Ready::READABLE | Ready::WRITABLE);
        Ok(Registered {
            io,
            handle,
            token,
            scheduled_io,
        })
    }

    /// The source, for syscalls that need no readiness (addresses, options, `shutdown`).
    pub(crate) fn get_ref(&self) -> &S {
        &self.io
    }

    /// The source, mutably (for `AsyncFd::get_mut`).
    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Deregisters the source and hands it back, still open (rule 5 without the close).
    pub(crate) fn into_inner(self) -> S {
        let mut this = ManuallyDrop::new(self);
        let Registered {
            io, handle, token, ..
        } = &mut *this;
        // A failure means the OS already forgot the source; the slot is released either way.
        let _ = handle.deregister(io, *token);
        // SAFETY: `this` is never used again and its destructor never runs (`ManuallyDrop`), so
        // each field is moved out exactly once: `io` is returned, the other two are dropped here.
        let (io, handle, scheduled_io) = unsafe {
            (
                ptr::read(&this.io),
                ptr::read(&this.handle),
                ptr::read(&this.scheduled_io),
            )
        };
        drop((handle, scheduled_io));
        io
    }

    /// The reactor this source is registered with (accepted streams join their listener's).
    pub(crate) fn handle(&self) -> &Handle<P> {
        &self.handle
    }

    /// The token the source is registered under (the loom fake binds its socket to it).
    #[cfg(loom)]
    pub(crate) fn token(&self) -> usize {
        self.token
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in `direction`
    /// between attempts, in the direction's owner slot (rules 1-4).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        ready!(crate::task::coop::poll_proceed(cx));
        self.poll_io_with(direction, op, |io| io.poll_ready(cx, direction), |_| false)
    }

    /// [`poll_io`](Self::poll_io) for a stream read or write of `len` bytes: a short transfer
    /// clears the readiness (rule 3).
    pub(crate) fn poll_io_stream(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        ready!(crate::task::coop::poll_proceed(cx));
        let drained = |&n: &usize| n > 0 && n < len;
        self.poll_io_with(direction, op, |io| io.poll_ready(cx, direction), drained)
    }

    /// [`poll_io_stream`](Self::poll_io_stream) as a future.
    pub(crate) async fn async_io_stream(
        &self,
        direction: Direction,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> io::Result<usize> {
        poll_fn(|cx| self.poll_io_stream(cx, direction, len, &mut op)).await
    }

    /// [`poll_io`](Self::poll_io) as a future for methods that take `&self`: waits in a slot of its own,
    /// freed when the future is dropped (rule 4).
    pub(crate) async fn async_io_shared<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = SharedWaiter::new(&self.scheduled_io, direction);
        poll_fn(|cx| {
            ready!(crate::task::coop::poll_proceed(cx));
            self.poll_io_with(direction, &mut op, |_| waiter.poll_ready(cx), |_| false)
        })
        .await
    }

    /// One attempt, no wait: `WouldBlock` at once if the direction is known drained (rule 2),
    /// else `op`, clearing the readiness if it returns `WouldBlock` (rule 1's tick check).
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.scheduled_io.ready_event(direction);
        if event.is_shutdown() {
            return Err(runtime_gone());
        }
        if !event.is_ready() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = op(&self.io);
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.scheduled_io.clear_readiness(event);
        }
        result
    }

    /// The try-then-wait loop (rules 1-3); `wait` registers the task in its slot, `drained`
    /// says whether a successful result proves the direction drained (rule 3).
    fn poll_io_with<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
        mut wait: impl FnMut(&ScheduledIo) -> Poll<ReadyEvent>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = self.scheduled_io.ready_event(direction);
            if event.is_shutdown() {
                return Poll::Ready(Err(runtime_gone()));
            }
            if !event.is_ready() {
                // Rule 2: known drained; wait for the next event instead of a failing syscall.
                if ready!(wait(&self.scheduled_io)).is_shutdown() {
                    return Poll::Ready(Err(runtime_gone()));
                }
                continue;
            }
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.scheduled_io.clear_readiness(event);
                }
                Ok(result) => {
                    if drained(&result) {
                        self.scheduled_io.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(result));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// [`poll_ready`](Self::poll_ready) as a future for methods that take `&self`: waits in a
    /// slot of its own (rule 4), so any number of tasks may wait at once.
    pub(crate) async fn ready_shared(&self, direction: Direction) -> io::Result<ReadyEvent> {
        let mut waiter = SharedWaiter::new(&self.scheduled_io, direction);
        let event = poll_fn(|cx| {
            ready!(crate::task::coop::poll_proceed(cx));
            waiter.poll_ready(cx)
        })
        .await;
        if event.is_shutdown() {
            Err(runtime_gone())
        } else {
            Ok(event)
        }
    }

    /// Waits until `direction` is ready; returns the event to clear if the readiness turns out
    /// to be stale.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let event = ready!(self.scheduled_io.poll_ready(cx, direction));
        if event.is_shutdown() {
            Poll::Ready(Err(runtime_gone()))
        } else {
            Poll::Ready(Ok(event))
        }
    }

    /// Clears the readiness `event` saw, unless a newer event arrived since.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.scheduled_io.clear_readiness(event);
    }
}

// === the byte-stream paths (TCP and Unix streams, and their halves) ===

impl<S: mio::event::Source> Registered<S>
where
    for<'a> &'a S: Read + Write,
{
    /// One `read(2)` into `buf`, waiting in the read owner slot (rules 1-4). With short reads
    /// injected (faults.rs), only part of `buf` is offered to the kernel.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let buf = super::faults::read_buf(buf);
        let len = buf.len();
        self.poll_io_stream(cx, Direction::Read, len, |mut io| io.read(buf))
    }

    /// One `write(2)` of `buf`, waiting in the write owner slot (rules 1-4).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let buf = super::faults::write_buf(buf);
        self.poll_io_stream(cx, Direction::Write, buf.len(), |mut io| io.write(buf))
    }

    /// One `writev(2)` of `bufs`, waiting in the write owner slot (rules 1, 2, 4).
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut io| io.write_vectored(bufs))
    }

    /// [`poll_read`](Self::poll_read) as a future.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let buf = super::faults::read_buf(buf);
        let len = buf.len();
        self.async_io_stream(Direction::Read, len, |mut io| io.read(buf))
            .await
    }

    /// [`poll_write`](Self::poll_write) as a future.
    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let buf = super::faults::write_buf(buf);
        self.async_io_stream(Direction::Write, buf.len(), |mut io| io.write(buf))
            .await
    }

    /// Writes all of `buf`; `WriteZero` if the socket takes no more bytes.
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl<S: mio::event::Source, P: Registrar> Drop for Registered<S, P> {
    fn drop(&mut self) {
        // Rule 5: deregister while the fd is open; the field drops after this and closes it.
        // A failure means the OS already forgot the fd; the slot is released either way.
        let _ = self.handle.deregister(&mut self.io, self.token);
    }
}

impl<S: mio::event::Source + std::fmt::Debug, P: Registrar> std::fmt::Debug for Registered<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("io", &self.io)
            .field("token", &self.token)
            .field("readiness", &self.scheduled_io)
            .finish()
    }
}
