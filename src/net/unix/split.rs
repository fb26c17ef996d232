//! The halves of a [`UnixStream`]: borrowed ([`ReadHalf`], [`WriteHalf`]) and owned
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]), made by `stream_halves!` like `TcpStream`'s.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;

use super::UnixStream;
use crate::loom::sync::Arc;

stream_halves! {
    stream: UnixStream,
    examples: {
        setup: "# use tourbillon::net::UnixStream;
# tourbillon::block_on(async {
# #[allow(unused_mut, unused_variables)]
# let (mut stream, mut peer) = UnixStream::pair()?;
",
        peer_addr: "assert!(reader.peer_addr()?.is_unnamed()); // a `pair` is unnamed",
        local_addr: "assert!(reader.local_addr()?.is_unnamed()); // a `pair` is unnamed",
    },
    /// The reading half of a borrowed [`UnixStream`], from [`UnixStream::split`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::future::try_join;
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (mut client, mut server) = UnixStream::pair()?;
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
    /// The writing half of a borrowed [`UnixStream`], from [`UnixStream::split`].
    ///
    /// Closing it (`AsyncWriteExt::close`) shuts down the stream's write side.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (mut client, mut server) = UnixStream::pair()?;
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
    /// The reading half of a [`UnixStream`], from [`UnixStream::into_split`]; can move to its
    /// own task.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (client, mut server) = UnixStream::pair()?;
    /// let (mut reader, mut writer) = client.into_split();
    /// let writing = tourbillon::spawn(async move { writer.write_all(b"ping").await });
    /// writing.await.unwrap()?; // dropping the writer shut down the write side
    ///
    /// let mut echoed = Vec::new();
    /// let mut chunk = [0; 64];
    /// loop {
    ///     match server.read(&mut chunk).await? {
    ///         0 => break,
    ///         n => echoed.extend_from_slice(&chunk[..n]),
    ///     }
    /// }
    /// server.write_all(&echoed).await?;
    /// drop(server);
    /// let mut reply = [0; 4];
    /// let mut got = 0;
    /// while got < 4 {
    ///     got += reader.read(&mut reply[got..]).await?;
    /// }
    /// assert_eq!(&reply, b"ping");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    OwnedReadHalf,
    /// The writing half of a [`UnixStream`], from [`UnixStream::into_split`]; can move to its
    /// own task.
    ///
    /// Dropping it shuts down the stream's write side, so the peer sees EOF even while the
    /// read half lives on.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixStream;
    ///
    /// # tourbillon::block_on(async {
    /// let (client, mut server) = UnixStream::pair()?;
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
