//! The tokio twin of `http-server`: the same HTTP module, the same command line, served by tokio,
//! so `scripts/wrk-compare.sh` can put the two runtimes side by side in one run.
//!
//! ```text
//! cargo run --release --example http-server-tokio -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N]
//! ```

#[path = "support/args.rs"]
pub mod args;
#[path = "support/connection.rs"]
mod connection;
#[path = "support/http.rs"]
mod http;
#[path = "support/tokio_runtime.rs"]
pub mod tokio_runtime;

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let runtime = tokio_runtime::build(args.flavor, args.events_per_tick)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!(
            "http-server-tokio listening on {} ({:?})",
            listener.local_addr()?,
            args.flavor
        );
        run(listener).await
    })
}

/// Accepts connections forever, serving each one on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection::serve(stream));
            }
            // Out of file descriptors, or a connection reset before we took it: the listener is
            // still fine.
            Err(error) => eprintln!("accept: {error}"),
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
}
