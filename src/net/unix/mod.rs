//! Unix domain sockets: [`UnixListener`], [`UnixStream`], the halves a stream splits into, and
//! [`UnixDatagram`].
//!
//! The stream is TCP's twin: the same read and write paths (on the reactor's registration),
//! the same half types made by the same macros, the same `futures_io` traits. Addresses are
//! `std::os::unix::net::SocketAddr`: a path, unnamed (a socket from `pair`, or a client that
//! did not bind), or, on Linux, abstract.

mod datagram;
mod listener;
mod split;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::UnixStream;
