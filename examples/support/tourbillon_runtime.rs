//! The tourbillon runtime that the command line (`args.rs`) asks for, shared by the examples that
//! run on tourbillon. It expects `args.rs` to be loaded as the sibling module `args`.

use std::io;

use super::args::Flavor;

/// A runtime of the requested shape: `--current-thread`, or `--threads N` workers.
///
/// # Errors
/// What [`tourbillon::Builder::build`] returns: the OS refused threads or the reactor.
pub fn build(flavor: Flavor) -> io::Result<tourbillon::Runtime> {
    match flavor {
        Flavor::CurrentThread => tourbillon::Builder::new_current_thread().build(),
        Flavor::MultiThread { workers } => tourbillon::Builder::new_multi_thread()
            .worker_threads(workers)
            .build(),
    }
}
