//! Schedulers: where runnable tasks wait and which thread runs them.
//!
//! - `injector`: the lock-free queue any thread can push to.
//! - `local`: each worker's ring, with steal-half.
//! - `park`: the futex-style parker.
//! - `idle`: who sleeps, who searches, whom to wake.
//! - `multi_thread`: the work-stealing worker loop.
//! - `current_thread`: everything on the `block_on` thread.
//! - `yielded`: tasks that yielded, waiting for the queue to run dry and the reactor to turn.

mod context;
pub(crate) mod current_thread;
pub(crate) mod idle;
pub(crate) mod injector;
pub(crate) mod local;
pub(crate) mod multi_thread;
pub(crate) mod park;
mod tick;
mod yielded;
