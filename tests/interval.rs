//! `Interval`'s missed-tick policies end to end, on the current-thread runtime and on two
//! workers. The runtime thread is stalled with a blocking sleep past three ticks; the tests then
//! assert which instants the next ticks return and whether they complete on their first poll,
//! never how long anything took (the exact instants are checked with made-up clocks in
//! src/time/interval.rs).

mod support;

use std::future::poll_fn;
use std::task::Poll;
use std::time::{Duration, Instant};
use support::within_deadline;
use tourbillon::time::{interval, interval_at, Interval, MissedTickBehavior};
use tourbillon::Runtime;

const PERIOD: Duration = Duration::from_millis(20);

/// Runs `test` on both flavors, under the watchdog.
fn on_both_flavors(test: fn(&'static str, Runtime)) {
    within_deadline(move || test("current_thread", support::current_thread()));
    within_deadline(move || test("multi_thread(2)", support::multi_thread()));
}

/// Polls the next tick once: `Some(instant)` if it was already due.
async fn tick_now(interval: &mut Interval) -> Option<Instant> {
    match poll_fn(|cx| Poll::Ready(interval.poll_tick(cx))).await {
        Poll::Ready(instant) => Some(instant),
        Poll::Pending => None,
    }
}

/// An interval with `behavior` whose first tick (at `start`) was taken, then a stall of the
/// runtime's thread until more than three periods and the 5 ms slack have passed. Returns the
/// interval, `start`, and the instant the stall ended.
async fn stalled(behavior: MissedTickBehavior) -> (Interval, Instant, Instant) {
    let start = Instant::now();
    let mut interval = interval_at(start, PERIOD);
    interval.set_missed_tick_behavior(behavior);
    assert_eq!(interval.tick().await, start);
    let stall_end = start + 3 * PERIOD + Duration::from_millis(10);
    while Instant::now() < stall_end {
        std::thread::sleep(stall_end - Instant::now());
    }
    (interval, start, Instant::now())
}

#[test]
fn burst_returns_each_missed_tick_at_once_then_keeps_the_schedule() {
    on_both_flavors(|name, rt| {
        rt.block_on(async {
            let (mut interval, start, _) = stalled(MissedTickBehavior::Burst).await;
            for k in 1..=3 {
                assert_eq!(
                    tick_now(&mut interval).await,
                    Some(start + k * PERIOD),
                    "{name}: missed tick {k} is due at once, with its own instant"
                );
            }
            let fourth = interval.tick().await;
            assert_eq!(fourth, start + 4 * PERIOD, "{name}: still on the schedule");
            assert!(Instant::now() >= fourth, "{name}: a tick came early");
        });
    });
}

#[test]
fn delay_returns_one_missed_tick_then_restarts_a_period_later() {
    on_both_flavors(|name, rt| {
        rt.block_on(async {
            let (mut interval, start, resumed) = stalled(MissedTickBehavior::Delay).await;
            assert_eq!(
                tick_now(&mut interval).await,
                Some(start + PERIOD),
                "{name}"
            );
            let next = interval.tick().await;
            assert!(
                next >= resumed + PERIOD,
                "{name}: the schedule restarts one period after the late tick"
            );
            assert!(Instant::now() >= next, "{name}: a tick came early");
        });
    });
}

#[test]
fn skip_returns_one_missed_tick_then_the_next_instant_of_the_grid() {
    on_both_flavors(|name, rt| {
        rt.block_on(async {
            let (mut interval, start, resumed) = stalled(MissedTickBehavior::Skip).await;
            assert_eq!(
                tick_now(&mut interval).await,
                Some(start + PERIOD),
                "{name}"
            );
            let taken = Instant::now();
            let next = interval.tick().await;
            let on_grid = (next - start).as_nanos() % PERIOD.as_nanos() == 0;
            assert!(on_grid, "{name}: {:?} is off the grid", next - start);
            assert!(
                next > resumed && next >= start + 4 * PERIOD,
                "{name}: the missed ticks are dropped"
            );
            assert!(
                next <= taken + PERIOD,
                "{name}: no grid instant is skipped twice"
            );
        });
    });
}

#[test]
fn reset_restarts_the_schedule_one_period_from_now() {
    on_both_flavors(|name, rt| {
        rt.block_on(async {
            for behavior in [
                MissedTickBehavior::Burst,
                MissedTickBehavior::Delay,
                MissedTickBehavior::Skip,
            ] {
                // A first tick an hour away: only `reset` can bring it closer.
                let mut interval = interval_at(Instant::now() + Duration::from_secs(3600), PERIOD);
                interval.set_missed_tick_behavior(behavior);
                let before = Instant::now();
                interval.reset();
                let after = Instant::now();
                let next = interval.tick().await;
                assert!(
                    before + PERIOD <= next && next <= after + PERIOD,
                    "{name}, {behavior:?}: reset must move the tick to one period from now"
                );
                // Every policy keeps ticks at least a period apart from here (whether the
                // tick above was taken on time or not).
                let following = interval.tick().await;
                assert!(following >= next + PERIOD, "{name}, {behavior:?}");
            }
        });
    });
}

#[test]
fn a_new_interval_bursts_by_default() {
    on_both_flavors(|name, rt| {
        rt.block_on(async {
            assert_eq!(
                interval(PERIOD).missed_tick_behavior(),
                MissedTickBehavior::Burst,
                "{name}"
            );
        });
    });
}
