//! The tokio twin of `hyper-server`: the same hyper service, the same command line, on
//! hyper-util's tokio adapters (`TokioExecutor`, `TokioTimer`, `TokioIo`), so
//! `scripts/wrk-compare.sh` can put hyper-on-tourbillon and hyper-on-tokio side by side.
//!
//! ```text
//! cargo run --release -p tourbillon-hyper --example hyper-server-tokio -- [ADDR]
//!     [--threads N | --current-thread] [--events-per-tick N]
//! ```

use std::io;

use tokio::net::TcpListener;
use tourbillon_support::servers::hyper_server_tokio;
use tourbillon_support::{args, tokio_runtime};

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
        hyper_server_tokio::run(listener).await
    })
}
