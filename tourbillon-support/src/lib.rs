//! What tourbillon's examples, integration tests and benches share, in one crate instead of a
//! web of `#[path]` includes (not published; the root crate and tourbillon-hyper use it as a
//! dev-dependency, so the tests, examples and benches see the very `tourbillon` it depends on).
//!
//! | module | what it holds | used by |
//! |--------|---------------|---------|
//! | [`args`] | the servers' command line | every server example, the HTTP tests |
//! | [`http`] | the HTTP/1.1 core: parsing, routing, responses (no I/O) | every HTTP server |
//! | [`connection`] | one HTTP connection served to completion, generic over the runtime | `http-server` and its tokio twin |
//! | [`tourbillon_runtime`], [`tokio_runtime`] | the runtime of the shape the command line asks for; tourbillon's accept loop | the servers, the hyper examples |
//! | [`servers`] | each server example's accept loop (`run`), so a test serves the very loop the example runs | the examples' `main`s, `tests/http_server.rs`, `tests/reliability.rs`, `tests/net_faults.rs` |
//! | [`bench`](mod@bench) | the criterion harness: tourbillon and tokio behind one trait, in one group | `benches/`, `examples/memory.rs` |
//! | [`testing`] | deadlines, runtimes of every flavor, loopback pairs, process counters | the integration tests of both crates |

pub mod args;
pub mod bench;
pub mod connection;
pub mod http;
pub mod servers;
pub mod testing;
pub mod tokio_runtime;
pub mod tourbillon_runtime;
