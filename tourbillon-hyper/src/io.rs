//! [`TourbillonIo`]: a tourbillon socket (or any `futures-io` type) as hyper's `Read`/`Write`,
//! and the way back: a hyper connection (an upgraded one) as `futures-io`.
//!
//! The read and write paths, and why reads pick a path by type, are documented on the type.

use std::any::Any;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use tourbillon::net::TcpStream;

/// A tourbillon socket as a hyper connection: implements `hyper::rt::Read` and
/// `hyper::rt::Write` for [`TcpStream`] and for any `futures_io::AsyncRead + AsyncWrite` type
/// (tourbillon's `UnixStream`, a TLS stream, ...).
///
/// The other way round, it implements `futures_io::AsyncRead` and `AsyncWrite` for a hyper
/// `Read + Write` type, such as the `hyper::upgrade::Upgraded` connection a `101 Switching
/// Protocols` leaves (then `futures_util::io`'s extension traits work on it). That direction
/// reads through a `hyper::rt::ReadBuf` over the caller's initialised bytes: no copy.
///
/// # Reading into hyper's buffer
///
/// hyper reads into a `ReadBufCursor` over memory that may be uninitialised.
///
/// - A [`TcpStream`] reads straight into it with [`TcpStream::poll_read_uninit`] (`read(2)`
///   into the `MaybeUninit` bytes): no zero-filling, no copy, and only the bytes the kernel
///   wrote are marked filled.
/// - Any other type has only `futures_io::AsyncRead::poll_read`, which takes initialised bytes:
///   the unfilled part of hyper's buffer is zero-filled first (`initialize_unfilled`), then
///   read into. Correct, at the cost of a `memset` of the buffer per read.
///
/// `futures-io` has no trait for the first path, and stable Rust has no specialisation, so the
/// choice is made by type: [`TourbillonIo`] asks whether its `T` *is* `TcpStream`
/// (`Any::downcast_mut`, decided at compile time after monomorphisation). That is why the
/// hyper impls need `T: 'static`, which every socket type meets; they also need `T: Unpin`,
/// as hyper's connections do of their I/O anyway.
///
/// # Writing
///
/// Writes, vectored writes, flush and shutdown (`poll_close`) go straight to the `futures-io`
/// methods. `is_write_vectored` is `true` for `TcpStream` (its vectored write is one
/// `writev(2)`), so hyper hands it its header and body buffers together; for other types it is
/// `false` (futures-io cannot say whether a type's vectored write is real), and hyper flattens
/// its buffers into one before writing.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{TcpListener, TcpStream};
/// use tourbillon_hyper::TourbillonIo;
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let stream = TcpStream::connect(listener.local_addr()?).await?;
/// let io = TourbillonIo::new(stream);
/// let (_sender, _connection) = hyper::client::conn::http1::handshake::<_, String>(io)
///     .await
///     .unwrap();
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TourbillonIo<T> {
    inner: T,
}

impl<T> TourbillonIo<T> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// # let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = tourbillon::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let io = tourbillon_hyper::TourbillonIo::new(stream);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn new(inner: T) -> TourbillonIo<T> {
        TourbillonIo { inner }
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// # let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = tourbillon::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let io = tourbillon_hyper::TourbillonIo::new(stream);
    /// assert_eq!(io.inner().peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// # let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = tourbillon::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let mut io = tourbillon_hyper::TourbillonIo::new(stream);
    /// io.inner_mut().write_all(b"raw bytes before hyper takes over").await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the value.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// # let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = tourbillon::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let stream = tourbillon_hyper::TourbillonIo::new(stream).into_inner();
    /// stream.shutdown(std::net::Shutdown::Write)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: 'static> TourbillonIo<T> {
    /// The wrapped value if it is a [`TcpStream`] (the type test of the type's docs).
    fn as_tcp(&mut self) -> Option<&mut TcpStream> {
        (&mut self.inner as &mut dyn Any).downcast_mut::<TcpStream>()
    }
}

impl<T> hyper::rt::Read for TourbillonIo<T>
where
    T: AsyncRead + Unpin + 'static,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = match this.as_tcp() {
            Some(stream) => {
                // SAFETY: `poll_read_uninit` only writes into the slice (`read(2)`), so no
                // initialised byte of hyper's buffer becomes uninitialised (`as_mut`'s rule).
                let unfilled = unsafe { buf.as_mut() };
                ready!(stream.poll_read_uninit(cx, unfilled))?
            }
            None => {
                let unfilled = buf.initialize_unfilled();
                let len = unfilled.len();
                let n = ready!(Pin::new(&mut this.inner).poll_read(cx, unfilled))?;
                // `poll_read` is a safe trait method: a wrong count must not reach `advance`.
                assert!(
                    n <= len,
                    "AsyncRead::poll_read returned {n} for a {len}-byte buffer"
                );
                n
            }
        };
        // SAFETY: the first `n` bytes of the unfilled part are initialised (`advance`'s rule):
        // by `read(2)` for a `TcpStream` (which writes at most the slice's length), by
        // `initialize_unfilled` for anything else (and `n` was checked against its length).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T> hyper::rt::Write for TourbillonIo<T>
where
    T: AsyncWrite + Unpin + 'static,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        (&self.inner as &dyn Any).is::<TcpStream>()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

// === the way back: hyper's Read/Write as futures-io ===

impl<T> AsyncRead for TourbillonIo<T>
where
    T: hyper::rt::Read + Unpin,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = hyper::rt::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.inner).poll_read(cx, read_buf.unfilled()))?;
        Poll::Ready(Ok(read_buf.filled().len()))
    }
}

impl<T> AsyncWrite for TourbillonIo<T>
where
    T: hyper::rt::Write + Unpin,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
