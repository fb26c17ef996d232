//! TCP: [`TcpListener`], [`TcpStream`], and the halves a stream splits into.
//!
//! [`TcpStream::split`] borrows the stream and gives a [`ReadHalf`] and a [`WriteHalf`] that two
//! futures of one task can drive at once. [`TcpStream::into_split`] gives owned halves
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]) that can move to different spawned tasks.

/// Implements `futures_io::AsyncRead` for `$ty` through the `TcpStream` that `$this => $stream`
/// reaches (the stream itself, or the one a half points to).
macro_rules! delegate_async_read {
    ($ty:ty, $this:ident => $stream:expr) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_read_shared(cx, buf)
            }
        }
    };
}

/// Implements `futures_io::AsyncWrite` for `$ty` like [`delegate_async_read`]. `poll_flush` has
/// nothing to do (no user-space buffer); `poll_close` shuts down the write side.
macro_rules! delegate_async_write {
    ($ty:ty, $this:ident => $stream:expr) => {
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_shared(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_vectored_shared(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                $stream.poll_close_shared()
            }
        }
    };
}

mod listener;
mod split;
mod stream;

pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::TcpStream;
