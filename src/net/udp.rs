//! [`UdpSocket`]: datagrams over the reactor.
//!
//! Every method takes `&self`, so a socket can be shared (in an `Arc`) by any number of tasks
//! that send and receive at once; each waiting task gets its own waiter slot.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::io::{Direction, Registered};

/// A UDP socket.
///
/// # Examples
///
/// ```
/// use tourbillon::net::UdpSocket;
///
/// # tourbillon::block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"ping", b.local_addr()?).await?;
///
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, a.local_addr()?);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct UdpSocket {
    io: Registered<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to the first address `addr` resolves to that accepts the bind.
    ///
    /// # Errors
    /// Every address failed to bind (the last error is returned), or `addr` resolved to none.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let socket = super::each_addr(addr, mio::net::UdpSocket::bind)?;
        Ok(UdpSocket {
            io: Registered::new(socket)?,
        })
    }

    /// Wraps a socket bound with the standard library; it is switched to non-blocking mode.
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
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_socket.local_addr()?;
    /// let socket = tourbillon::net::UdpSocket::from_std(std_socket)?;
    /// assert_eq!(socket.local_addr()?, addr);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Registered::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Sets the default peer: [`send`](Self::send) goes to it and [`recv`](Self::recv) accepts
    /// datagrams only from it. Uses the first address `addr` resolves to that the OS accepts.
    ///
    /// # Errors
    /// Every address was refused (the last error is returned), or `addr` resolved to none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::UdpSocket;
    /// # tourbillon::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        super::each_addr(addr, |addr| self.io.get_ref().connect(addr))
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes sent.
    ///
    /// # Errors
    /// `NotConnected` without [`connect`](Self::connect); otherwise the OS error of `send(2)`
    /// (`ConnectionRefused` may report an ICMP error caused by an earlier datagram).
    ///
    /// # Examples
    ///
    /// ```
    /// # use tourbillon::net::UdpSocket;
    /// # tourbillon::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// b.connect(a.local_addr()?).await?;
    /// a.send(b"ping").await?;
    /// let mut buf = [0; 16];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"ping");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io_shared(Direction::Write, |socket| socket.send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length. A datagram
    /// longer than `buf` is truncated.
    ///
    /// # Errors
    /// The OS error of `recv(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UdpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// b.connect(a.local_addr()?).await?;
    /// a.send_to(b"hello", b.local_addr()?).await?;
    /// let mut buf = [0; 16];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hello");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io_shared(Direction::Read, |socket| socket.recv(buf))
            .await
    }

    /// Sends `buf` as one datagram to `target` (its first resolved address); returns the bytes
    /// sent.
    ///
    /// # Errors
    /// `target` resolved to no address, or the OS error of `sendto(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UdpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// let target = UdpSocket::bind("127.0.0.1:0").await?;
    /// let sent = socket.send_to(b"datagram", target.local_addr()?).await?;
    /// assert_eq!(sent, 8);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = target
            .to_socket_addrs()?
            .next()
            .ok_or_else(super::no_addresses)?;
        self.io
            .async_io_shared(Direction::Write, |socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`; returns its length and its sender. A datagram longer
    /// than `buf` is truncated.
    ///
    /// # Errors
    /// The OS error of `recvfrom(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UdpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.send_to(b"a long datagram", b.local_addr()?).await?;
    /// let mut small = [0; 6];
    /// let (n, from) = b.recv_from(&mut small).await?;
    /// assert_eq!((&small[..n], from), (&b"a long"[..], a.local_addr()?), "truncated to the buffer");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io_shared(Direction::Read, |socket| socket.recv_from(buf))
            .await
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
    /// let socket = tourbillon::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// let addr = socket.local_addr()?;
    /// assert!(addr.ip().is_loopback() && addr.port() != 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    /// `NotConnected` without [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::UdpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(socket.peer_addr().is_err(), "not connected yet");
    /// let peer = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.connect(peer.local_addr()?).await?;
    /// assert_eq!(socket.peer_addr()?, peer.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
