//! [`TcpSocket`]: a TCP socket not yet connected or listening, for setting options first.
//!
//! Written on libc, as mio writes its own sockets: `socket(2)` with `SOCK_NONBLOCK |
//! SOCK_CLOEXEC`, `setsockopt(2)`, `bind(2)`, then either `listen(2)` (a [`TcpListener`]) or a
//! non-blocking `connect(2)` whose completion the reactor reports (a [`TcpStream`]).
//!
//! # Safety
//!
//! 1. `fd` is a socket this value owns for its whole life (`OwnedFd`), so every syscall on it
//!    acts on a valid descriptor.
//! 2. Every `sockaddr` and option pointer handed to the kernel points to a live, initialized
//!    value of the length passed with it.

use std::fmt;
use std::io;
use std::mem::{self, size_of};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::{TcpListener, TcpStream};

/// A TCP socket that has not yet become a listener or a connection: set `SO_REUSEADDR`,
/// `SO_REUSEPORT` or buffer sizes, `bind` it, then [`listen`](Self::listen) or
/// [`connect`](Self::connect).
///
/// # Examples
///
/// ```
/// use tourbillon::net::TcpSocket;
///
/// # tourbillon::block_on(async {
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let listener = socket.listen(128)?;
///
/// let client = TcpSocket::new_v4()?.connect(listener.local_addr()?).await?;
/// let (_server, peer) = listener.accept().await?;
/// assert_eq!(peer, client.local_addr()?);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket.
    ///
    /// # Errors
    /// The OS error of `socket(2)` (`EMFILE`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::TcpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert!(socket.local_addr()?.is_ipv4());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET)
    }

    /// A new IPv6 TCP socket.
    ///
    /// # Errors
    /// The OS error of `socket(2)` (`EAFNOSUPPORT` on a host without IPv6, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// if let Ok(socket) = tourbillon::net::TcpSocket::new_v6() {
    ///     socket.set_reuseaddr(true)?;
    /// }
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET6)
    }

    fn new(domain: libc::c_int) -> io::Result<TcpSocket> {
        let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: `socket` takes no pointers; its result is checked before use.
        let fd = cvt(unsafe { libc::socket(domain, flags, 0) })?;
        // SAFETY: `fd` was just returned by `socket` and nothing else owns it (rule 1).
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TcpSocket { fd })
    }

    /// Sets `SO_REUSEADDR`: bind to an address still in `TIME_WAIT` from an earlier listener.
    ///
    /// # Errors
    /// The OS error of `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.set_option(libc::SO_REUSEADDR, libc::c_int::from(reuseaddr))
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseaddr()?); // off on a new socket
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(self.option(libc::SO_REUSEADDR)? != 0)
    }

    /// Sets `SO_REUSEPORT`: several sockets (each with the option set) may bind the same
    /// address and port, and the kernel spreads connections among their listeners.
    ///
    /// # Errors
    /// The OS error of `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::TcpSocket;
    /// # tourbillon::block_on(async {
    /// let first = TcpSocket::new_v4()?;
    /// first.set_reuseport(true)?;
    /// first.bind("127.0.0.1:0".parse().unwrap())?;
    /// let first = first.listen(16)?;
    ///
    /// let second = TcpSocket::new_v4()?;
    /// second.set_reuseport(true)?;
    /// second.bind(first.local_addr()?)?; // the same port: allowed
    /// assert!(second.reuseport()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.set_option(libc::SO_REUSEPORT, libc::c_int::from(reuseport))
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseport()?); // off on a new socket
    /// socket.set_reuseport(true)?;
    /// assert!(socket.reuseport()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn reuseport(&self) -> io::Result<bool> {
        Ok(self.option(libc::SO_REUSEPORT)? != 0)
    }

    /// Sets `SO_SNDBUF`, the kernel's send buffer size. Linux doubles the value asked for (for
    /// its bookkeeping) and clamps it to `net.core.wmem_max`.
    ///
    /// # Errors
    /// The OS error of `setsockopt(2)`; `InvalidInput` above `i32::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(32 * 1024)?;
    /// assert!(socket.send_buffer_size()? >= 32 * 1024);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_option(libc::SO_SNDBUF, to_c_int(size)?)
    }

    /// `SO_SNDBUF`, as the kernel reports it.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// let default = socket.send_buffer_size()?; // the kernel's default (`net.ipv4.tcp_wmem`)
    /// assert!(default > 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        Ok(self.option(libc::SO_SNDBUF)?.unsigned_abs())
    }

    /// Sets `SO_RCVBUF`, the kernel's receive buffer size (doubled and clamped to
    /// `net.core.rmem_max` by Linux, as for the send buffer).
    ///
    /// # Errors
    /// The OS error of `setsockopt(2)`; `InvalidInput` above `i32::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(32 * 1024)?;
    /// assert!(socket.recv_buffer_size()? >= 32 * 1024);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_option(libc::SO_RCVBUF, to_c_int(size)?)
    }

    /// `SO_RCVBUF`, as the kernel reports it.
    ///
    /// # Errors
    /// The OS error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// let default = socket.recv_buffer_size()?; // the kernel's default (`net.ipv4.tcp_rmem`)
    /// assert!(default > 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        Ok(self.option(libc::SO_RCVBUF)?.unsigned_abs())
    }

    /// Binds the socket to `addr` (port 0: the OS picks one).
    ///
    /// # Errors
    /// The OS error of `bind(2)` (`AddrInUse`, `AddrNotAvailable`, or `InvalidInput` for an
    /// address of the other family).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tourbillon::net::TcpSocket;
    ///
    /// # tourbillon::block_on(async {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// let listener = socket.listen(16)?;
    ///
    /// // The port is taken: a second socket (without `SO_REUSEPORT`) cannot bind it.
    /// let other = TcpSocket::new_v4()?;
    /// let err = other.bind(listener.local_addr()?).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrInUse);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        let addr = SockAddr::from(addr);
        // SAFETY: `addr` points to a live sockaddr of the length passed (rule 2), on our own
        // descriptor (rule 1).
        cvt(unsafe { libc::bind(self.fd.as_raw_fd(), addr.as_ptr(), addr.len()) }).map(drop)
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// The OS error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let socket = tourbillon::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        // std parses `getsockname(2)`'s result; lend it the descriptor without giving it away.
        // SAFETY: the descriptor is valid for the borrow (rule 1), and `ManuallyDrop` keeps the
        // std listener from closing it.
        let borrowed = mem::ManuallyDrop::new(unsafe {
            std::net::TcpListener::from_raw_fd(self.fd.as_raw_fd())
        });
        borrowed.local_addr()
    }

    /// Starts listening, with a queue of at most `backlog` pending connections, and returns
    /// the listener, registered with the current runtime.
    ///
    /// # Errors
    /// The OS error of `listen(2)`, or the registration failed.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{TcpSocket, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// let listener = socket.listen(1024)?;
    ///
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_server, peer) = listener.accept().await?;
    /// assert_eq!(peer, client.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
        // SAFETY: no pointers; our own descriptor (rule 1).
        cvt(unsafe { libc::listen(self.fd.as_raw_fd(), backlog) })?;
        TcpListener::from_std(std::net::TcpListener::from(self.fd))
    }

    /// Connects to `addr` and returns the stream, registered with the current runtime.
    ///
    /// # Errors
    /// The OS error of `connect(2)` (`ConnectionRefused`, ...), as soon as the OS reports it.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{TcpListener, TcpSocket};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(64 * 1024)?; // options go on before the connection exists
    /// let stream = socket.connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let sockaddr = SockAddr::from(addr);
        // SAFETY: `sockaddr` points to a live sockaddr of the length passed (rule 2), on our
        // own descriptor (rule 1).
        match cvt(unsafe { libc::connect(self.fd.as_raw_fd(), sockaddr.as_ptr(), sockaddr.len()) })
        {
            Ok(_) => {}
            // Non-blocking: the connection completes later; the reactor reports it.
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let socket = mio::net::TcpStream::from_std(std::net::TcpStream::from(self.fd));
        TcpStream::connected(socket).await
    }

    fn set_option(&self, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
        // SAFETY: `value` is a live c_int and its size is passed (rule 2); our own descriptor
        // (rule 1).
        cvt(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                (&value as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    fn option(&self, name: libc::c_int) -> io::Result<libc::c_int> {
        let mut value: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are live and `len` holds `value`'s size (rule 2); our own
        // descriptor (rule 1).
        cvt(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok(value)
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket").field("fd", &self.fd).finish()
    }
}

/// A `SocketAddr` in the kernel's layout.
enum SockAddr {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
}

impl From<SocketAddr> for SockAddr {
    fn from(addr: SocketAddr) -> SockAddr {
        match addr {
            SocketAddr::V4(addr) => {
                // SAFETY: all-zero bytes are a valid `sockaddr_in` (plain integers).
                let mut raw: libc::sockaddr_in = unsafe { mem::zeroed() };
                raw.sin_family = libc::AF_INET as libc::sa_family_t;
                raw.sin_port = addr.port().to_be();
                raw.sin_addr = libc::in_addr {
                    // The octets are in network order already; keep their bytes as they are.
                    s_addr: u32::from_ne_bytes(addr.ip().octets()),
                };
                SockAddr::V4(raw)
            }
            SocketAddr::V6(addr) => {
                // SAFETY: all-zero bytes are a valid `sockaddr_in6` (plain integers).
                let mut raw: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                raw.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                raw.sin6_port = addr.port().to_be();
                raw.sin6_flowinfo = addr.flowinfo();
                raw.sin6_addr = libc::in6_addr {
                    s6_addr: addr.ip().octets(),
                };
                raw.sin6_scope_id = addr.scope_id();
                SockAddr::V6(raw)
            }
        }
    }
}

impl SockAddr {
    fn as_ptr(&self) -> *const libc::sockaddr {
        match self {
            SockAddr::V4(raw) => (raw as *const libc::sockaddr_in).cast(),
            SockAddr::V6(raw) => (raw as *const libc::sockaddr_in6).cast(),
        }
    }

    fn len(&self) -> libc::socklen_t {
        let len = match self {
            SockAddr::V4(_) => size_of::<libc::sockaddr_in>(),
            SockAddr::V6(_) => size_of::<libc::sockaddr_in6>(),
        };
        len as libc::socklen_t
    }
}

/// A syscall's `-1` as the thread's `errno`.
fn cvt(result: libc::c_int) -> io::Result<libc::c_int> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

fn to_c_int(size: u32) -> io::Result<libc::c_int> {
    libc::c_int::try_from(size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer size above i32::MAX"))
}
