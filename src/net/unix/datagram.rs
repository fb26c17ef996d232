//! [`UnixDatagram`]: datagrams between Unix domain sockets.
//!
//! Every method takes `&self`, as `UdpSocket`'s do, so a socket can be shared (in an `Arc`) by
//! tasks that send and receive at once; each waiting task gets its own waiter slot.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::{Direction, Registered};

/// A Unix domain datagram socket.
///
/// # Examples
///
/// ```
/// use tourbillon::net::UnixDatagram;
///
/// # tourbillon::block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"ping").await?;
/// let mut buf = [0; 16];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"ping");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct UnixDatagram {
    io: Registered<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds a socket to `path` (which must not exist yet).
    ///
    /// # Errors
    /// The OS error of `bind(2)` (`AddrInUse` if the file exists), or the runtime has shut
    /// down.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("datagram.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.send_to(b"hello", &path).await?;
    /// let mut buf = [0; 16];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hello");
    /// assert!(from.is_unnamed());
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::register(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send with [`send_to`](Self::send_to) or
    /// [`connect`](Self::connect), and receive only from sockets that know it.
    ///
    /// # Errors
    /// The OS error of `socket(2)`, or the runtime has shut down.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// let socket = UnixDatagram::unbound()?;
    /// assert!(socket.local_addr()?.is_unnamed());
    /// // Neither bound nor connected: `send` has no destination.
    /// let err = socket.send(b"lost").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotConnected);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::register(mio::net::UnixDatagram::unbound()?)
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
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"one").await?;
    /// a.send(b"two").await?;
    /// // Datagrams keep their boundaries.
    /// let mut buf = [0; 16];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"one");
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"two");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        let a = Registered::new(a)?;
        let b = Registered::with_handle(b, a.handle().clone())?;
        Ok((UnixDatagram { io: a }, UnixDatagram { io: b }))
    }

    /// Wraps a socket made with the standard library; it is switched to non-blocking mode.
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
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    /// let a = tourbillon::net::UnixDatagram::from_std(a)?;
    /// b.send(b"std")?;
    /// let mut buf = [0; 8];
    /// assert_eq!(a.recv(&mut buf).await?, 3);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::register(mio::net::UnixDatagram::from_std(socket))
    }

    fn register(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Registered::new(socket)?,
        })
    }

    /// Sets the default destination (and the only source [`recv`](Self::recv) accepts).
    ///
    /// # Errors
    /// The OS error of `connect(2)` (`NotFound` if nothing is bound at `path`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("datagram-connect.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// client.send(b"hi").await?;
    /// assert_eq!(server.recv(&mut [0; 8]).await?, 2);
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the connected peer; returns its length.
    ///
    /// # Errors
    /// The OS error of `send(2)` (`NotConnected` without a peer), or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, b) = tourbillon::net::UnixDatagram::pair()?;
    /// assert_eq!(a.send(b"ping").await?, 4); // a datagram goes whole
    /// assert_eq!(b.recv(&mut [0; 16]).await?, 4);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io_shared(Direction::Write, |socket| socket.send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length (the rest
    /// of a datagram longer than `buf` is discarded).
    ///
    /// # Errors
    /// The OS error of `recv(2)`, or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, b) = tourbillon::net::UnixDatagram::pair()?;
    /// a.send(b"longer than the buffer").await?;
    /// let mut buf = [0; 6];
    /// assert_eq!(b.recv(&mut buf).await?, 6);
    /// assert_eq!(&buf, b"longer"); // the rest of the datagram is gone
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io_shared(Direction::Read, |socket| socket.recv(buf))
            .await
    }

    /// Sends `buf` as one datagram to the socket bound at `path`.
    ///
    /// # Errors
    /// The OS error of `sendto(2)`, or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("send_to.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// // Any number of unconnected sockets may send to one bound socket.
    /// for client in [UnixDatagram::unbound()?, UnixDatagram::unbound()?] {
    ///     assert_eq!(client.send_to(b"hello", &path).await?, 5);
    /// }
    /// let mut buf = [0; 16];
    /// assert_eq!(server.recv(&mut buf).await?, 5);
    /// assert_eq!(server.recv(&mut buf).await?, 5);
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .async_io_shared(Direction::Write, |socket| socket.send_to(buf, path))
            .await
    }

    /// Receives one datagram into `buf`; returns its length and the sender's address.
    ///
    /// # Errors
    /// The OS error of `recvfrom(2)`, or the runtime is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UnixDatagram;
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let server_path = dir.join("recv_from-server.sock");
    /// let client_path = dir.join("recv_from-client.sock");
    /// # let _ = std::fs::remove_file(&server_path);
    /// # let _ = std::fs::remove_file(&client_path);
    /// let server = UnixDatagram::bind(&server_path)?;
    /// let client = UnixDatagram::bind(&client_path)?;
    /// client.send_to(b"ping", &server_path).await?;
    ///
    /// // A bound sender has an address to reply to.
    /// let mut buf = [0; 16];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// let from = from.as_pathname().expect("the client is bound");
    /// assert_eq!(from, client_path.as_path());
    /// server.send_to(&buf[..n], from).await?;
    /// assert_eq!(client.recv(&mut buf).await?, 4);
    /// # std::fs::remove_file(&server_path)?;
    /// # std::fs::remove_file(&client_path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io_shared(Direction::Read, |socket| socket.recv_from(buf))
            .await
    }

    /// The address the socket is bound to (unnamed if it is not).
    ///
    /// # Errors
    /// The OS error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::UnixDatagram::unbound()?;
    /// assert!(socket.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    /// The OS error of `getpeername(2)` (`NotConnected` without a peer).
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let (a, _b) = tourbillon::net::UnixDatagram::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl std::os::fd::AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixDatagram {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}
