//! [`Interval`]: ticks at a fixed period, and [`MissedTickBehavior`]: what it does after a stall.
//!
//! # The schedule
//!
//! Ticks are due at `start, start + period, start + 2·period, ...`. A tick completes when its
//! instant has passed and returns that instant (never a later one), so a caller can tell how
//! late it was taken. After each tick the next instant is computed by one pure function,
//! [`MissedTickBehavior::next_deadline`]:
//!
//! - taken on time (at most [`LATE`], 5 ms, after its instant), the next tick is one period
//!   after this one, whatever the policy;
//! - taken later than that, the policy decides: `Burst` keeps the schedule (the missed ticks
//!   then complete at once, one per call), `Delay` restarts it one period after *now*, `Skip`
//!   keeps the grid but jumps to its first instant after now.
//!
//! The 5 ms slack and the three formulas are tokio's, so code ported from tokio ticks the
//! same way; `Burst` is the default, as there. [`Interval::reset`] restarts the schedule one
//! period from now, under every policy.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep_until, Sleep};

/// How late a tick may be taken and still count as on time: within it, the schedule simply
/// advances by one period (tokio's slack, because timers are not more precise than this).
const LATE: Duration = Duration::from_millis(5);

/// What an [`Interval`] does when a tick is taken late (more than 5 ms after its instant),
/// typically because the code between two `tick` calls ran longer than a period.
///
/// With a period of 10 ms, ticks due at 0, 10, 20, 30, 40 ms, and a stall from 0 to 35 ms
/// (so the tick due at 10 is taken at 35):
///
/// | policy  | ticks returned after the stall (instant, and when it completes)          |
/// |---------|--------------------------------------------------------------------------|
/// | `Burst` | 10, 20, 30 at once (35), then 40 at 40: the schedule is kept              |
/// | `Delay` | 10 at once (35), then 45 at 45, 55, ...: the schedule restarts from now   |
/// | `Skip`  | 10 at once (35), then 40 at 40, 50, ...: the missed instants are dropped  |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tourbillon::time::{interval, MissedTickBehavior};
///
/// tourbillon::block_on(async {
///     let mut interval = interval(Duration::from_millis(10));
///     assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
///     interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     interval.tick().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Keeps the schedule: the missed ticks complete one after the other without waiting,
    /// each returning its own instant, until the interval has caught up. The default.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tourbillon::time::{interval_at, MissedTickBehavior};
    ///
    /// tourbillon::block_on(async {
    ///     let period = Duration::from_millis(10);
    ///     // Started 35 ms ago: the ticks at +0, +10, +20 and +30 are all overdue.
    /// #   let Some(start) = Instant::now().checked_sub(Duration::from_millis(35)) else { return };
    ///     let mut interval = interval_at(start, period);
    ///     assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
    ///     for k in 0..4 {
    ///         assert_eq!(interval.tick().await, start + k * period);
    ///     }
    /// });
    /// ```
    #[default]
    Burst,
    /// Restarts the schedule one period after the late tick was taken: ticks are never less
    /// than a period apart, and no longer on the original grid.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tourbillon::time::{interval_at, MissedTickBehavior};
    ///
    /// tourbillon::block_on(async {
    ///     let period = Duration::from_millis(10);
    /// #   let Some(start) = Instant::now().checked_sub(Duration::from_millis(35)) else { return };
    ///     let mut interval = interval_at(start, period);
    ///     interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     let before = Instant::now();
    ///     assert_eq!(interval.tick().await, start); // 35 ms late
    ///     assert!(interval.tick().await >= before + period);
    /// });
    /// ```
    Delay,
    /// Drops the missed ticks: the next tick is the first instant of the original grid
    /// (`start + n·period`) after the late tick was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tourbillon::time::{interval_at, MissedTickBehavior};
    ///
    /// tourbillon::block_on(async {
    ///     let period = Duration::from_millis(10);
    /// #   let Some(start) = Instant::now().checked_sub(Duration::from_millis(35)) else { return };
    ///     let mut interval = interval_at(start, period);
    ///     interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     assert_eq!(interval.tick().await, start); // 35 ms late
    ///     let next = interval.tick().await; // +40 ms, or a later grid instant
    ///     assert!(next >= start + 4 * period);
    ///     assert_eq!((next - start).as_nanos() % period.as_nanos(), 0);
    /// });
    /// ```
    Skip,
}

// === impl MissedTickBehavior ===

impl MissedTickBehavior {
    /// The instant of the tick after one scheduled at `scheduled` and taken at `now`: a pure
    /// function of its arguments (the module docs give the rules), so it is tested with made-up
    /// instants.
    fn next_deadline(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        let on_time = now.saturating_duration_since(scheduled) <= LATE;
        let next = if on_time {
            scheduled.checked_add(period)
        } else {
            match self {
                MissedTickBehavior::Burst => scheduled.checked_add(period),
                MissedTickBehavior::Delay => now.checked_add(period),
                MissedTickBehavior::Skip => {
                    // `now` lies `late` past `scheduled`; the grid's next instant after it is
                    // `period - (late mod period)` further on.
                    let late = (now - scheduled).as_nanos();
                    let into_period = late % period.as_nanos();
                    // Below `period`, so it fits the `u64` nanoseconds of a `Duration`.
                    let into_period = Duration::from_nanos(into_period as u64);
                    now.checked_add(period - into_period)
                }
            }
        };
        next.unwrap_or_else(|| super::far_future(now))
    }
}

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
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// A stream of ticks at a fixed period. Created by [`interval`] and [`interval_at`].
///
/// A tick taken late is handled by the interval's [`MissedTickBehavior`] (`Burst` unless set).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// tourbillon::block_on(async {
///     let mut interval = tourbillon::time::interval(Duration::from_millis(5));
///     let mut ticks = Vec::new();
///     for _ in 0..3 {
///         ticks.push(interval.tick().await);
///     }
///     // On the grid: 5 ms apart exactly (the instants scheduled, not the moments taken).
///     assert_eq!(ticks[2] - ticks[0], Duration::from_millis(10));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    sleep: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
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

    /// Polls for the next tick; the poll-based form of [`Interval::tick`]. On `Pending`, `cx`'s
    /// waker is woken when the tick falls due.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::time::Duration;
    ///
    /// tourbillon::block_on(async {
    ///     let mut interval = tourbillon::time::interval(Duration::from_millis(5));
    ///     let first = poll_fn(|cx| interval.poll_tick(cx)).await;
    ///     let second = poll_fn(|cx| interval.poll_tick(cx)).await;
    ///     assert_eq!(second - first, Duration::from_millis(5));
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let next = self
            .missed_tick_behavior
            .next_deadline(scheduled, Instant::now(), self.period);
        self.sleep.as_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick falls one period from now (whatever the
    /// [`MissedTickBehavior`]), the ones after it every period from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// tourbillon::block_on(async {
    ///     let period = Duration::from_millis(5);
    ///     let mut interval = tourbillon::time::interval(period);
    ///     interval.tick().await; // at once
    ///     let before = Instant::now();
    ///     interval.reset();
    ///     assert!(interval.tick().await >= before + period);
    /// });
    /// ```
    pub fn reset(&mut self) {
        let now = Instant::now();
        let next = now
            .checked_add(self.period)
            .unwrap_or_else(|| super::far_future(now));
        self.sleep.as_mut().reset(next);
    }

    /// What this interval does with a tick taken late. [`MissedTickBehavior::Burst`] unless
    /// set otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tourbillon::time::MissedTickBehavior;
    ///
    /// tourbillon::block_on(async {
    ///     let interval = tourbillon::time::interval(Duration::from_secs(1));
    ///     assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what this interval does with a tick taken late, from the next tick on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tourbillon::time::MissedTickBehavior;
    ///
    /// tourbillon::block_on(async {
    ///     let mut interval = tourbillon::time::interval(Duration::from_secs(1));
    ///     interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tourbillon::block_on(async {
    ///     let interval = tourbillon::time::interval(Duration::from_millis(250));
    ///     assert_eq!(interval.period(), Duration::from_millis(250));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{MissedTickBehavior, LATE};
    use std::time::{Duration, Instant};

    const PERIOD: Duration = Duration::from_millis(10);
    const ALL: [MissedTickBehavior; 3] = [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ];

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn burst_is_the_default() {
        assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    }

    #[test]
    fn a_tick_on_time_advances_by_one_period_under_every_policy() {
        let start = Instant::now();
        for behavior in ALL {
            for taken in [start, start + ms(1), start + LATE] {
                assert_eq!(
                    behavior.next_deadline(start, taken, PERIOD),
                    start + PERIOD,
                    "{behavior:?} taken {:?} after its instant",
                    taken - start
                );
            }
        }
    }

    /// Replays the module's table: period 10, the tick due at 10 taken at 35, then every
    /// later tick taken the moment it falls due. Returns the instants (ms from the start) of
    /// the ticks from the one due at 10 on.
    fn ticks_after_a_stall(behavior: MissedTickBehavior) -> Vec<u64> {
        let start = Instant::now();
        let (mut scheduled, mut now) = (start + ms(10), start + ms(35));
        let mut ticks = Vec::new();
        for _ in 0..5 {
            ticks.push((scheduled - start).as_millis() as u64);
            let next = behavior.next_deadline(scheduled, now, PERIOD);
            // The next call comes right away; it waits only if the tick is not yet due.
            now = now.max(next);
            scheduled = next;
        }
        ticks
    }

    #[test]
    fn burst_keeps_the_schedule() {
        assert_eq!(
            ticks_after_a_stall(MissedTickBehavior::Burst),
            [10, 20, 30, 40, 50]
        );
    }

    #[test]
    fn delay_restarts_the_schedule_from_the_late_tick() {
        assert_eq!(
            ticks_after_a_stall(MissedTickBehavior::Delay),
            [10, 45, 55, 65, 75]
        );
    }

    #[test]
    fn skip_drops_the_missed_ticks_and_stays_on_the_grid() {
        assert_eq!(
            ticks_after_a_stall(MissedTickBehavior::Skip),
            [10, 40, 50, 60, 70]
        );
    }

    #[test]
    fn skip_after_a_stall_of_whole_periods_goes_one_period_further() {
        let start = Instant::now();
        // Taken exactly two periods late: the grid instant "now" is passed, the next is 3.
        let next = MissedTickBehavior::Skip.next_deadline(start, start + 2 * PERIOD, PERIOD);
        assert_eq!(next, start + 3 * PERIOD);
    }

    #[test]
    fn a_deadline_beyond_instant_range_becomes_the_far_future() {
        let start = Instant::now();
        for behavior in ALL {
            let next = behavior.next_deadline(start, start, Duration::MAX);
            assert_eq!(next, super::super::far_future(start), "{behavior:?}");
        }
    }
}
