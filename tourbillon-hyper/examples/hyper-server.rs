//! hyper 1.x on tourbillon: `/plaintext` and `/json` as the root crate's `http-server` answers
//! them, over HTTP/1.1 and HTTP/2 (hyper-util's auto builder tells them apart by the first
//! bytes of each connection). The closest benchmark to what users run.
//!
//! ```text
//! cargo run --release -p tourbillon-hyper --example hyper-server -- [ADDR]
//!     [--threads N | --current-thread] [--events-per-tick N] [--header-timeout SECS (10)]
//! curl -i http://127.0.0.1:8080/json
//! curl -i --http2-prior-knowledge http://127.0.0.1:8080/plaintext
//! ```
//!
//! The server is `tourbillon_support::servers::hyper_server`: the command line, the runtime and
//! the accept loop are the root examples' own; the handler (`hyper_service`) is shared with the
//! tokio twin `hyper-server-tokio` that `scripts/wrk-compare.sh` measures this server against.

use tourbillon_support::servers::hyper_server;
use tourbillon_support::tourbillon_runtime;

fn main() -> std::io::Result<()> {
    tourbillon_runtime::main("hyper-server", hyper_server::run)
}
