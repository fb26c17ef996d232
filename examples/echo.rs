//! A TCP echo server on tourbillon: every connection gets back exactly the bytes it sends.
//!
//! ```text
//! cargo run --release --example echo -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N]
//! ```
//! Try it with `nc 127.0.0.1 8080` (ADDR defaults to 127.0.0.1:8080).

use tourbillon_support::servers::echo;
use tourbillon_support::tourbillon_runtime;

fn main() -> std::io::Result<()> {
    tourbillon_runtime::main("echo", echo::run)
}
