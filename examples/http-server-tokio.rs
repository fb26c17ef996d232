//! The tokio twin of `http-server`: the same HTTP module, the same command line, served by tokio,
//! so `scripts/wrk-compare.sh` can put the two runtimes side by side in one run.
//!
//! ```text
//! cargo run --release --example http-server-tokio -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N] [--header-timeout SECS (10)] [--idle-timeout SECS (60)]
//! ```

use tourbillon_support::servers::http_server_tokio;
use tourbillon_support::tokio_runtime;

fn main() -> std::io::Result<()> {
    tokio_runtime::main("http-server-tokio", http_server_tokio::run)
}
