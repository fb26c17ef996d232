//! The tokio twin of `hyper-server`: the same hyper service, the same command line, on
//! hyper-util's tokio adapters (`TokioExecutor`, `TokioTimer`, `TokioIo`), so
//! `scripts/wrk-compare.sh` can put hyper-on-tourbillon and hyper-on-tokio side by side.
//!
//! ```text
//! cargo run --release -p tourbillon-hyper --example hyper-server-tokio -- [ADDR]
//!     [--threads N | --current-thread] [--events-per-tick N] [--header-timeout SECS (10)]
//! ```

use tourbillon_support::servers::hyper_server_tokio;
use tourbillon_support::tokio_runtime;

fn main() -> std::io::Result<()> {
    tokio_runtime::main("hyper-server-tokio", hyper_server_tokio::run)
}
