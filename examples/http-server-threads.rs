//! The thread-per-connection twin of `http-server`: std's blocking sockets and one OS thread per
//! connection, no runtime at all. It shares the HTTP module and the command line; `--threads`,
//! `--current-thread` and the timeouts are accepted for uniformity and ignored (there is one
//! thread per connection).
//!
//! ```text
//! cargo run --release --example http-server-threads -- [ADDR]
//! ```

#[path = "support/args.rs"]
pub mod args;
#[path = "support/http.rs"]
mod http;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let listener = TcpListener::bind(&args.addr)?;
    println!(
        "http-server-threads listening on {} (one thread per connection; {:?}, events per tick {:?} and the timeouts ignored)",
        listener.local_addr()?,
        args.flavor,
        args.events_per_tick
    );
    run(listener)
}

/// Accepts connections forever, serving each one on its own thread.
pub fn run(listener: TcpListener) -> io::Result<()> {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let spawned = thread::Builder::new()
                    // The buffers live on the heap, so a small stack is plenty; it keeps the
                    // reserved memory of 500 connection threads low.
                    .stack_size(64 * 1024)
                    .spawn(move || serve(stream));
                if let Err(error) = spawned {
                    eprintln!("spawn: {error}");
                }
            }
            Err(error) => eprintln!("accept: {error}"),
        }
    }
    Ok(())
}

/// One connection: read, answer every complete request, write the answers in one go.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = http::RequestBuffer::new();
    let mut output = Vec::with_capacity(4096);
    loop {
        let n = stream.read(input.spare_mut())?;
        if n == 0 {
            return Ok(());
        }
        input.filled_by(n);
        let outcome = http::respond(&mut input, &mut output);
        stream.write_all(&output)?;
        output.clear();
        if outcome == http::Outcome::Close {
            return Ok(());
        }
    }
}
