//! The `http-server-tokio` twin's server: the same connection loop as `http_server`, behind
//! the tokio twin of its accept loop (`tokio_runtime::accept_forever`), on tokio's `TcpStream`,
//! timeout and spawn.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{args, connection, tokio_runtime};

/// The tokio twin's drain flag: never set.
static NEVER_DRAINS: connection::Drain = connection::Drain::new();

/// Accepts connections forever, serving each one on its own task with the command line's
/// header and idle timeouts.
pub async fn run(listener: TcpListener, args: args::Args) -> io::Result<()> {
    let timeouts = connection::Timeouts {
        header: args.header_timeout,
        idle: args.idle_timeout,
    };
    tokio_runtime::accept_forever(listener, |stream, _| {
        tokio::spawn(async move {
            // The same per-request bookkeeping as the tourbillon server, which drains on a
            // signal; this twin never does.
            let activity = connection::Activity::default();
            let _ = connection::serve(stream, timeouts, &NEVER_DRAINS, &activity).await;
        });
    })
    .await
}

impl connection::Connection for TcpStream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        AsyncReadExt::read(self, buf).await
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, buf).await
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        TcpStream::set_nodelay(self, nodelay)
    }

    async fn timeout<F: Future + Send>(limit: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(limit, future).await.ok()
    }
}
