//! The `http-server-threads` twin's server: std's blocking sockets, one OS thread per
//! connection, the shared HTTP module.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use crate::http;

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
