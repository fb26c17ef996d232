//! [`AsyncFd`]: any file descriptor driven by the reactor, with readiness guards.
//!
//! An `AsyncFd` is the same registration the sockets use (`Registered`, over a source that
//! only lends mio the descriptor), so it keeps the same rules: the reactor is edge-triggered,
//! a new registration counts as ready in both directions, and readiness is cleared only by a
//! `WouldBlock` the caller reports.
//!
//! # The caller's contract
//!
//! 1. `readable()` / `writable()` return a guard as soon as the direction is *believed* ready:
//!    that may be stale (a first call, or data someone else already read). Readiness is a hint.
//! 2. Do the non-blocking syscall. If it fails with `WouldBlock`, the direction is drained:
//!    say so with [`AsyncFdReadyGuard::clear_ready`], or let
//!    [`AsyncFdReadyGuard::try_io`] do it. Only then does the next `readable()` wait.
//! 3. The clear is tick-checked: an event that arrived after the guard was made keeps the
//!    direction ready, so a clear never loses a newer event.
//! 4. Dropping a guard without clearing leaves the direction ready: the next `readable()`
//!    returns at once. Forgetting to clear after `WouldBlock` is a busy loop, not a hang.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{ready, Context, Poll};

use super::registration::Registered;
use super::scheduled_io::{Direction, ReadyEvent};

/// A file descriptor registered with the reactor, read and write, edge-triggered.
///
/// `T` owns (or borrows) the descriptor; it must be in non-blocking mode. Dropping the
/// `AsyncFd` deregisters the descriptor and drops `T` (which closes it, if `T` owns it);
/// [`into_inner`](Self::into_inner) deregisters and hands `T` back instead.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use tourbillon::io::AsyncFd;
///
/// # tourbillon::block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let a = AsyncFd::new(a)?;
///
/// b.write_all(b"ping")?;
/// let mut buf = [0; 4];
/// let n = loop {
///     let mut guard = a.readable().await?;
///     match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///         Ok(result) => break result?,
///         Err(_would_block) => continue,
///     }
/// };
/// assert_eq!(&buf[..n], b"ping");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct AsyncFd<T: AsRawFd> {
    io: Registered<FdSource<T>>,
}

/// Proof that a direction of an [`AsyncFd`] was ready, from [`AsyncFd::readable`] or
/// [`AsyncFd::writable`]. Clear it after `WouldBlock` ([`clear_ready`](Self::clear_ready)), or
/// let [`try_io`](Self::try_io) do the syscall and the clearing.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, Write};
/// use std::os::unix::net::UnixStream;
/// use tourbillon::io::AsyncFd;
///
/// # tourbillon::block_on(async {
/// let (a, _b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let a = AsyncFd::new(a)?;
///
/// // Fill the socket's buffer, doing the syscall by hand: on `WouldBlock`, clear the guard.
/// let chunk = [0; 4096];
/// let mut written = 0;
/// loop {
///     let mut guard = a.writable().await?;
///     match a.get_ref().write(&chunk) {
///         Ok(n) => written += n,
///         Err(e) if e.kind() == ErrorKind::WouldBlock => {
///             guard.clear_ready(); // the next `writable` waits for the peer to read
///             break;
///         }
///         Err(e) => return Err(e),
///     }
/// }
/// assert!(written > 0);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[must_use = "a guard does nothing unless the syscall is tried and readiness cleared on WouldBlock"]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    /// What the direction looked like when the guard was made; `None` once cleared.
    event: Option<ReadyEvent>,
}

/// The operation passed to [`AsyncFdReadyGuard::try_io`] would have blocked; the readiness is
/// cleared, so wait again.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::os::unix::net::UnixStream;
/// use tourbillon::io::{AsyncFd, TryIoError};
///
/// # tourbillon::block_on(async {
/// let (a, _b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let a = AsyncFd::new(a)?;
/// let mut guard = a.readable().await?;
/// // Nothing was written: the read would block.
/// let result: Result<std::io::Result<usize>, TryIoError> =
///     guard.try_io(|fd| fd.get_ref().read(&mut [0; 8]));
/// let err = result.unwrap_err();
/// assert_eq!(err.to_string(), "the operation would block; readiness was cleared");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TryIoError(());

/// Lends mio the descriptor of `T` (mio's `SourceFd` borrows; this owns `T` and borrows per call).
struct FdSource<T>(T);

// === impl AsyncFd ===

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers the descriptor of `inner` with the reactor of the current runtime, for read
    /// and write readiness. Both directions start ready (contract rule 1).
    ///
    /// # Errors
    /// The OS refused the registration (`inner`'s descriptor is not pollable, for a regular
    /// file, or already registered), or the runtime has shut down. `inner` is dropped.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = tourbillon::io::AsyncFd::new(a)?;
    /// let _guard = fd.writable().await?; // a fresh socket has room to write
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        Ok(AsyncFd {
            io: Registered::new(FdSource(inner))?,
        })
    }

    /// The inner value.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = tourbillon::io::AsyncFd::new(a)?;
    /// assert!(fd.get_ref().peer_addr().is_ok());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// The inner value, mutably. Replacing its descriptor is a bug: the reactor still watches
    /// the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut fd = tourbillon::io::AsyncFd::new(a)?;
    /// fd.get_mut().set_nonblocking(true)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io.get_mut().0
    }

    /// Deregisters the descriptor and returns the inner value, still open.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = tourbillon::io::AsyncFd::new(a)?;
    /// let a = fd.into_inner();
    /// assert!(a.peer_addr().is_ok());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        self.io.into_inner().0
    }

    /// Waits until the descriptor is believed readable (contract rule 1). Any number of tasks
    /// may wait at once; each is woken.
    ///
    /// # Errors
    /// The runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use tourbillon::io::AsyncFd;
    ///
    /// # tourbillon::block_on(async {
    /// let (a, mut b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = AsyncFd::new(a)?;
    /// let mut buf = [0; 8];
    /// {
    ///     // A fresh registration counts as readable; the read says there is nothing yet.
    ///     let mut guard = a.readable().await?;
    ///     assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
    /// }
    ///
    /// // Another thread writes: `readable` wakes for it.
    /// let writer = std::thread::spawn(move || b.write_all(b"ping"));
    /// let n = loop {
    ///     let mut guard = a.readable().await?;
    ///     if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
    ///         break result?;
    ///     }
    /// };
    /// writer.join().unwrap()?;
    /// assert_eq!(&buf[..n], b"ping");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Read).await
    }

    /// Waits until the descriptor is believed writable (contract rule 1). Any number of tasks
    /// may wait at once; each is woken.
    ///
    /// # Errors
    /// The runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let mut guard = a.writable().await?;
    /// let written = guard.try_io(|fd| fd.get_ref().write(b"ping")).unwrap()?;
    /// assert_eq!(written, 4);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Write).await
    }

    /// Polls for read readiness: [`readable`](Self::readable) for callers that write their own
    /// futures. It waits in the direction's single owner slot, so only the task that polled
    /// last is woken; tasks sharing one `AsyncFd` use `readable` instead.
    ///
    /// # Errors
    /// The runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let guard = poll_fn(|cx| a.poll_read_ready(cx)).await?;
    /// guard.retain_ready();
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness, as [`poll_read_ready`](Self::poll_read_ready) does for reads.
    ///
    /// # Errors
    /// The runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let guard = poll_fn(|cx| a.poll_write_ready(cx)).await?;
    /// guard.retain_ready();
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Write)
    }

    fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        let event = ready!(self.io.poll_ready(cx, direction))?;
        Poll::Ready(Ok(AsyncFdReadyGuard {
            async_fd: self,
            event: Some(event),
        }))
    }

    async fn ready(&self, direction: Direction) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.io.ready_shared(direction).await?;
        Ok(AsyncFdReadyGuard {
            async_fd: self,
            event: Some(event),
        })
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .finish()
    }
}

// === impl AsyncFdReadyGuard ===

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// Says the direction is drained (a syscall returned `WouldBlock`): the next
    /// `readable()` / `writable()` waits for a new event. An event that arrived after this
    /// guard was made is kept (contract rule 3).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let mut guard = a.readable().await?; // a fresh registration counts as ready
    /// let err = a.get_ref().read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// guard.clear_ready();
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.async_fd.io.clear_readiness(event);
        }
    }

    /// Keeps the direction ready: the next `readable()` / `writable()` returns at once. This
    /// is what dropping the guard does; the method says it out loud.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// a.writable().await?.retain_ready();
    /// let _guard = a.writable().await?; // returns at once
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn retain_ready(self) {}

    /// Runs `f` (a non-blocking syscall on the descriptor). If it fails with `WouldBlock`,
    /// clears the readiness and returns `Err(TryIoError)`: wait again. Any other result,
    /// success or error, is returned in `Ok` and leaves the readiness set.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let mut guard = a.readable().await?;
    /// // Nothing was written: the read would block, so the readiness is cleared.
    /// assert!(guard.try_io(|fd| fd.get_ref().read(&mut [0; 8])).is_err());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let guard = a.writable().await?;
    /// assert!(std::ptr::eq(guard.get_ref(), &a));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The inner value of the `AsyncFd` this guard belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = tourbillon::io::AsyncFd::new(a)?;
    /// let guard = a.writable().await?;
    /// assert!(guard.get_inner().peer_addr().is_ok());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("event", &self.event)
            .finish()
    }
}

// === impl TryIoError ===

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block; readiness was cleared")
    }
}

impl std::error::Error for TryIoError {}

// === impl FdSource ===

impl<T: AsRawFd> mio::event::Source for FdSource<T> {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}
