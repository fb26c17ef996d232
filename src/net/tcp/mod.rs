//! TCP: [`TcpListener`], [`TcpStream`], and the halves a stream splits into.
//!
//! [`TcpStream::split`] borrows the stream and gives a [`ReadHalf`] and a [`WriteHalf`] that two
//! futures of one task can drive at once. [`TcpStream::into_split`] gives owned halves
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]) that can move to different spawned tasks.

mod listener;
mod split;
mod stream;

pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::TcpStream;
