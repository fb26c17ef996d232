//! The tokio twin of `http-server`: the same HTTP module, the same command line, served by tokio,
//! so `scripts/wrk-compare.sh` can put the two runtimes side by side in one run.
//!
//! ```text
//! cargo run --release --example http-server-tokio -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N] [--header-timeout SECS (10)] [--idle-timeout SECS (60)]
//! ```

use std::io;

use tokio::net::TcpListener;
use tourbillon_support::servers::http_server_tokio;
use tourbillon_support::{args, tokio_runtime};

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
        http_server_tokio::run(listener, args).await
    })
}
