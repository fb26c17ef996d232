//! The halves of a [`TcpStream`]: borrowed ([`ReadHalf`], [`WriteHalf`]) and owned
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! A half is only a pointer to the stream plus the right to use one direction: the read and
//! write paths are the stream's own. Each direction has one owner slot in the reactor; owning
//! the half (or `&mut` to it) keeps each direction to one waiting task.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};

use super::TcpStream;
use crate::loom::sync::Arc;

/// The reading half of a borrowed [`TcpStream`], from [`TcpStream::split`].
///
/// # Examples
///
/// ```
/// use futures_util::future::try_join;
/// use tourbillon::net::{TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
///
/// // Echo one message: the server's halves read and write concurrently.
/// let (mut reader, mut writer) = server.split();
/// let echo = async move {
///     let mut buf = [0; 4];
///     let n = reader.read(&mut buf).await?;
///     writer.write_all(&buf[..n]).await
/// };
/// let talk = async {
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     let n = client.read(&mut buf).await?;
///     Ok(buf[..n].to_vec())
/// };
/// let ((), reply) = try_join(echo, talk).await?;
/// assert_eq!(reply, b"ping"[..reply.len()]);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The writing half of a borrowed [`TcpStream`], from [`TcpStream::split`].
///
/// Closing it (`AsyncWriteExt::close`) shuts down the stream's write side.
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
/// let (_reader, mut writer) = client.split();
/// writer.write_all(b"one-way").await?;
/// writer.shutdown()?; // the server reads EOF after the message
/// let mut buf = [0; 16];
/// let mut got = 0;
/// loop {
///     match server.read(&mut buf[got..]).await? {
///         0 => break,
///         n => got += n,
///     }
/// }
/// assert_eq!(&buf[..got], b"one-way");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

/// The reading half of a [`TcpStream`], from [`TcpStream::into_split`]; can move to its own task.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let client = TcpStream::connect(listener.local_addr()?).await?;
/// let (server, _) = listener.accept().await?;
///
/// let (mut reader, _writer) = client.into_split();
/// let reading = tourbillon::spawn(async move {
///     let mut buf = Vec::new();
///     let mut chunk = [0; 64];
///     loop {
///         match reader.read(&mut chunk).await? {
///             0 => return std::io::Result::Ok(buf),
///             n => buf.extend_from_slice(&chunk[..n]),
///         }
///     }
/// });
/// drop(server); // the peer closes: the reader sees EOF
/// assert!(reading.await.unwrap()?.is_empty());
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The writing half of a [`TcpStream`], from [`TcpStream::into_split`]; can move to its own task.
///
/// Dropping it shuts down the stream's write side, so the peer sees EOF even while the read
/// half lives on.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
///
/// let (_reader, mut writer) = client.into_split();
/// let writing = tourbillon::spawn(async move {
///     writer.write_all(b"from a task").await
///     // `writer` is dropped here: the server reads EOF, though `_reader` lives on
/// });
/// writing.await??;
/// let mut buf = [0; 32];
/// let mut got = 0;
/// loop {
///     match server.read(&mut buf[got..]).await? {
///         0 => break,
///         n => got += n,
///     }
/// }
/// assert_eq!(&buf[..got], b"from a task");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
}

// === impl ReadHalf / OwnedReadHalf ===

impl<'a> ReadHalf<'a> {
    pub(super) fn new(stream: &'a TcpStream) -> Self {
        ReadHalf { stream }
    }
}

impl OwnedReadHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> Self {
        OwnedReadHalf { stream }
    }
}

/// A runnable example for a method of a half: a connected loopback pair (`stream`, the side
/// that is split, and `peer`), the split written as `$split`, then `$body`. One example serves
/// both the borrowed and the owned halves, each with its own split.
macro_rules! half_example {
    ($split:literal, $body:literal) => {
        concat!(
            "```\n",
            "# use tourbillon::net::{TcpListener, TcpStream};\n",
            "# tourbillon::block_on(async {\n",
            "# let listener = TcpListener::bind(\"127.0.0.1:0\").await?;\n",
            "# #[allow(unused_mut)]\n",
            "# let mut stream = TcpStream::connect(listener.local_addr()?).await?;\n",
            "# #[allow(unused_mut, unused_variables)]\n",
            "# let (mut peer, _) = listener.accept().await?;\n",
            $split,
            "\n",
            $body,
            "\n# std::io::Result::Ok(())\n",
            "# }).unwrap();\n",
            "```"
        )
    };
}

/// The inherent methods of a read half: the stream's, for one direction. `$split` makes the
/// half, named `reader`, for the examples.
macro_rules! read_half_methods {
    ($split:literal) => {
        /// Reads into `buf`, as [`TcpStream::read`]: `Ok(0)` is EOF.
        ///
        /// # Errors
        /// As [`TcpStream::read`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "# let mut reader = reader;
peer.write_all(b\"hi\").await?;
let mut buf = [0; 2];
let n = reader.read(&mut buf).await?;
assert!(n > 0 && buf[..n] == b\"hi\"[..n]);")]
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.stream.read_shared(buf).await
        }

        /// The address of the peer, as [`TcpStream::peer_addr`].
        ///
        /// # Errors
        /// As [`TcpStream::peer_addr`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "assert_eq!(reader.peer_addr()?, listener.local_addr()?);")]
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.stream.peer_addr()
        }

        /// The local address, as [`TcpStream::local_addr`].
        ///
        /// # Errors
        /// As [`TcpStream::local_addr`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "assert_eq!(reader.local_addr()?, peer.peer_addr()?);")]
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.stream.local_addr()
        }
    };
}

/// The inherent methods of a write half: the stream's, for one direction. `$split` makes the
/// half, named `writer`, for the examples.
macro_rules! write_half_methods {
    ($split:literal) => {
        /// Writes some of `buf`, as [`TcpStream::write`].
        ///
        /// # Errors
        /// As [`TcpStream::write`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "let n = writer.write(b\"hello\").await?;
assert!(0 < n && n <= 5);")]
        pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.stream.write_shared(buf).await
        }

        /// Writes all of `buf`, as [`TcpStream::write_all`].
        ///
        /// # Errors
        /// As [`TcpStream::write_all`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "writer.write_all(b\"hello\").await?;
let mut buf = [0; 5];
{
    use futures_util::io::AsyncReadExt; // in a block: its `split` would hide the stream's
    peer.read_exact(&mut buf).await?;
}
assert_eq!(&buf, b\"hello\");")]
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            self.stream.write_all_shared(buf).await
        }

        /// Succeeds at once, as [`TcpStream::flush`].
        ///
        /// # Errors
        /// Never.
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "writer.write_all(b\"sent\").await?;
writer.flush().await?; // nothing is buffered: a no-op")]
        pub async fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }

        /// Shuts down the stream's write side: the peer reads EOF after the data sent so far.
        ///
        /// # Errors
        /// As [`TcpStream::shutdown`].
        ///
        /// # Examples
        ///
        #[doc = half_example!($split, "writer.write_all(b\"bye\").await?;
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

impl ReadHalf<'_> {
    read_half_methods!("let (reader, _writer) = stream.split();");
}

impl OwnedReadHalf {
    read_half_methods!("let (reader, _writer) = stream.into_split();");
}

delegate_async_read!(ReadHalf<'_>, half => half.stream);
delegate_async_read!(OwnedReadHalf, half => half.stream);

// === impl WriteHalf / OwnedWriteHalf ===

impl<'a> WriteHalf<'a> {
    pub(super) fn new(stream: &'a TcpStream) -> Self {
        WriteHalf { stream }
    }
}

impl OwnedWriteHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> Self {
        OwnedWriteHalf { stream }
    }
}

impl WriteHalf<'_> {
    write_half_methods!("let (_reader, mut writer) = stream.split();");
}

impl OwnedWriteHalf {
    write_half_methods!("let (_reader, mut writer) = stream.into_split();");
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        // The peer may already be gone (`NotConnected`): nothing is left to tell it.
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

delegate_async_write!(WriteHalf<'_>, half => half.stream);
delegate_async_write!(OwnedWriteHalf, half => half.stream);

// === impl Debug ===

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
