//! The accept loops of the server examples, one module per example: `examples/<name>.rs` is a
//! `main` that parses the command line, binds and calls `run` here; the tests call the same
//! `run` on a listener of their own.

pub mod echo;
pub mod http_server;
pub mod http_server_mio;
pub mod http_server_threads;
pub mod http_server_tokio;

// The hyper servers of tourbillon-hyper's examples (feature `hyper`).
#[cfg(feature = "hyper")]
pub mod hyper_server;
#[cfg(feature = "hyper")]
pub mod hyper_server_tokio;
#[cfg(feature = "hyper")]
pub mod hyper_service;
