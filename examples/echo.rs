//! A TCP echo server on tourbillon: every connection gets back exactly the bytes it sends.
//!
//! ```text
//! cargo run --release --example echo -- [ADDR] [--threads N | --current-thread]
//! ```
//! Try it with `nc 127.0.0.1 8080` (ADDR defaults to 127.0.0.1:8080).

#[path = "support/args.rs"]
pub mod args;
#[path = "support/tourbillon_runtime.rs"]
pub mod tourbillon_runtime;

use std::io;

use tourbillon::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let runtime = tourbillon_runtime::build(args.flavor)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.addr.as_str()).await?;
        println!(
            "echo listening on {} ({:?})",
            listener.local_addr()?,
            args.flavor
        );
        run(listener).await
    })
}

/// Accepts connections forever, echoing each one on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tourbillon::spawn(async move {
                    if let Err(error) = echo(stream).await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
            // Out of file descriptors, or a connection reset before we took it: the listener is
            // still fine.
            Err(error) => eprintln!("accept: {error}"),
        }
    }
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
