//! tokio's `AsyncRead` / `AsyncWrite` for the stream types (feature `tokio-io`), so code written
//! against tokio's I/O traits runs on tourbillon sockets: tokio-util's codecs and
//! `io::copy`, tokio-rustls, tower's and tonic's transports.
//!
//! Only the `tokio` crate's traits are used (the crate with no features: no runtime, no reactor,
//! no threads). Each impl goes through the type's `futures_io` impl, the one source of truth for
//! how a socket reads and writes, so the two families of traits cannot disagree:
//!
//! | tokio | futures-io |
//! |---|---|
//! | `poll_read(ReadBuf)` | `poll_read` into the buffer's unfilled part |
//! | `poll_write`, `poll_write_vectored` | the same (vectored writes are real `writev` calls) |
//! | `poll_flush` | `poll_flush` (nothing is buffered: ready at once) |
//! | `poll_shutdown` | `poll_close` (shuts down the write side) |
//!
//! A `ReadBuf` may hand out uninitialised memory, which a `&mut [u8]` must never see: the part
//! about to be read into is zeroed first (`ReadBuf::initialize_unfilled`, which zeroes only what
//! no earlier read initialised).
//!
//! A new stream type gets both traits by joining the lists at the bottom of this file.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{tcp, unix};

/// tokio's `poll_read` through futures-io's: reads into the unfilled part of `buf`.
fn poll_read<T: futures_io::AsyncRead + ?Sized>(
    io: Pin<&mut T>,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(io.poll_read(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Implements `tokio::io::AsyncRead` for each type, through its `futures_io::AsyncRead`.
macro_rules! tokio_async_read {
    ($($ty:ty),* $(,)?) => {$(
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read(self, cx, buf)
            }
        }
    )*};
}

/// Implements `tokio::io::AsyncWrite` for each type, through its `futures_io::AsyncWrite`.
macro_rules! tokio_async_write {
    ($($ty:ty),* $(,)?) => {$(
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
    )*};
}

tokio_async_read!(
    tcp::TcpStream,
    tcp::ReadHalf<'_>,
    tcp::OwnedReadHalf,
    unix::UnixStream,
    unix::ReadHalf<'_>,
    unix::OwnedReadHalf
);
tokio_async_write!(
    tcp::TcpStream,
    tcp::WriteHalf<'_>,
    tcp::OwnedWriteHalf,
    unix::UnixStream,
    unix::WriteHalf<'_>,
    unix::OwnedWriteHalf
);
