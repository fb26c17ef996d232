//! Loom models of the timer protocols, run on the library's own timer driver (`time::Handle`,
//! the wheel, `TimerEntry`) and `Sleep`, through `tourbillon::loom_api::Timers`.
//!
//! Deadlines are an hour ahead of the real clock, so a `Sleep`'s own "already due?" check never
//! fires it; the wheel's time is only what the models pass to `process`/`after_park`.
//!
//! | scenario | threads | what it proves |
//! |---|---|---|
//! | `cancel_vs_fire` | owner drops a registered `Sleep` ‖ another thread fires it | entry rules 3-4: no race on the entry (loom checks the waker cell), at most one wake, nothing left linked in the wheel |
//! | `waker_swap_vs_fire` | owner re-polls with a new waker ‖ fire | `update_waker` re-checks `FIRED` under the lock: exactly one wake, and if the re-poll was `Pending` its new waker is the one woken (no lost wakeup) |
//! | `reset_vs_fire` | owner resets a registered `Sleep` to a later deadline and re-polls ‖ the old deadline fires | `reset` cancels under the lock (or finds it fired) before moving the deadline and re-arming: no race on the entry (loom checks its deadline cell, entry rule 6), the old deadline wakes at most once and never completes the reset sleep, the new one fires it exactly once |
//! | `insert_vs_advance` | owner registers a `Sleep` ‖ another thread advances the wheel to just before the deadline (`after_park`: under the lock), then past it (`process`: through the lock-free `next_wake` hint) | nothing fires early, nothing fires twice, and a registered timer is never lost: whichever side of the advance the insert lands on, the advancer fires it or the next turn does (an insert lowers the hint under the lock; a stale hint only defers, driver rule 2) |
//! | `park_vs_insert` | `before_park` ‖ an insert | driver rule 3: the insert is seen by `before_park` (in its timeout) or calls `unpark` (exactly once) |
//! | `park_vs_insert_through_reactor` | the driver thread's `before_park` then blocking reactor turn ‖ an insert | the same handshake end to end (as `driver::Driver::park` composes it): the timer's `unpark` reaches the reactor's park word and fake poller, so the driver never sleeps through a new earliest deadline (a lost one is a loom deadlock) |
//! | `shutdown_vs_register` | owner polls a `Sleep` ‖ `shutdown` | driver rule 4: a registration racing with shutdown completes at once or is fired by it; the wheel ends empty |
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release
//! --target-dir target-loom --test timers`.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use loom_tests::model;
use tourbillon::loom_api::{reactor, Timers};
use tourbillon::time::Sleep;

const HOUR: Duration = Duration::from_secs(3600);
const MS: Duration = Duration::from_millis(1);

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        // SeqCst: the model's own counters (wakes, unparks) are checked after joins; they
        // must not be where an ordering bug in the library hides.
        self.0.fetch_add(1, SeqCst);
    }
}

impl CountingWaker {
    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

fn counting_waker() -> (StdArc<CountingWaker>, Waker) {
    let counter = StdArc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

/// A timer driver whose `unpark` only counts.
fn counting_timers() -> (Timers, Arc<AtomicUsize>) {
    let unparks = Arc::new(AtomicUsize::new(0));
    let counter = unparks.clone();
    let timers = Timers::new(move || {
        counter.fetch_add(1, SeqCst);
    });
    (timers, unparks)
}

fn poll(sleep: Pin<&mut Sleep>, waker: &Waker) -> Poll<()> {
    sleep.poll(&mut Context::from_waker(waker))
}

#[test]
fn cancel_vs_fire() {
    model(None, || {
        let (timers, _) = counting_timers();
        let (counter, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(timers.sleep_until(deadline));
        assert!(poll(sleep.as_mut(), &waker).is_pending());

        let firer = {
            let timers = timers.clone();
            thread::spawn(move || timers.process(deadline + HOUR))
        };
        // Lets loom also run the firer to completion first, an order its search otherwise
        // skips here (a new thread does not run until the spawner yields or blocks).
        thread::yield_now();
        drop(sleep);
        firer.join().unwrap();

        assert!(counter.count() <= 1, "fired twice");
        assert!(
            timers.is_empty(),
            "a cancelled or fired entry is still linked"
        );
    });
}

#[test]
fn waker_swap_vs_fire() {
    model(None, || {
        let (timers, _) = counting_timers();
        let (first, first_waker) = counting_waker();
        let (second, second_waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(timers.sleep_until(deadline));
        assert!(poll(sleep.as_mut(), &first_waker).is_pending());

        let firer = {
            let timers = timers.clone();
            thread::spawn(move || timers.process(deadline + HOUR))
        };
        thread::yield_now();
        let swapped = poll(sleep.as_mut(), &second_waker);
        firer.join().unwrap();

        let (first, second) = (first.count(), second.count());
        assert_eq!(first + second, 1, "fired exactly once");
        if swapped.is_pending() {
            assert_eq!(
                second, 1,
                "the waker of the last pending poll was not woken"
            );
        }
        assert!(sleep.is_elapsed());
    });
}

#[test]
fn reset_vs_fire() {
    model(None, || {
        let (timers, _) = counting_timers();
        let (counter, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let later = deadline + HOUR;
        let mut sleep = Box::pin(timers.sleep_until(deadline));
        assert!(poll(sleep.as_mut(), &waker).is_pending());

        let firer = {
            let timers = timers.clone();
            thread::spawn(move || timers.process(deadline + MS))
        };
        thread::yield_now();
        // Whether or not it fired meanwhile, the reset makes it pending again, due at `later`.
        sleep.as_mut().reset(later);
        let fired_before_reset = counter.count();
        assert!(
            poll(sleep.as_mut(), &waker).is_pending(),
            "a reset sleep is pending"
        );
        firer.join().unwrap();

        // The old deadline never fires it again; the new one fires it exactly once.
        let fired_at_first_deadline = counter.count();
        assert!(fired_at_first_deadline <= 1);
        assert!(fired_before_reset <= fired_at_first_deadline);
        assert!(
            !sleep.is_elapsed(),
            "the old deadline fired the reset sleep"
        );
        timers.process(later + MS);
        assert_eq!(counter.count(), fired_at_first_deadline + 1);
        assert!(poll(sleep.as_mut(), &waker).is_ready());
        assert!(timers.is_empty());
    });
}

#[test]
fn insert_vs_advance() {
    model(None, || {
        let (timers, _) = counting_timers();
        let (counter, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(timers.sleep_until(deadline));

        // The wheel is driven the way a worker's non-blocking turns drive it: one `process`
        // just before the deadline (nothing may fire), one past it.
        let advancer = {
            let timers = timers.clone();
            let counter = counter.clone();
            thread::spawn(move || {
                timers.after_park(deadline - MS);
                assert_eq!(counter.count(), 0, "fired before its deadline");
                timers.process(deadline + MS);
            })
        };
        let first = poll(sleep.as_mut(), &waker);
        advancer.join().unwrap();

        // Never due before `process(deadline + MS)`, and that does not advance a wheel it
        // believes empty: the first poll always registers.
        assert!(first.is_pending());
        // The advancer fired it, or this next turn does.
        timers.process(deadline + 2 * MS);
        assert_eq!(
            counter.count(),
            1,
            "a registered timer was lost to the advance"
        );
        assert!(poll(sleep.as_mut(), &waker).is_ready());
        assert!(timers.is_empty());
    });
}

#[test]
fn park_vs_insert() {
    model(None, || {
        let (timers, unparks) = counting_timers();
        let (_, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;

        let parker = {
            let timers = timers.clone();
            thread::spawn(move || timers.before_park())
        };
        let mut sleep = Box::pin(timers.sleep_until(deadline));
        thread::yield_now();
        assert!(poll(sleep.as_mut(), &waker).is_pending());
        let timeout = parker.join().unwrap();

        let parker_saw_it = timeout.is_some_and(|t| t <= deadline + MS);
        let unparked = unparks.load(SeqCst);
        assert!(
            parker_saw_it || unparked == 1,
            "a timer was lost to the park race"
        );
        assert!(unparked <= 1);
    });
}

#[test]
fn park_vs_insert_through_reactor() {
    model(None, || {
        let (mut reactor, io) = reactor();
        let timers = {
            let io = io.clone();
            Timers::new(move || io.unpark())
        };
        let (_, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;

        // `driver::Driver::park` with no timeout of its own: the earliest deadline
        // becomes the reactor's timeout; with none, the turn blocks until an unpark.
        let driver = {
            let timers = timers.clone();
            thread::spawn(move || {
                let timeout = timers.before_park().map(|_| HOUR);
                reactor.turn(timeout);
                timers.after_park(Instant::now());
                reactor
            })
        };
        let mut sleep = Box::pin(timers.sleep_until(deadline));
        assert!(poll(sleep.as_mut(), &waker).is_pending());

        drop(driver.join().unwrap());
        drop(sleep);
        assert!(timers.is_empty());
    });
}

#[test]
fn shutdown_vs_register() {
    model(None, || {
        let (timers, _) = counting_timers();
        let (counter, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(timers.sleep_until(deadline));

        let shutter = {
            let timers = timers.clone();
            thread::spawn(move || timers.shutdown())
        };
        let first = poll(sleep.as_mut(), &waker);
        shutter.join().unwrap();

        if first.is_pending() {
            assert_eq!(
                counter.count(),
                1,
                "shutdown did not fire a registered timer"
            );
        } else {
            assert_eq!(counter.count(), 0);
        }
        assert!(
            poll(sleep.as_mut(), &waker).is_ready(),
            "pending after shutdown"
        );
        assert!(timers.is_empty());
    });
}
