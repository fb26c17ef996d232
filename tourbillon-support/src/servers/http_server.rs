//! The `http-server` example's server: tourbillon's `TcpStream` plugged into the shared
//! connection loop (`connection`), one task per connection behind the shared accept loop.

use std::future::Future;
use std::io;
use std::time::Duration;

use tourbillon::net::{TcpListener, TcpStream};

use crate::args::Args;
use crate::{connection, tourbillon_runtime};

/// Accepts connections forever, serving each one on its own task with the command line's
/// header and idle timeouts.
pub async fn run(listener: TcpListener, args: Args) -> io::Result<()> {
    let timeouts = connection::Timeouts {
        header: args.header_timeout,
        idle: args.idle_timeout,
    };
    tourbillon_runtime::accept_forever(listener, move |stream, _| async move {
        // The client is gone, misbehaved or overstayed: nothing to tell it, and the server goes
        // on.
        let _ = connection::serve(stream, timeouts).await;
    })
    .await
}

impl connection::Connection for TcpStream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::read(self, buf).await
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        TcpStream::write_all(self, buf).await
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        TcpStream::set_nodelay(self, nodelay)
    }

    async fn timeout<F: Future + Send>(limit: Duration, future: F) -> Option<F::Output> {
        tourbillon::time::timeout(limit, future).await.ok()
    }
}
