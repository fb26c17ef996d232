//! The tokio runtime the tokio twins run on, of the shape their command line asks for (shared by
//! `http-server-tokio` and tourbillon-hyper's `hyper-server-tokio`). It expects `args.rs` to be
//! loaded as the sibling module `args`.

use std::io;

use super::args::Flavor;

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
