//! The wrk target: a tiny HTTP/1.1 server on tourbillon, answering `GET /plaintext` and
//! `GET /json` like tokio's `tinyhttp` example, with keep-alive and pipelining.
//!
//! ```text
//! cargo run --release --example http-server -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N] [--header-timeout SECS (10)] [--idle-timeout SECS (60)]
//! curl -i http://127.0.0.1:8080/json
//! ```
//!
//! Ctrl-C or SIGTERM shuts it down gracefully and it exits 0: it stops accepting, closes the
//! connections that have no request in hand, and gives those that do the header timeout to
//! finish it and get their answer (tests/graceful_shutdown.rs).
//!
//! The server is `tourbillon_support::servers::http_server`: the HTTP code (`http`) and the
//! connection loop (`connection`) are shared with the tokio twin (and the HTTP code with the
//! thread-per-connection and raw-mio twins) that `scripts/wrk-compare.sh` measures this server
//! against; that module only plugs tourbillon's `TcpStream` into them.

use tourbillon_support::servers::http_server;
use tourbillon_support::tourbillon_runtime;

fn main() -> std::io::Result<()> {
    tourbillon_runtime::main("http-server", http_server::run)
}
