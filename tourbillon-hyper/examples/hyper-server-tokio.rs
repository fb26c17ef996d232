//! The tokio twin of `hyper-server`: the same hyper service, the same command line, on
//! hyper-util's tokio adapters (`TokioExecutor`, `TokioTimer`, `TokioIo`), so
//! `scripts/wrk-compare.sh` can put hyper-on-tourbillon and hyper-on-tokio side by side.
//!
//! ```text
//! cargo run --release -p tourbillon-hyper --example hyper-server-tokio -- [ADDR]
//!     [--threads N | --current-thread] [--events-per-tick N]
//! ```

#[path = "../../examples/support/args.rs"]
pub mod args;
#[path = "support/service.rs"]
pub mod service;
#[path = "../../examples/support/tokio_runtime.rs"]
pub mod tokio_runtime;

use std::io;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let runtime = tokio_runtime::build(args.flavor, args.events_per_tick)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!(
            "hyper-server-tokio listening on {} ({:?})",
            listener.local_addr()?,
            args.flavor
        );
        run(listener).await
    })
}

/// Accepts connections forever, serving each one (HTTP/1.1 or HTTP/2) on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let builder = builder.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let io = TokioIo::new(stream);
                    let _ = builder
                        .serve_connection(io, service_fn(service::respond))
                        .await;
                });
            }
            // Out of file descriptors, or a connection reset before we took it: the listener is
            // still fine.
            Err(error) => eprintln!("accept: {error}"),
        }
    }
}
