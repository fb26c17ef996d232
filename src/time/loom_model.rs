//! Loom models of the timer protocols. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --lib --target-dir target-loom time::loom_model`.
//!
//! - cancel vs fire: dropping a registered `Sleep` while another thread fires it (entry rules 3
//!   and 4): no race on the entry, at most one wake, nothing left in the wheel;
//! - waker swap vs fire: re-polling with a new waker while the entry fires: no lost wakeup;
//! - park vs insert: an insert racing with `before_park` either is seen by it or unparks.
//!
//! Each model fails when its protocol is broken: a `Relaxed` store of `FIRED` in
//! `TimerEntry::fire` (cancel vs fire: loom reports the racing waker accesses), `update_waker`
//! not re-checking `FIRED` under the lock (waker swap: a lost wakeup), `register` not unparking
//! an armed parker (park vs insert). The owner's `yield_now` makes loom also schedule the other
//! thread to run to completion first, an order its search otherwise skips in these models.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

use super::driver::Handle;
use super::sleep::Sleep;

const HOUR: Duration = Duration::from_secs(3600);

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (std::sync::Arc<CountingWaker>, Waker) {
    let counter = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

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

#[test]
fn cancel_races_with_fire() {
    loom::model(|| {
        let (handle, _) = counting_handle();
        let (counter, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(Sleep::new(handle.clone(), deadline));
        assert!(poll(sleep.as_mut(), &waker).is_pending());

        let firer = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.process(deadline + HOUR))
        };
        loom::thread::yield_now();
        drop(sleep);
        firer.join().unwrap();

        assert!(counter.0.load(Ordering::SeqCst) <= 1);
        assert!(handle.is_empty());
    });
}

#[test]
fn waker_swap_races_with_fire() {
    loom::model(|| {
        let (handle, _) = counting_handle();
        let (first, first_waker) = counting_waker();
        let (second, second_waker) = counting_waker();
        let deadline = Instant::now() + HOUR;
        let mut sleep = Box::pin(Sleep::new(handle.clone(), deadline));
        assert!(poll(sleep.as_mut(), &first_waker).is_pending());

        let firer = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.process(deadline + HOUR))
        };
        loom::thread::yield_now();
        let swapped = poll(sleep.as_mut(), &second_waker);
        firer.join().unwrap();

        let (first, second) = (
            first.0.load(Ordering::SeqCst),
            second.0.load(Ordering::SeqCst),
        );
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
fn insert_races_with_park() {
    loom::model(|| {
        let (handle, unparks) = counting_handle();
        let (_, waker) = counting_waker();
        let deadline = Instant::now() + HOUR;

        let parker = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.before_park())
        };
        let mut sleep = Box::pin(Sleep::new(handle.clone(), deadline));
        loom::thread::yield_now();
        assert!(poll(sleep.as_mut(), &waker).is_pending());
        let timeout = parker.join().unwrap();

        let parker_saw_it = timeout.is_some_and(|t| t <= deadline + Duration::from_millis(1));
        let unparked = unparks.load(Ordering::SeqCst);
        assert!(
            parker_saw_it || unparked == 1,
            "a timer was lost to the park race"
        );
        assert!(unparked <= 1);
    });
}
