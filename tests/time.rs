//! Timers through the public API: sleep, sleep_until, timeout, interval, on the current-thread
//! runtime and on two workers. Timing checks are "never early" plus generous upper bounds.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tourbillon::time::{interval, sleep, sleep_until, timeout, Elapsed};
use tourbillon::{Builder, Runtime};

/// Far beyond any plausible delay on a loaded two-core machine, far below "hung".
const GENEROUS: Duration = Duration::from_secs(60);

fn current_thread() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

fn two_workers() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Deterministic durations of 0..=max_ms milliseconds (a 64-bit LCG).
fn durations(count: usize, max_ms: u64) -> impl Iterator<Item = Duration> {
    let mut state = 0x853c_49e6_748f_ea9b_u64;
    (0..count).map(move |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_micros((state >> 33) % (max_ms * 1000 + 1))
    })
}

/// Spawns `count` tasks each sleeping 0-300 ms; every one must wake at or after its deadline.
fn many_concurrent_sleeps(rt: &Runtime, count: usize) {
    let started = Instant::now();
    let completed = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = durations(count, 300)
            .map(|duration| {
                let completed = completed.clone();
                tourbillon::spawn(async move {
                    let sleep = sleep(duration);
                    let deadline = sleep.deadline();
                    sleep.await;
                    let woke = Instant::now();
                    assert!(woke >= deadline, "woke {:?} early", deadline - woke);
                    completed.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(completed.load(Ordering::Relaxed), count);
    assert!(started.elapsed() < GENEROUS);
}

#[test]
fn fifty_thousand_sleeps_on_current_thread() {
    many_concurrent_sleeps(&current_thread(), 50_000);
}

#[test]
fn fifty_thousand_sleeps_on_two_workers() {
    many_concurrent_sleeps(&two_workers(), 50_000);
}

#[test]
fn hundred_thousand_sleeps_dropped_unpolled() {
    let rt = two_workers();
    let started = Instant::now();
    rt.block_on(async {
        let sleeps: Vec<_> = (0..100_000u64)
            .map(|i| sleep(Duration::from_secs(3600 + i)))
            .collect();
        assert!(sleeps.iter().all(|sleep| !sleep.is_elapsed()));
        drop(sleeps);
        // The same through `timeout`: futures that finish first never touch the wheel.
        for i in 0..100_000u64 {
            assert_eq!(timeout(Duration::from_secs(3600), async { i }).await, Ok(i));
        }
        // And the timer still works afterwards.
        let sleep = sleep(Duration::from_millis(10));
        let deadline = sleep.deadline();
        sleep.await;
        assert!(Instant::now() >= deadline);
    });
    assert!(started.elapsed() < GENEROUS);
}

#[test]
fn timeout_inner_future_wins() {
    for rt in [current_thread(), two_workers()] {
        rt.block_on(async {
            let started = Instant::now();
            let output = timeout(Duration::from_secs(30), async {
                sleep(Duration::from_millis(10)).await;
                7
            })
            .await;
            assert_eq!(output, Ok(7));
            assert!(started.elapsed() >= Duration::from_millis(10));
            assert!(started.elapsed() < GENEROUS);

            // Woken from another task (on another worker, in the multi-thread runtime).
            let other = tourbillon::spawn(async {
                sleep(Duration::from_millis(5)).await;
                "done"
            });
            let output = timeout(Duration::from_secs(30), other).await;
            assert_eq!(output.map(Result::unwrap), Ok("done"));
        });
    }
}

#[test]
fn timeout_timer_wins() {
    for rt in [current_thread(), two_workers()] {
        rt.block_on(async {
            let started = Instant::now();
            let limit = Duration::from_millis(20);
            let output: Result<(), Elapsed> = timeout(limit, std::future::pending()).await;
            assert!(matches!(output, Err(Elapsed { .. })));
            assert!(started.elapsed() >= limit, "timed out early");
            assert!(started.elapsed() < GENEROUS);
            assert_eq!(
                timeout(limit, sleep(Duration::from_secs(3600)))
                    .await
                    .unwrap_err()
                    .to_string(),
                "deadline has elapsed"
            );
        });
    }
}

#[test]
fn interval_first_tick_immediate_then_on_schedule() {
    for rt in [current_thread(), two_workers()] {
        rt.block_on(async {
            let period = Duration::from_millis(20);
            let before = Instant::now();
            let mut interval = interval(period);
            let after = Instant::now();
            let first = interval.tick().await;
            assert!(
                before <= first && first <= after,
                "first tick not at creation"
            );
            for k in 1..=5u32 {
                let scheduled = interval.tick().await;
                let now = Instant::now();
                assert!(scheduled >= first + period * k, "tick {k} scheduled early");
                assert!(now >= scheduled, "tick {k} completed before its instant");
            }
            assert!(before.elapsed() >= period * 5);
            assert!(before.elapsed() < GENEROUS);
        });
    }
}

#[test]
fn sleep_until_in_the_past_is_ready_on_first_poll() {
    current_thread().block_on(async {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        let mut sleep = pin!(sleep_until(past));
        let first_poll = poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await;
        assert_eq!(first_poll, Poll::Ready(()));
        assert!(sleep.is_elapsed());
    });
}

/// A waker that counts wakes; its `Arc` strong count shows whether the timer still holds it.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn cancelled_sleeps_release_their_wakers() {
    two_workers().block_on(async {
        // Sleeps due in 0-2 ms are registered, then dropped while the other worker (or this
        // one) may be firing them: each must let go of its waker exactly once, fired or not.
        let tasks: Vec<_> = durations(2_000, 2)
            .map(|duration| {
                tourbillon::spawn(async move {
                    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
                    let waker = Waker::from(counter.clone());
                    let mut sleep = Box::pin(sleep(duration + Duration::from_millis(1)));
                    // Usually pending (registered); on a slow machine it may already be due.
                    let _ = sleep.as_mut().poll(&mut Context::from_waker(&waker));
                    tourbillon::task::yield_now().await;
                    drop(sleep);
                    drop(waker);
                    // A worker firing this sleep right now holds a clone of the waker from the
                    // wheel lock until its wake (driver.rs rule 1), so the count may lag for a
                    // moment (ThreadSanitizer's slowdown made that moment visible). A clone the
                    // wheel kept would never come back: wait for it, within bounds.
                    let dropped = Instant::now();
                    while Arc::strong_count(&counter) > 1 {
                        assert!(dropped.elapsed() < GENEROUS, "the wheel kept a waker");
                        std::thread::yield_now();
                    }
                    assert!(counter.0.load(Ordering::SeqCst) <= 1);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn short_sleeps_across_workers_are_never_lost() {
    // Each sleep is registered by whichever worker runs the task while the other may be parked
    // in the reactor with an older timeout: the insert must wake it (or it must not be needed).
    let rt = two_workers();
    let started = Instant::now();
    rt.block_on(async {
        for duration in durations(300, 3) {
            tourbillon::spawn(async move {
                let sleep = sleep(duration);
                let deadline = sleep.deadline();
                sleep.await;
                assert!(Instant::now() >= deadline);
            })
            .await
            .unwrap();
        }
    });
    assert!(started.elapsed() < GENEROUS);
}

#[test]
fn reset_moves_the_deadline() {
    current_thread().block_on(async {
        let mut sleep = pin!(sleep(Duration::from_secs(3600)));
        // Register the long deadline, then pull it in.
        let _ = poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await;
        let soon = Instant::now() + Duration::from_millis(10);
        sleep.as_mut().reset(soon);
        assert_eq!(sleep.deadline(), soon);
        sleep.as_mut().await;
        assert!(Instant::now() >= soon);
    });
}

#[test]
fn a_duration_too_long_for_an_instant_sleeps_thirty_years() {
    const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    current_thread().block_on(async {
        let before = Instant::now();
        let mut sleep = pin!(sleep(Duration::MAX));
        let after = Instant::now();
        assert!((before + THIRTY_YEARS..=after + THIRTY_YEARS).contains(&sleep.deadline()));
        let first = poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await;
        assert!(first.is_pending());
    });
}

#[test]
fn a_sleep_outliving_its_runtime_completes() {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let rt = two_workers();
    let (mut registered, mut unpolled) = rt.block_on(async {
        let mut registered = Box::pin(sleep(Duration::from_secs(3600)));
        let first = registered.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(first.is_pending());
        (registered, Box::pin(sleep(Duration::from_secs(3600))))
    });
    drop(rt);
    // Shutdown fired the registered one (and woke it); the other completes on its first poll:
    // no driver is left to fire either later.
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    let mut cx = Context::from_waker(&waker);
    assert_eq!(registered.as_mut().poll(&mut cx), Poll::Ready(()));
    assert_eq!(unpolled.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn timer_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<tourbillon::time::Sleep>();
    send_sync::<tourbillon::time::Timeout<tourbillon::time::Sleep>>();
    send_sync::<tourbillon::time::Interval>();
    send_sync::<Elapsed>();
}
