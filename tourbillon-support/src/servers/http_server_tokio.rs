//! The `http-server-tokio` twin's server: the same connection loop and accept-error policy as
//! `http_server`, on tokio's `TcpStream`, sleep and spawn.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tourbillon::net::AcceptBackoff;

use crate::{args, connection};

/// The tokio twin's drain flag: never set.
static NEVER_DRAINS: connection::Drain = connection::Drain::new();

/// Accepts connections forever, serving each one on its own task with the command line's
/// header and idle timeouts. Accept errors are handled as in the tourbillon server (the same
/// [`AcceptBackoff`] decisions, tokio's sleep).
pub async fn run(listener: TcpListener, args: args::Args) -> io::Result<()> {
    let timeouts = connection::Timeouts {
        header: args.header_timeout,
        idle: args.idle_timeout,
    };
    let mut backoff = AcceptBackoff::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff.succeeded();
                tokio::spawn(async move {
                    // The same per-request bookkeeping as the tourbillon server, which drains
                    // on a signal; this twin never does.
                    let activity = connection::Activity::default();
                    let _ = connection::serve(stream, timeouts, &NEVER_DRAINS, &activity).await;
                });
            }
            Err(error) => {
                let delay = backoff.failed(&error);
                if let Some(count) = backoff.take_report(Instant::now()) {
                    eprintln!("accept: {error} ({count} errors in the last second or more)");
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
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
