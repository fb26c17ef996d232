//! The `echo` example's server: every connection gets back exactly the bytes it sends.

use std::io;

use tourbillon::net::{TcpListener, TcpStream};

use crate::args::Args;
use crate::tourbillon_runtime;

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
