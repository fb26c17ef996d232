//! A TCP echo server on tourbillon: every connection gets back exactly the bytes it sends.
//!
//! ```text
//! cargo run --release --example echo -- [ADDR] [--threads N | --current-thread]
//!     [--events-per-tick N]
//! ```
//! Try it with `nc 127.0.0.1 8080` (ADDR defaults to 127.0.0.1:8080).

#[path = "support/args.rs"]
pub mod args;
#[path = "support/tourbillon_runtime.rs"]
pub mod tourbillon_runtime;

use std::io;

use tourbillon::net::{TcpListener, TcpStream};

use args::Args;

fn main() -> io::Result<()> {
    tourbillon_runtime::main("echo", run)
}

/// Accepts connections forever, echoing each one on its own task (the timeouts of the command
/// line are the HTTP server's; an echo connection may stay open as long as its peer wishes).
pub async fn run(listener: TcpListener, _: Args) -> io::Result<()> {
    tourbillon_runtime::accept_forever(listener, |stream, peer| {
        tourbillon::spawn(async move {
            if let Err(error) = echo(stream).await {
                eprintln!("{peer}: {error}");
            }
        });
    })
    .await
}

/// Writes back everything read, until the peer closes its side.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}
