//! The macros the stream sockets share: `TcpStream` and `UnixStream` run the same read and
//! write paths (the registration's stream paths), implement `futures_io` the same way, and
//! split into the same four halves. Each macro resolves the names it uses (`io`,
//! `SocketAddr`, `Shutdown`, `Arc`, `fmt`) where it is invoked, so a Unix half's `peer_addr`
//! returns the Unix `SocketAddr`.

/// Implements `futures_io::AsyncRead` for `$ty` through the stream that `$this => $stream` reaches
/// (the stream itself, or the one a half points to): a `TcpStream` or a `UnixStream`.
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

/// Defines the four halves of `$stream`: borrowed `ReadHalf`
/// and `WriteHalf`, owned `OwnedReadHalf` and `OwnedWriteHalf`, each with the doc attributes
/// given. The halves' methods take their examples from `half_example!` with the `examples`
/// given: `setup`, hidden lines that open an async block and bind a connected pair (`stream`,
/// the side that is split, and `peer`), and the assertions of the `peer_addr` and `local_addr`
/// examples about a read half named `reader`. A half is only a pointer to the stream plus the right to use one direction; the
/// read and write paths are the stream's own. Each direction has one owner slot in the
/// reactor; owning the half (or `&mut` to it) keeps each direction to one waiting task.
/// Dropping the owned write half shuts down the write side, so the peer sees EOF even while
/// the read half lives on.
macro_rules! stream_halves {
    (
        stream: $stream:ident,
        examples: {
            setup: $setup:literal,
            peer_addr: $peer_addr:literal,
            local_addr: $local_addr:literal,
        },
        $(#[$read_half:meta])* ReadHalf,
        $(#[$write_half:meta])* WriteHalf,
        $(#[$owned_read_half:meta])* OwnedReadHalf,
        $(#[$owned_write_half:meta])* OwnedWriteHalf,
    ) => {
        $(#[$read_half])*
        pub struct ReadHalf<'a> {
            stream: &'a $stream,
        }

        $(#[$write_half])*
        pub struct WriteHalf<'a> {
            stream: &'a $stream,
        }

        $(#[$owned_read_half])*
        pub struct OwnedReadHalf {
            stream: Arc<$stream>,
        }

        $(#[$owned_write_half])*
        pub struct OwnedWriteHalf {
            stream: Arc<$stream>,
        }

        impl<'a> ReadHalf<'a> {
            pub(super) fn new(stream: &'a $stream) -> Self {
                ReadHalf { stream }
            }
        }

        impl<'a> WriteHalf<'a> {
            pub(super) fn new(stream: &'a $stream) -> Self {
                WriteHalf { stream }
            }
        }

        impl OwnedReadHalf {
            pub(super) fn new(stream: Arc<$stream>) -> Self {
                OwnedReadHalf { stream }
            }
        }

        impl OwnedWriteHalf {
            pub(super) fn new(stream: Arc<$stream>) -> Self {
                OwnedWriteHalf { stream }
            }
        }

        impl ReadHalf<'_> {
            read_half_methods!(
                $stream,
                $setup,
                "let (reader, _writer) = stream.split();",
                $peer_addr,
                $local_addr
            );
        }

        impl OwnedReadHalf {
            read_half_methods!(
                $stream,
                $setup,
                "let (reader, _writer) = stream.into_split();",
                $peer_addr,
                $local_addr
            );
        }

        impl WriteHalf<'_> {
            write_half_methods!($stream, $setup, "let (_reader, mut writer) = stream.split();");
        }

        impl OwnedWriteHalf {
            write_half_methods!($stream, $setup, "let (_reader, mut writer) = stream.into_split();");
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                // Nothing to report to from a destructor.
                let _ = self.stream.shutdown(Shutdown::Write);
            }
        }

        delegate_async_read!(ReadHalf<'_>, half => half.stream);
        delegate_async_read!(OwnedReadHalf, half => half.stream);
        delegate_async_write!(WriteHalf<'_>, half => half.stream);
        delegate_async_write!(OwnedWriteHalf, half => half.stream);

        impl fmt::Debug for ReadHalf<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("ReadHalf").field(self.stream).finish()
            }
        }

        impl fmt::Debug for WriteHalf<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("WriteHalf").field(self.stream).finish()
            }
        }

        impl fmt::Debug for OwnedReadHalf {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("OwnedReadHalf").field(&self.stream).finish()
            }
        }

        impl fmt::Debug for OwnedWriteHalf {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("OwnedWriteHalf").field(&self.stream).finish()
            }
        }
    };
}

/// A runnable example for a method of a half: the hidden `$setup` (see `stream_halves!`), the
/// split written as `$split`, then `$body`. One example serves both the borrowed and the owned
/// halves, each with its own split.
macro_rules! half_example {
    ($setup:literal, $split:literal, $body:literal) => {
        concat!(
            "```\n",
            $setup,
            $split,
            "\n",
            $body,
            "\n# std::io::Result::Ok(())\n",
            "# }).unwrap();\n",
            "```"
        )
    };
}

/// The inherent methods of a read half of `$stream`: the stream's, for one direction. `$split`
/// makes the half, named `reader`, for the examples; `$peer_addr` and `$local_addr` are the
/// bodies of the address methods' examples.
macro_rules! read_half_methods {
    ($stream:ident, $setup:literal, $split:literal, $peer_addr:literal, $local_addr:literal) => {
        #[doc = concat!("Reads into `buf`, as [`", stringify!($stream), "::read`]: `Ok(0)` is EOF.")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::read`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, "# let mut reader = reader;
peer.write_all(b\"hi\").await?;
let mut buf = [0; 2];
let n = reader.read(&mut buf).await?;
assert!(n > 0 && buf[..n] == b\"hi\"[..n]);")]
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.stream.read_shared(buf).await
        }

        #[doc = concat!("The address of the peer, as [`", stringify!($stream), "::peer_addr`].")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::peer_addr`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, $peer_addr)]
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.stream.peer_addr()
        }

        #[doc = concat!("The local address, as [`", stringify!($stream), "::local_addr`].")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::local_addr`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, $local_addr)]
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.stream.local_addr()
        }
    };
}

/// The inherent methods of a write half of `$stream`: the stream's, for one direction. `$split`
/// makes the half, named `writer`, for the examples.
macro_rules! write_half_methods {
    ($stream:ident, $setup:literal, $split:literal) => {
        #[doc = concat!("Writes some of `buf`, as [`", stringify!($stream), "::write`].")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::write`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, "let n = writer.write(b\"hello\").await?;
assert!(0 < n && n <= 5);")]
        pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.stream.write_shared(buf).await
        }

        #[doc = concat!("Writes all of `buf`, as [`", stringify!($stream), "::write_all`].")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::write_all`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, "writer.write_all(b\"hello\").await?;
let mut buf = [0; 5];
{
    use futures_util::io::AsyncReadExt; // in a block: its `split` would hide the stream's
    peer.read_exact(&mut buf).await?;
}
assert_eq!(&buf, b\"hello\");")]
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            self.stream.write_all_shared(buf).await
        }

        #[doc = concat!("Succeeds at once, as [`", stringify!($stream), "::flush`].")]
        ///
        /// # Errors
        /// Never.
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, "writer.write_all(b\"sent\").await?;
writer.flush().await?; // nothing is buffered: a no-op")]
        pub async fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }

        /// Shuts down the stream's write side: the peer reads EOF after the data sent so far.
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($stream), "::shutdown`].")]
        ///
        /// # Examples
        ///
        #[doc = half_example!($setup, $split, "writer.write_all(b\"bye\").await?;
writer.shutdown()?;
let mut all = Vec::new();
{
    use futures_util::io::AsyncReadExt; // in a block: its `split` would hide the stream's
    peer.read_to_end(&mut all).await?;
}
assert_eq!(all, b\"bye\");")]
        pub fn shutdown(&self) -> io::Result<()> {
            self.stream.shutdown(Shutdown::Write)
        }
    };
}
