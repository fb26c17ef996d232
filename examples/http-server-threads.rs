//! The thread-per-connection twin of `http-server`: std's blocking sockets and one OS thread per
//! connection, no runtime at all. It shares the HTTP module and the command line; `--threads`,
//! `--current-thread` and the timeouts are accepted for uniformity and ignored (there is one
//! thread per connection).
//!
//! ```text
//! cargo run --release --example http-server-threads -- [ADDR]
//! ```

use std::io;
use std::net::TcpListener;

use tourbillon_support::args;
use tourbillon_support::servers::http_server_threads;

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let listener = TcpListener::bind(&args.addr)?;
    println!(
        "http-server-threads listening on {} (one thread per connection; {:?}, events per tick {:?} and the timeouts ignored)",
        listener.local_addr()?,
        args.flavor,
        args.events_per_tick
    );
    http_server_threads::run(listener)
}
