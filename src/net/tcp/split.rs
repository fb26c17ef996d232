//! The halves of a [`TcpStream`]: borrowed ([`ReadHalf`], [`WriteHalf`]) and owned
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! A half is only a pointer to the stream plus the right to use one direction: the read and
//! write paths are the stream's own. Each direction has one owner slot in the reactor; owning
//! the half (or `&mut` to it) keeps each direction to one waiting task. The four types are
//! made by `stream_halves!`, which makes `UnixStream`'s too.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};

use super::TcpStream;
use crate::loom::sync::Arc;

stream_halves! {
    stream: TcpStream,
    examples: {
        setup: "# use tourbillon::net::{TcpListener, TcpStream};
# tourbillon::block_on(async {
# let listener = TcpListener::bind(\"127.0.0.1:0\").await?;
# #[allow(unused_mut)]
# let mut stream = TcpStream::connect(listener.local_addr()?).await?;
# #[allow(unused_mut, unused_variables)]
# let (mut peer, _) = listener.accept().await?;
",
        peer_addr: "assert_eq!(reader.peer_addr()?, peer.local_addr()?);",
        local_addr: "assert_eq!(reader.local_addr()?, peer.peer_addr()?);",
    },
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
    ReadHalf,
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
    WriteHalf,
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
    OwnedReadHalf,
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
    /// writing.await.unwrap()?;
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
    OwnedWriteHalf,
}
