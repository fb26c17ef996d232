//! # tourbillon
//!
//! An async runtime built to be read, model-checked and measured: intrusive reference-counted
//! tasks with one atomic state word, a lock-free injector, per-worker rings with work stealing,
//! futex parking, a mio reactor and a hierarchical timer wheel.
//!
//! ```
//! let rt = tourbillon::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let total = rt.block_on(async {
//!     let tasks: Vec<_> = (0..10u64).map(|i| tourbillon::spawn(async move { i * i })).collect();
//!     let mut total = 0;
//!     for task in tasks {
//!         total += task.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 285);
//! ```
//!
//! See README.md for a tour of the source tree, and PERF.md for how it compares with tokio.
#![warn(missing_docs, rust_2018_idioms)]
// The examples are code users copy: they compile without a warning.
#![doc(test(attr(deny(warnings))))]
#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod loom;
pub(crate) mod metrics;

pub(crate) mod driver;

pub mod io;
pub mod net;
pub mod runtime;
pub(crate) mod scheduler;
#[cfg(all(unix, not(loom)))]
pub mod signal;
pub mod task;
pub mod time;

#[cfg(loom)]
#[doc(hidden)]
pub mod loom_api;

/// Internals for `benches/` and the measurement examples: not an API (see the module docs).
#[cfg(not(loom))]
#[doc(hidden)]
pub mod __bench;

pub use runtime::{block_on, spawn, Builder, Handle, Runtime, RuntimeMetrics, TryCurrentError};
pub use task::{JoinError, JoinHandle};

#[cfg(feature = "macros")]
#[doc(inline)]
pub use tourbillon_macros::{main, test};
