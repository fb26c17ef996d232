//! [`TcpStream`]: a connected TCP socket.
//!
//! The read and write paths are the registration's stream paths (`Registered::poll_read` and
//! its siblings, which `UnixStream` runs too), reached through `&TcpStream`; the stream's
//! `&mut self` methods and both kinds of halves call them. `&mut self` (or owning a half) is
//! what keeps to one reader and one writer at a time.
//!
//! Connect follows mio's recipe: a non-blocking `connect(2)`, wait until writable, then
//! `SO_ERROR` (`take_error`) says whether it failed; `peer_addr` failing with `NotConnected`
//! means the writability was spurious, so clear it and wait again.
//!
//! [`TcpStream::poll_read_uninit`] reads into uninitialised memory with `read(2)` itself, for
//! adapters whose buffers are `MaybeUninit` (hyper's); everything else goes through mio.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::task::{ready, Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::io::{Direction, Registered};
use crate::loom::sync::Arc;

/// A TCP connection.
///
/// Read and write with the inherent async methods, or through `futures_io::AsyncRead` /
/// `AsyncWrite` (and so with `futures_util::io::{AsyncReadExt, AsyncWriteExt}`). Dropping the
/// stream deregisters it and closes the socket.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
///
/// client.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// let mut got = 0;
/// while got < buf.len() {
///     got += server.read(&mut buf[got..]).await?;
/// }
/// assert_eq!(&buf, b"hello");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct TcpStream {
    io: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    pub(super) fn from_registered(io: Registered<mio::net::TcpStream>) -> TcpStream {
        TcpStream { io }
    }

    /// Connects to the first address `addr` resolves to that accepts the connection.
    ///
    /// # Errors
    /// Every address failed (the last error is returned: `ConnectionRefused` for a closed
    /// port, as soon as the OS reports it), or `addr` resolved to none.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tourbillon::net::{TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// assert!(TcpStream::connect(addr).await.is_ok());
    ///
    /// drop(listener);
    /// let refused = TcpStream::connect(addr).await.unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(crate::net::no_addresses))
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connected(mio::net::TcpStream::connect(addr)?).await
    }

    /// Registers a socket whose non-blocking `connect(2)` has been issued, and waits for the
    /// connection (`TcpSocket::connect` comes here too).
    pub(super) async fn connected(socket: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream {
            io: Registered::new(socket)?,
        };
        std::future::poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let event = ready!(self.io.poll_ready(cx, Direction::Write))?;
            if let Some(e) = self.io.get_ref().take_error()? {
                return Poll::Ready(Err(e));
            }
            match self.io.get_ref().peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    self.io.clear_readiness(event);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
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
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let stream = tourbillon::net::TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: Registered::new(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// Reads into `buf`; returns how many bytes were read. `Ok(0)` means the peer shut down its
    /// writing side (or `buf` is empty); every later read returns `Ok(0)` too.
    ///
    /// # Errors
    /// The OS error of `read(2)` (`ConnectionReset`, ...), or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use tourbillon::net::{TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// client.shutdown(Shutdown::Write)?;
    /// assert_eq!(server.read(&mut [0; 16]).await?, 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_shared(buf).await
    }

    /// Polls a read into `buf`, which may be uninitialised: `read(2)` writes straight into it,
    /// with no zero-filling first and no copy after. On `Ready(Ok(n))` the first `n` bytes of
    /// `buf` are initialised and hold the data; the rest of `buf` is untouched (still
    /// uninitialised if it was). `Ok(0)` means EOF (or `buf` is empty), as for
    /// [`read`](Self::read).
    ///
    /// This is what adapters to `read_buf`-style APIs need (hyper's `ReadBufCursor`, tokio's
    /// `ReadBuf`): `futures_io::AsyncRead` takes `&mut [u8]`, which must be initialised.
    /// `Pending` registers the task of `cx` to be woken when the socket becomes readable.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::mem::MaybeUninit;
    /// use tourbillon::net::{TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"hello").await?;
    ///
    /// let mut buf = [MaybeUninit::<u8>::uninit(); 64];
    /// let n = std::future::poll_fn(|cx| server.poll_read_uninit(cx, &mut buf)).await?;
    /// // SAFETY: `poll_read_uninit` initialised the first `n` bytes.
    /// let data = unsafe { &*(&buf[..n] as *const [MaybeUninit<u8>] as *const [u8]) };
    /// assert_eq!(data, b"hello");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[cfg(unix)]
    pub fn poll_read_uninit(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        use std::os::fd::AsRawFd;
        let len = buf.len();
        self.io.poll_io_stream(cx, Direction::Read, len, |socket| {
            // SAFETY: `buf` is valid for writes of `len` bytes for the whole call (we hold
            // it `&mut`), and `read(2)` only writes to it, at most `len` bytes, never
            // reading it: uninitialised memory is never read. The descriptor is the
            // socket's own, open while `socket` is borrowed.
            let n = unsafe { libc::read(socket.as_raw_fd(), buf.as_mut_ptr().cast(), len) };
            // A negative return is an error in errno; otherwise `0 <= n <= len`.
            usize::try_from(n).map_err(|_| io::Error::last_os_error())
        })
    }

    /// Writes some of `buf`; returns how many bytes were written.
    ///
    /// # Errors
    /// The OS error of `write(2)` (`BrokenPipe`, `ConnectionReset`, ...), or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let written = stream.write(b"ping").await?;
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
    /// As [`write`](Self::write); `WriteZero` if the socket accepts no more bytes. Part of `buf`
    /// may have been written when an error is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_shared(buf).await
    }

    /// Does nothing and succeeds: a TCP socket has no user-space buffer, every `write` has
    /// already reached the kernel. (Here so code written against buffered writers reads the
    /// same.)
    ///
    /// # Errors
    /// Never.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.write_all(b"ping").await?;
    /// stream.flush().await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read side, the write side, or both (`shutdown(2)`). After
    /// `Shutdown::Write` the peer reads EOF once it has read everything sent before.
    ///
    /// A peer that is already gone (it reset the connection, so the OS says `NotConnected`)
    /// counts as success, as in tokio: the side is shut either way, and whether the reset came
    /// first is a race the caller cannot control. The same holds for `poll_close`.
    ///
    /// # Errors
    /// Any other OS error of `shutdown(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.shutdown(Shutdown::Write)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get_ref().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }

    /// Sets `TCP_NODELAY`: when `true`, small writes go out at once instead of being coalesced
    /// (Nagle's algorithm off).
    ///
    /// # Errors
    /// The OS error of `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// The OS error of `getpeername(2)` (`NotConnected` after a reset).
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
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
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(stream.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Borrows the stream as a read half and a write half that can be driven concurrently
    /// (for example by two futures joined in one task).
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_reader, mut writer) = stream.split();
    /// writer.write_all(b"ping").await?;
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
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_reader, mut writer) = stream.into_split();
    /// let writing = tourbillon::spawn(async move { writer.write_all(b"ping").await });
    /// writing.await.unwrap()?;
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

// === readiness, try_ and std conversions ===

impl TcpStream {
    /// Waits until the stream is believed readable: data, EOF or an error is there, or the
    /// stream is new. The readiness can be stale; [`try_read`](Self::try_read) says for sure
    /// and clears it when it fails with `WouldBlock`. Any number of tasks may wait at once.
    ///
    /// # Errors
    /// The runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// client.write_all(b"ping").await?;
    ///
    /// let mut buf = [0; 4];
    /// let mut got = 0;
    /// while got < 4 {
    ///     server.readable().await?;
    ///     match server.try_read(&mut buf[got..]) {
    ///         Ok(n) => got += n,
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!(&buf, b"ping");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready_shared(Direction::Read).await.map(drop)
    }

    /// Waits until the stream is believed writable, as [`readable`](Self::readable) does for
    /// reading; [`try_write`](Self::try_write) says for sure.
    ///
    /// # Errors
    /// The runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.writable().await?;
    /// assert_eq!(stream.try_write(b"ping")?, 4);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready_shared(Direction::Write).await.map(drop)
    }

    /// Reads into `buf` without waiting. `Ok(0)` is EOF.
    ///
    /// # Errors
    /// `WouldBlock` if no data is there (the read readiness is then cleared, so
    /// [`readable`](Self::readable) waits for the next event); otherwise as
    /// [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    ///
    /// let mut buf = [0; 16];
    /// // Nothing was sent: the read would block.
    /// let err = server.try_read(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///
    /// drop(client); // the peer closes: the next successful read is EOF
    /// let n = loop {
    ///     server.readable().await?;
    ///     match server.try_read(&mut buf) {
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///         result => break result?,
    ///     }
    /// };
    /// assert_eq!(n, 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |mut socket| socket.read(buf))
    }

    /// Writes some of `buf` without waiting.
    ///
    /// # Errors
    /// `WouldBlock` if the send buffer is full (the write readiness is then cleared, so
    /// [`writable`](Self::writable) waits for the next event); otherwise as
    /// [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_server, _) = listener.accept().await?; // never reads
    ///
    /// // Write until the kernel's buffers are full: then the write would block.
    /// let chunk = [0; 64 * 1024];
    /// let mut sent = 0;
    /// loop {
    ///     match stream.try_write(&chunk) {
    ///         Ok(n) => sent += n,
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert!(sent > 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |mut socket| socket.write(buf))
    }

    /// Reads into `buf` without consuming: the next read returns the same bytes. Waits until
    /// some data (or EOF) is there.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"x").await?;
    ///
    /// let mut buf = [0; 1];
    /// assert_eq!(server.peek(&mut buf).await?, 1);
    /// assert_eq!(server.read(&mut buf).await?, 1); // still there
    /// assert_eq!(&buf, b"x");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io_shared(Direction::Read, |socket| socket.peek(buf))
            .await
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
    /// use std::io::Write;
    /// # use tourbillon::net::{TcpListener, TcpStream};
    /// # tourbillon::block_on(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let mut std_stream = stream.into_std()?;
    /// std_stream.set_nonblocking(false)?;
    /// std_stream.write_all(b"blocking now")?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner().into())
    }
}

delegate_async_read!(TcpStream, stream => stream);
delegate_async_write!(TcpStream, stream => stream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}
