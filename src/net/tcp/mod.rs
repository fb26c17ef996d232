//! TCP: [`TcpListener`], [`TcpStream`], the halves a stream splits into, and [`TcpSocket`]
//! for setting options before listening or connecting.
//!
//! [`TcpStream::split`] borrows the stream and gives a [`ReadHalf`] and a [`WriteHalf`] that two
//! futures of one task can drive at once. [`TcpStream::into_split`] gives owned halves
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]) that can move to different spawned tasks.

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::TcpStream;
