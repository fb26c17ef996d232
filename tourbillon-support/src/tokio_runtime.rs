//! What the tokio twins share (`http-server-tokio` and tourbillon-hyper's `hyper-server-tokio`):
//! the tokio runtime their command line asks for, the `main` that binds ADDR and serves, and the
//! accept loop, each the twin of `tourbillon_runtime`'s.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream};
use tourbillon::net::AcceptBackoff;

use crate::args::{Args, Flavor};

/// A tokio runtime of the requested shape, I/O and timers enabled; with `events_per_tick`, its
/// reactor takes at most that many events per turn.
///
/// # Errors
/// What `tokio::runtime::Builder::build` returns: the OS refused threads or the reactor.
pub fn build(
    flavor: Flavor,
    events_per_tick: Option<usize>,
) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread { workers } => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    if let Some(n) = events_per_tick {
        builder.max_io_events_per_tick(n);
    }
    builder.enable_all().build()
}

/// A tokio twin's `main`: parses the command line (`args.rs`), builds the runtime it asks for,
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
/// Accept errors never end the loop; they are handled as in tourbillon's accept loop: the same
/// [`AcceptBackoff`] decisions, with tokio's sleep.
pub async fn accept_forever(
    listener: TcpListener,
    mut accepted: impl FnMut(TcpStream, SocketAddr),
) -> io::Result<()> {
    let mut backoff = AcceptBackoff::new();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backoff.succeeded();
                accepted(stream, peer);
            }
            Err(error) => {
                let delay = backoff.failed(&error);
                if let Some(count) = backoff.take_report(Instant::now()) {
                    eprintln!("accept: {error} ({count} errors in the last second or more)");
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}
