//! The wrk target: a tiny HTTP/1.1 server on tourbillon, answering `GET /plaintext` and
//! `GET /json` like tokio's `tinyhttp` example, with keep-alive and pipelining.
//!
//! ```text
//! cargo run --release --example http-server -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N] [--header-timeout SECS (10)] [--idle-timeout SECS (60)]
//! curl -i http://127.0.0.1:8080/json
//! ```
//!
//! The HTTP code lives in `support/http.rs` and the connection loop in `support/connection.rs`,
//! both shared with the tokio twin (and the HTTP code with the thread-per-connection and raw-mio
//! twins) that `scripts/wrk-compare.sh` measures this server against; this file only plugs
//! tourbillon's `TcpStream` into them.

#[path = "support/args.rs"]
pub mod args;
#[path = "support/connection.rs"]
mod connection;
#[path = "support/http.rs"]
mod http;
#[path = "support/tourbillon_runtime.rs"]
pub mod tourbillon_runtime;

use std::future::Future;
use std::io;
use std::time::Duration;

use tourbillon::net::{TcpListener, TcpStream};

use args::Args;

fn main() -> io::Result<()> {
    tourbillon_runtime::main("http-server", run)
}

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
