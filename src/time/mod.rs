//! Timers: a hierarchical timing wheel, [`sleep`], [`timeout`] and [`interval`].
//!
//! | file          | owns                                                                     |
//! |---------------|--------------------------------------------------------------------------|
//! | `entry.rs`    | the intrusive timer node and its state word (`UNREGISTERED`/`REGISTERED`/`FIRED`) |
//! | `wheel.rs`    | the hierarchical wheel: 6 levels × 64 slots, 1 ms ticks, occupancy bitmaps, overflow |
//! | `driver.rs`   | the wheel behind one lock; the clock; the park-timeout handshake with the runtime |
//! | `sleep.rs`    | [`Sleep`], [`sleep`], [`sleep_until`]                                     |
//! | `timeout.rs`  | [`Timeout`], [`Elapsed`], [`timeout`], [`timeout_at`]                     |
//! | `interval.rs` | [`Interval`], [`interval`], [`interval_at`], [`MissedTickBehavior`]        |
//!
//! # Guarantees
//!
//! - A timer never completes before its deadline: deadlines are rounded up to the next
//!   millisecond of the driver's clock, the current time down.
//! - A [`Sleep`] costs no allocation (its timer entry lives inside it, linked in place while
//!   pending), and no lock until its first poll finds the deadline still ahead.
//! - Insert, cancel (dropping a pending `Sleep`) and fire are O(1) under one lock; a busy worker
//!   checks for due timers with one atomic load. Wakers are called outside the lock.
//! - Timers work on every worker of the multi-thread runtime and on the current-thread runtime;
//!   the earliest deadline is the reactor's park timeout.
//!
//! # What the runtime does for the timers
//!
//! It owns one `driver::Handle` per runtime (in its driver), calls `before_park` /
//! `after_park` around blocking in the reactor, `process` on non-blocking turns, and `shutdown`
//! once after the last task is dropped. `sleep` finds the handle through
//! `runtime::Handle::current()`.

mod driver;
mod entry;
mod interval;
mod sleep;
mod timeout;
mod wheel;

#[cfg(all(test, not(loom)))]
mod tests;
#[cfg(all(test, not(loom)))]
mod wheel_proptests;

use std::time::{Duration, Instant};

pub(crate) use driver::Handle;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

/// The timer driver of the runtime this thread runs in.
fn current_handle() -> Handle {
    crate::runtime::Handle::with_current(|handle| handle.driver().time.clone())
}

/// A deadline for "never, in practice": 30 years after `now` (as tokio does).
fn far_future(now: Instant) -> Instant {
    const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    now + THIRTY_YEARS
}
