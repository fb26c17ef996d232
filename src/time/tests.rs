//! Unit tests of the driver and `Sleep` without a runtime: a `Handle` with a counting `unpark`,
//! sleeps polled by hand with counting wakers, and `process` called with synthetic instants.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::driver::Handle;
use super::sleep::Sleep;

/// A waker that counts its wakes and may run a hook (to check re-entrancy).
struct CountingWaker {
    wakes: AtomicUsize,
    on_wake: Box<dyn Fn() + Send + Sync>,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        (self.on_wake)();
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    waker_with_hook(Box::new(|| {}))
}

fn waker_with_hook(on_wake: Box<dyn Fn() + Send + Sync>) -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker {
        wakes: AtomicUsize::new(0),
        on_wake,
    });
    (counter.clone(), Waker::from(counter))
}

fn wakes(counter: &CountingWaker) -> usize {
    counter.wakes.load(Ordering::SeqCst)
}

/// A handle whose `unpark` counts its calls.
fn counting_handle() -> (Handle, Arc<AtomicUsize>) {
    let unparks = Arc::new(AtomicUsize::new(0));
    let counter = unparks.clone();
    let handle = Handle::new(Box::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    (handle, unparks)
}

fn poll(sleep: Pin<&mut Sleep>, waker: &Waker) -> Poll<()> {
    sleep.poll(&mut Context::from_waker(waker))
}

const HOUR: Duration = Duration::from_secs(3600);
const MS: Duration = Duration::from_millis(1);

#[test]
fn fires_at_its_deadline_not_a_tick_before() {
    let (handle, _) = counting_handle();
    let deadline = handle.origin() + HOUR + Duration::from_micros(10_500);
    let mut sleep = Box::pin(Sleep::new(handle.clone(), deadline));
    let (counter, waker) = counting_waker();
    assert!(poll(sleep.as_mut(), &waker).is_pending());

    // 10.9 ms after the hour is still before the deadline's tick (rounded up to 11 ms).
    handle.process(deadline + Duration::from_micros(400));
    assert_eq!(wakes(&counter), 0);
    assert!(poll(sleep.as_mut(), &waker).is_pending());

    handle.process(handle.origin() + HOUR + 11 * MS);
    assert_eq!(wakes(&counter), 1);
    assert!(sleep.is_elapsed());
    assert_eq!(poll(sleep.as_mut(), &waker), Poll::Ready(()));
    assert!(handle.is_empty());
}

#[test]
fn a_passed_deadline_completes_without_touching_the_wheel() {
    let (handle, _) = counting_handle();
    let mut sleep = Box::pin(Sleep::new(handle.clone(), Instant::now()));
    let (counter, waker) = counting_waker();
    assert_eq!(poll(sleep.as_mut(), &waker), Poll::Ready(()));
    assert!(handle.is_empty());
    assert_eq!(wakes(&counter), 0);
}

#[test]
fn an_unpolled_sleep_never_registers() {
    let (handle, _) = counting_handle();
    for _ in 0..1000 {
        drop(Sleep::new(handle.clone(), Instant::now() + HOUR));
    }
    assert!(handle.is_empty());
}

#[test]
fn dropping_a_registered_sleep_cancels_it() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let mut sleeps: Vec<_> = (0..100u32)
        .map(|i| Box::pin(Sleep::new(handle.clone(), Instant::now() + HOUR + i * MS)))
        .collect();
    for sleep in &mut sleeps {
        assert!(poll(sleep.as_mut(), &waker).is_pending());
    }
    // Drop every other one, in an order that unlinks heads, tails and middles.
    let kept: Vec<_> = sleeps
        .into_iter()
        .enumerate()
        .filter_map(|(i, sleep)| (i % 2 == 0).then_some(sleep))
        .collect();
    handle.process(Instant::now() + 2 * HOUR);
    assert_eq!(wakes(&counter), kept.len());
    assert!(kept.iter().all(|sleep| sleep.is_elapsed()));
    assert!(handle.is_empty());
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let (handle, _) = counting_handle();
    let mut sleep = Box::pin(Sleep::new(handle.clone(), Instant::now() + HOUR));
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    assert!(poll(sleep.as_mut(), &first_waker).is_pending());
    assert!(poll(sleep.as_mut(), &first_waker).is_pending());
    assert!(poll(sleep.as_mut(), &second_waker).is_pending());
    handle.process(Instant::now() + 2 * HOUR);
    assert_eq!((wakes(&first), wakes(&second)), (0, 1));
}

#[test]
fn wakers_run_outside_the_lock_in_batches() {
    let (handle, _) = counting_handle();
    let observer = handle.clone();
    let (counter, waker) = waker_with_hook(Box::new(move || {
        assert!(observer.lock_is_free(), "a waker ran under the wheel lock");
    }));
    let deadline = Instant::now() + HOUR;
    // More than one batch of wakeups, all due at the same tick.
    let mut sleeps: Vec<_> = (0..100)
        .map(|_| Box::pin(Sleep::new(handle.clone(), deadline)))
        .collect();
    for sleep in &mut sleeps {
        assert!(poll(sleep.as_mut(), &waker).is_pending());
    }
    handle.process(deadline + MS);
    assert_eq!(wakes(&counter), 100);
}

#[test]
fn an_earlier_insert_unparks_the_parked_thread_once() {
    let (handle, unparks) = counting_handle();
    let (_, waker) = counting_waker();
    let now = Instant::now();
    let mut late = Box::pin(Sleep::new(handle.clone(), now + 2 * HOUR));
    assert!(poll(late.as_mut(), &waker).is_pending());

    // Nobody parked: no unpark.
    let mut earlier = Box::pin(Sleep::new(handle.clone(), now + HOUR));
    assert!(poll(earlier.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 0);

    // Parked: the timeout covers the earliest entry, never past its deadline.
    let timeout = handle.before_park().expect("a deadline is pending");
    assert!(timeout <= earlier.deadline() + MS);

    // A later insert leaves the parked thread alone; an earlier one wakes it, once.
    let mut later = Box::pin(Sleep::new(handle.clone(), now + 3 * HOUR));
    assert!(poll(later.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 0);
    let mut soon = Box::pin(Sleep::new(handle.clone(), now + HOUR / 2));
    assert!(poll(soon.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
    let mut also_soon = Box::pin(Sleep::new(handle.clone(), now + HOUR / 2 + MS));
    assert!(poll(also_soon.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 1);

    // Woken: disarmed, so no more unparks.
    handle.after_park(Instant::now());
    let mut soonest = Box::pin(Sleep::new(handle.clone(), now + HOUR / 4));
    assert!(poll(soonest.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
}

#[test]
fn parking_with_nothing_pending_has_no_timeout_but_is_armed() {
    let (handle, unparks) = counting_handle();
    assert_eq!(handle.before_park(), None);
    let (_, waker) = counting_waker();
    let mut sleep = Box::pin(Sleep::new(handle.clone(), Instant::now() + HOUR));
    assert!(poll(sleep.as_mut(), &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
}

#[test]
fn reset_moves_a_registered_deadline() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let now = Instant::now();
    let mut sleep = Box::pin(Sleep::new(handle.clone(), now + HOUR));
    assert!(poll(sleep.as_mut(), &waker).is_pending());
    sleep.as_mut().reset(now + 2 * HOUR);
    assert!(handle.is_empty(), "reset unregisters until the next poll");
    assert!(poll(sleep.as_mut(), &waker).is_pending());
    handle.process(now + HOUR + MS);
    assert_eq!(wakes(&counter), 0);
    handle.process(now + 2 * HOUR + MS);
    assert_eq!(wakes(&counter), 1);
    // A fired sleep can be reset too.
    sleep.as_mut().reset(now + 3 * HOUR);
    assert!(!sleep.is_elapsed());
    assert!(poll(sleep.as_mut(), &waker).is_pending());
}

#[test]
fn shutdown_fires_everything_and_later_sleeps_complete_at_once() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let mut sleeps: Vec<_> = (0..40u32)
        .map(|i| Box::pin(Sleep::new(handle.clone(), Instant::now() + HOUR * (i + 1))))
        .collect();
    for sleep in &mut sleeps {
        assert!(poll(sleep.as_mut(), &waker).is_pending());
    }
    handle.shutdown();
    assert_eq!(wakes(&counter), 40);
    assert!(sleeps.iter().all(|sleep| sleep.is_elapsed()));
    let mut late = Box::pin(Sleep::new(handle.clone(), Instant::now() + HOUR));
    assert_eq!(poll(late.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(handle.before_park(), None);
}

#[test]
fn process_with_an_older_instant_never_moves_time_back() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let base = Instant::now() + HOUR;
    let mut first = Box::pin(Sleep::new(handle.clone(), base));
    assert!(poll(first.as_mut(), &waker).is_pending());
    handle.process(base + MS);
    assert_eq!(wakes(&counter), 1);
    // Another thread's older `now` arrives late.
    handle.process(base - Duration::from_secs(60));
    let mut second = Box::pin(Sleep::new(handle.clone(), base - Duration::from_secs(30)));
    // Not passed by the clock, but behind the wheel's time: completes at registration.
    assert_eq!(poll(second.as_mut(), &waker), Poll::Ready(()));
    assert!(handle.is_empty());
}

#[test]
fn timers_inserted_and_fired_from_many_threads() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let start = Instant::now() + HOUR;
    let registered = std::sync::Barrier::new(4);
    std::thread::scope(|scope| {
        for t in 0..4u32 {
            let handle = handle.clone();
            let waker = waker.clone();
            let registered = &registered;
            scope.spawn(move || {
                let mut sleeps: Vec<_> = (0..500u32)
                    .map(|i| Box::pin(Sleep::new(handle.clone(), start + (i * 7 + t) * MS)))
                    .collect();
                for sleep in &mut sleeps {
                    assert!(poll(sleep.as_mut(), &waker).is_pending());
                }
                registered.wait();
                for step in 0..4000u32 {
                    handle.process(start + step * MS);
                }
                // Every one due by now (the last at 3503 ms) fired, on whichever thread.
                handle.process(start + 4000 * MS);
                assert!(sleeps.iter().all(|sleep| sleep.is_elapsed()));
            });
        }
    });
    assert_eq!(wakes(&counter), 2000);
    assert!(handle.is_empty());
}

#[test]
fn the_deadline_is_kept_exactly_before_and_after_the_origin() {
    let (handle, _) = counting_handle();
    let origin = handle.origin();
    let ns = Duration::from_nanos(1);
    let deadlines = [
        origin - HOUR - 123 * ns,
        origin - ns,
        origin,
        origin + ns,
        origin + HOUR + 10 * MS + 7 * ns,
        origin + 200 * 365 * 24 * HOUR,
    ];
    for deadline in deadlines {
        assert_eq!(Sleep::new(handle.clone(), deadline).deadline(), deadline);
        let mut sleep = Box::pin(Sleep::new(handle.clone(), origin));
        sleep.as_mut().reset(deadline);
        assert_eq!(sleep.deadline(), deadline);
    }
}

#[test]
fn deadlines_beyond_292_years_are_clamped() {
    let (handle, _) = counting_handle();
    let (counter, waker) = counting_waker();
    let origin = handle.origin();
    let limit = Duration::from_nanos(i64::MAX.unsigned_abs());
    let three_centuries = 300 * 365 * 24 * HOUR;

    let mut far = Box::pin(Sleep::new(handle.clone(), origin + three_centuries));
    assert_eq!(far.deadline(), origin + limit);
    assert!(poll(far.as_mut(), &waker).is_pending());
    handle.process(origin + 100 * 365 * 24 * HOUR);
    assert_eq!(wakes(&counter), 0);

    let long_ago = origin
        .checked_sub(three_centuries)
        .expect("Linux's Instant reaches back 300 years");
    let mut past = Box::pin(Sleep::new(handle.clone(), long_ago));
    assert_eq!(past.deadline(), origin - (limit + Duration::from_nanos(1)));
    assert_eq!(poll(past.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn ticks_round_up_and_start_at_the_origin() {
    use super::entry::TimerEntry;
    let tick = |nanos| TimerEntry::new(nanos).when();
    assert_eq!(tick(i64::MIN), 0);
    assert_eq!(tick(-1), 0);
    assert_eq!(tick(0), 0);
    assert_eq!(tick(1), 1);
    assert_eq!(tick(1_000_000), 1);
    assert_eq!(tick(1_000_001), 2);
    assert_eq!(tick(i64::MAX), 9_223_372_036_855);
}

#[test]
fn a_sleep_is_small_and_allocation_free() {
    // Pinned so a change to the entry layout is a deliberate one (entry.rs, "Layout"): handle (8)
    // + entry (state 4, location 3, padding 1, links 16, deadline 8, waker 16) = 56 bytes, all
    // inline.
    assert_eq!(std::mem::size_of::<super::entry::Location>(), 3);
    assert_eq!(std::mem::size_of::<super::entry::TimerEntry>(), 48);
    assert_eq!(std::mem::size_of::<Sleep>(), 56);
}
