//! [`Interval`]: ticks at a fixed period.
//!
//! # Missed ticks
//!
//! Ticks follow the schedule `start, start + period, start + 2·period, ...` as long as each tick
//! is taken before the next one falls due. When a tick is taken so late that the next scheduled
//! instant has already passed, the missed ticks are skipped, not replayed in a burst, and the
//! schedule restarts one period after that late tick: tokio's `MissedTickBehavior::Delay`. So a
//! tick never comes early, and two ticks are never less than one period apart.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep_until, Sleep};

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero, or outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// tourbillon::block_on(async {
///     let start = Instant::now();
///     let mut interval = tourbillon::time::interval(Duration::from_millis(10));
///     interval.tick().await; // at once
///     interval.tick().await;
///     interval.tick().await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero, or outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// tourbillon::block_on(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut interval = tourbillon::time::interval_at(start, Duration::from_secs(1));
///     assert_eq!(interval.tick().await, start);
/// });
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "`interval` period must be non-zero");
    Interval {
        sleep: Box::pin(sleep_until(start)),
        period,
    }
}

/// A stream of ticks at a fixed period. Created by [`interval`] and [`interval_at`].
///
/// See the module notes for what happens to missed ticks (tokio's `Delay` behaviour).
#[derive(Debug)]
pub struct Interval {
    sleep: Pin<Box<Sleep>>,
    period: Duration,
}

// === impl Interval ===

impl Interval {
    /// Completes at the next tick and returns the instant it was scheduled for (never after the
    /// moment it completes). Cancel-safe: dropping the future loses no tick.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// tourbillon::block_on(async {
    ///     let mut interval = tourbillon::time::interval(Duration::from_millis(5));
    ///     let first = interval.tick().await;
    ///     let second = interval.tick().await;
    ///     assert!(second >= first + Duration::from_millis(5));
    ///     assert!(Instant::now() >= second);
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; the poll-based form of [`Interval::tick`].
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let next = match scheduled.checked_add(self.period) {
            Some(on_schedule) if on_schedule > now => on_schedule,
            // Missed a whole tick: skip it and restart the schedule from now (`Delay`).
            _ => now
                .checked_add(self.period)
                .unwrap_or_else(|| super::far_future(now)),
        };
        self.sleep.as_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
