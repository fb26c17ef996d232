//! The raw-mio twin of `http-server`: one thread, one `mio::Poll`, edge-triggered sockets, no
//! tasks, wakers or queues; the ceiling for one core that `scripts/wrk-compare.sh` measures the
//! runtimes against. The server is `tourbillon_support::servers::http_server_mio` (its module
//! docs say how it drives mio). It shares the HTTP module and the command line; `--threads`,
//! `--current-thread` and the timeouts are accepted and ignored (it is always one thread).
//!
//! ```text
//! cargo run --release --example http-server-mio -- [ADDR]
//! ```

use std::io;

use mio::net::TcpListener;
use tourbillon_support::args;
use tourbillon_support::servers::http_server_mio;

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let std_listener = std::net::TcpListener::bind(&args.addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(std_listener);
    println!(
        "http-server-mio listening on {} (one thread; {:?}, events per tick {:?} and the timeouts ignored)",
        listener.local_addr()?,
        args.flavor,
        args.events_per_tick
    );
    http_server_mio::run(listener)
}
