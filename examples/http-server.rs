//! The wrk target: a tiny HTTP/1.1 server on tourbillon, answering `GET /plaintext` and
//! `GET /json` like tokio's `tinyhttp` example, with keep-alive and pipelining.
//!
//! ```text
//! cargo run --release --example http-server -- [ADDR] [--threads N | --current-thread]
//! curl -i http://127.0.0.1:8080/json
//! ```
//!
//! The HTTP code lives in `support/http.rs`, shared with the tokio, thread-per-connection and
//! raw-mio twins that `scripts/wrk-compare.sh` measures this server against; this file is only
//! the socket loop.

#[path = "support/args.rs"]
pub mod args;
#[path = "support/http.rs"]
mod http;
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
            "http-server listening on {} ({:?})",
            listener.local_addr()?,
            args.flavor
        );
        run(listener).await
    })
}

/// Accepts connections forever, serving each one on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tourbillon::spawn(serve(stream));
            }
            // Out of file descriptors, or a connection reset before we took it: the listener is
            // still fine.
            Err(error) => eprintln!("accept: {error}"),
        }
    }
}

/// One connection: read, answer every complete request, write the answers in one go.
async fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = http::RequestBuffer::new();
    let mut output = Vec::with_capacity(4096);
    loop {
        let n = stream.read(input.spare_mut()).await?;
        if n == 0 {
            return Ok(());
        }
        input.filled_by(n);
        let outcome = http::respond(&mut input, &mut output);
        stream.write_all(&output).await?;
        output.clear();
        if outcome == http::Outcome::Close {
            return Ok(());
        }
    }
}
