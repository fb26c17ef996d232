//! The runtimes' timer APIs behind one trait, for `benches/time.rs` and `examples/memory.rs`.

use super::BenchRuntime;
use std::future::Future;
use std::time::Duration;

/// A runtime's timer API, as the scenarios see it.
pub trait Timers: BenchRuntime {
    /// The runtime's sleep future.
    type Sleep: Future<Output = ()> + Send + 'static;
    /// The runtime's timeout future around `F`.
    type Timeout<F: Future>: Future<Output = Result<F::Output, Self::Elapsed>>;
    /// What a timeout yields when the deadline passed first.
    type Elapsed: std::fmt::Debug;

    /// `sleep(duration)`.
    fn sleep(duration: Duration) -> Self::Sleep;
    /// `timeout(duration, future)`.
    fn timeout<F: Future>(duration: Duration, future: F) -> Self::Timeout<F>;
}

impl Timers for tourbillon::Runtime {
    type Sleep = tourbillon::time::Sleep;
    type Timeout<F: Future> = tourbillon::time::Timeout<F>;
    type Elapsed = tourbillon::time::Elapsed;

    fn sleep(duration: Duration) -> Self::Sleep {
        tourbillon::time::sleep(duration)
    }

    fn timeout<F: Future>(duration: Duration, future: F) -> Self::Timeout<F> {
        tourbillon::time::timeout(duration, future)
    }
}

impl Timers for tokio::runtime::Runtime {
    type Sleep = tokio::time::Sleep;
    type Timeout<F: Future> = tokio::time::Timeout<F>;
    type Elapsed = tokio::time::error::Elapsed;

    fn sleep(duration: Duration) -> Self::Sleep {
        tokio::time::sleep(duration)
    }

    fn timeout<F: Future>(duration: Duration, future: F) -> Self::Timeout<F> {
        tokio::time::timeout(duration, future)
    }
}
