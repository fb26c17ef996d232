//! [`UnixStream`]: a connected Unix domain stream socket.
//!
//! Its read and write paths are the registration's stream paths, the ones `TcpStream` runs
//! too; `&mut self` (or owning a half) keeps to one reader and one writer at a time.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::io::Registered;
use crate::loom::sync::Arc;

/// A connected Unix domain stream socket.
///
/// Read and write with the inherent async methods, or through `futures_io::AsyncRead` /
/// `AsyncWrite`. Dropping the stream deregisters it and closes the socket.
///
/// # Examples
///
/// ```
/// use tourbillon::net::UnixStream;
///
/// # tourbillon::block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// let mut got = 0;
/// while got < buf.len() {
///     got += b.read(&mut buf[got..]).await?;
/// }
/// assert_eq!(&buf, b"hello");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct UnixStream {
    io: Registered<mio::net::UnixStream>,
}

impl UnixStream {
    pub(super) fn from_registered(io: Registered<mio::net::UnixStream>) -> UnixStream {
        UnixStream { io }
    }

    /// Connects to the socket bound at `path`.
    ///
    /// # Errors
    /// The OS error of `connect(2)`: `NotFound` if nothing is bound there,
    /// `ConnectionRefused` if nobody listens.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{UnixListener, UnixStream};
    ///
    /// # tourbillon::block_on(async {
    /// let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("connect.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let client = UnixStream::connect(&path).await?;
    /// let (server, _) = listener.accept().await?;
    /// assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// # drop((client, server));
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        // On Linux a Unix `connect(2)` never goes in progress: it queues the connection on the
        // listener's backlog in the syscall or fails (`WouldBlock` when the backlog is full),
        // so there is no writability to wait for, unlike TCP.
        Ok(UnixStream {
            io: Registered::new(mio::net::UnixStream::connect(path)?)?,
        })
    }

    /// A pair of connected, unnamed sockets (`socketpair(2)`).
    ///
    /// # Errors
    /// The OS error of `socketpair(2)`, or the runtime has shut down.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::io::AsyncReadExt;
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed()); // no path, nothing to clean up
    /// a.write_all(b"ping").await?;
    /// b.write_all(b"pong").await?;
    /// let mut buf = [0; 4];
    /// b.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"ping");
    /// a.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"pong");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        let a = Registered::new(a)?;
        let b = Registered::with_handle(b, a.handle().clone())?;
        Ok((UnixStream { io: a }, UnixStream { io: b }))
    }

    /// Wraps a stream connected with the standard library; it is switched to non-blocking mode.
    ///
    /// # Errors
    /// The socket could not be made non-blocking or registered with the reactor.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = tourbillon::net::UnixStream::from_std(a)?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: Registered::new(mio::net::UnixStream::from_std(stream))?,
        })
    }

    /// Deregisters the stream and returns it as a standard library stream, still in
    /// non-blocking mode.
    ///
    /// # Errors
    /// Never; the `Result` mirrors tokio's signature.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// # tourbillon::block_on(async {
    /// let (a, b) = tourbillon::net::UnixStream::pair()?;
    /// let (mut a, mut b) = (a.into_std()?, b.into_std()?);
    /// a.set_nonblocking(false)?;
    /// b.write_all(b"std")?;
    /// let mut buf = [0; 3];
    /// a.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"std");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner().into())
    }

    /// Reads into `buf`; returns how many bytes were read. `Ok(0)` means the peer shut down
    /// its writing side (or `buf` is empty).
    ///
    /// # Errors
    /// The OS error of `read(2)`, or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (mut a, b) = tourbillon::net::UnixStream::pair()?;
    /// drop(b);
    /// assert_eq!(a.read(&mut [0; 16]).await?, 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_shared(buf).await
    }

    /// Writes some of `buf`; returns how many bytes were written.
    ///
    /// # Errors
    /// The OS error of `write(2)` (`BrokenPipe`, ...), or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (mut a, _b) = tourbillon::net::UnixStream::pair()?;
    /// let written = a.write(b"ping").await?;
    /// assert!(written > 0 && written <= 4);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_shared(buf).await
    }

    /// Writes all of `buf`, waiting for the socket to drain as often as needed.
    ///
    /// # Errors
    /// As [`write`](Self::write); `WriteZero` if the socket accepts no more bytes. Part of
    /// `buf` may have been written when an error is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::io::AsyncReadExt;
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// // More than the socket buffers hold: `write_all` waits while the reader drains them.
    /// let message = vec![7; 1 << 20];
    /// let writer = tourbillon::spawn(async move { a.write_all(&message).await });
    /// let mut received = vec![0; 1 << 20];
    /// b.read_exact(&mut received).await?;
    /// writer.await.unwrap()?;
    /// assert!(received.iter().all(|&byte| byte == 7));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_shared(buf).await
    }

    /// Does nothing and succeeds: every `write` has already reached the kernel.
    ///
    /// # Errors
    /// Never.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (mut a, _b) = tourbillon::net::UnixStream::pair()?;
    /// a.flush().await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read side, the write side, or both (`shutdown(2)`). A peer that is
    /// already gone (`NotConnected`) counts as success, as for `TcpStream::shutdown`.
    ///
    /// # Errors
    /// Any other OS error of `shutdown(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// # tourbillon::block_on(async {
    /// let (a, mut b) = tourbillon::net::UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// assert_eq!(b.read(&mut [0; 8]).await?, 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get_ref().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }

    /// The address of the peer (unnamed for a `pair` or a client that did not bind).
    ///
    /// # Errors
    /// The OS error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = tourbillon::net::UnixStream::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of the socket.
    ///
    /// # Errors
    /// The OS error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = tourbillon::net::UnixStream::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = tourbillon::net::UnixStream::pair()?;
    /// assert!(a.take_error()?.is_none());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Borrows the stream as a read half and a write half that can be driven concurrently.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::future::try_join;
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// b.write_all(b"to a").await?;
    /// // One task reads and writes at once through the borrowed halves.
    /// let (mut reader, mut writer) = a.split();
    /// let mut buf = [0; 4];
    /// let (n, ()) = try_join(reader.read(&mut buf), writer.write_all(b"to b")).await?;
    /// assert!(n > 0 && buf[..n] == b"to a"[..n]);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf::new(self), WriteHalf::new(self))
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping the
    /// write half shuts down the write side; the socket closes when both halves are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::io::AsyncReadExt;
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (a, mut b) = UnixStream::pair()?;
    /// let (mut reader, mut writer) = a.into_split();
    /// // The halves move into a task of their own: an echo.
    /// let echo = tourbillon::spawn(async move {
    ///     let mut buf = [0; 4];
    ///     reader.read_exact(&mut buf).await?;
    ///     writer.write_all(&buf).await
    /// });
    /// b.write_all(b"ping").await?;
    /// echo.await.unwrap()?;
    /// let mut reply = [0; 4];
    /// b.read_exact(&mut reply).await?;
    /// assert_eq!(&reply, b"ping");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let shared = Arc::new(self);
        (
            OwnedReadHalf::new(shared.clone()),
            OwnedWriteHalf::new(shared),
        )
    }

    // === the read and write paths, shared with the halves ===

    pub(super) fn poll_read_shared(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    pub(super) fn poll_write_shared(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(super) fn poll_write_vectored_shared(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    pub(super) fn poll_close_shared(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }

    pub(super) async fn read_shared(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    pub(super) async fn write_shared(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    pub(super) async fn write_all_shared(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }
}

delegate_async_read!(UnixStream, stream => stream);
delegate_async_write!(UnixStream, stream => stream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}
