//! What the examples that run on tourbillon share: the runtime their command line asks for, the
//! `main` that binds ADDR and serves, and the accept loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tourbillon::net::{AcceptBackoff, TcpListener, TcpStream};

use crate::args::{Args, Flavor};

/// A runtime of the requested shape: `--current-thread`, or `--threads N` workers; with
/// `events_per_tick`, its reactor takes at most that many events per turn.
///
/// # Errors
/// What [`tourbillon::Builder::build`] returns: the OS refused threads or the reactor.
pub fn build(flavor: Flavor, events_per_tick: Option<usize>) -> io::Result<tourbillon::Runtime> {
    let mut builder = match flavor {
        Flavor::CurrentThread => tourbillon::Builder::new_current_thread(),
        Flavor::MultiThread { workers } => {
            let mut builder = tourbillon::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    if let Some(n) = events_per_tick {
        builder.max_io_events_per_tick(n);
    }
    builder.build()
}

/// A server's `main`: parses the command line (`args.rs`), builds the runtime it asks for,
/// binds ADDR, says so under `name`, and runs `serve` on the listener and the parsed arguments.
///
/// # Errors
/// Building the runtime or binding failed, or `serve` returned an error.
pub fn main<Serve>(name: &str, serve: impl FnOnce(TcpListener, Args) -> Serve) -> io::Result<()>
where
    Serve: Future<Output = io::Result<()>>,
{
    let args = Args::from_env();
    let runtime = build(args.flavor, args.events_per_tick)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.addr.as_str()).await?;
        println!(
            "{name} listening on {} ({:?})",
            listener.local_addr()?,
            args.flavor
        );
        serve(listener, args).await
    })
}

/// Accepts connections forever, handing each one to `accepted` (which spawns its task).
///
/// Accept errors never end the loop: [`AcceptBackoff`] retries a connection that went bad at
/// once, sleeps (1 ms doubling to 1 s) while the process is out of descriptors or memory, and
/// lets the loop print at most one line a second about them.
pub async fn accept_forever(
    listener: TcpListener,
    mut accepted: impl FnMut(TcpStream, SocketAddr),
) -> io::Result<()> {
    let mut backoff = AcceptBackoff::new();
    loop {
        let (stream, peer) = backoff
            .accept(&listener, |error, count| {
                eprintln!("accept: {error} ({count} errors in the last second or more)")
            })
            .await;
        accepted(stream, peer);
    }
}
