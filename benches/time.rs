//! Timers, written once and run on tourbillon and on tokio in the same group, on a multi-thread
//! runtime with 2 workers and on a current-thread runtime.
//!
//! | scenario              | what it stresses                                                 |
//! |-----------------------|------------------------------------------------------------------|
//! | `sleep_drop_unpolled` | create and drop a 1-hour sleep never polled: should cost nothing |
//! | `sleep_drop_polled`   | create, poll once (insert into the wheel), drop (cancel)         |
//! | `timer_fire_100k`     | 100k tasks each sleeping 1 ms: insert, expire, wake, complete    |
//! | `timeout_ready`       | `timeout(1 h, ready(()))`: the overhead around a ready future    |
//!
//! The per-operation scenarios time many operations inside one `block_on` (`sleep` needs the
//! runtime's context), one per criterion iteration; `timer_fire_100k` times one batch per
//! iteration, so it includes spawning the 100k tasks (both runtimes pay it).

use tourbillon_support::bench as support;

use criterion::measurement::WallTime;
use criterion::{black_box, criterion_group, criterion_main, Bencher, Criterion};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};
use support::timers::Timers;
use support::{compare, fan_out, BenchRuntime, Flavor};

/// Long enough never to fire during a bench.
const LONG: Duration = Duration::from_secs(3600);

/// Times `iters` runs of `body` in a row inside one `block_on`, where the runtime's context
/// (which creating a timer needs) is entered.
fn iter_in_runtime<R: BenchRuntime, F: Future<Output = ()>>(
    b: &mut Bencher<'_, WallTime>,
    rt: &R,
    mut body: impl FnMut() -> F,
) {
    b.iter_custom(|iters| {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                body().await;
            }
            start.elapsed()
        })
    });
}

/// Creates and drops a sleep that is never polled.
fn sleep_drop_unpolled<R: Timers>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    iter_in_runtime(b, rt, || async { drop(black_box(R::sleep(LONG))) });
}

/// Creates a sleep, polls it once (registering it with the timer driver), and drops it.
fn sleep_drop_polled<R: Timers>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    iter_in_runtime(b, rt, || async {
        let mut sleep = pin!(R::sleep(LONG));
        poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending(), "a 1-hour sleep fired");
            Poll::Ready(())
        })
        .await;
    });
}

/// One task spawns 100k tasks; each sleeps 1 ms and counts down a latch.
fn timer_fire_100k<R: Timers>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    b.iter(|| fan_out(rt, 100_000, || R::sleep(Duration::from_millis(1))));
}

/// Awaits `timeout(1 h, ready(()))`: the inner future is ready at the first poll.
fn timeout_ready<R: Timers>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    iter_in_runtime(b, rt, || async {
        black_box(R::timeout(LONG, std::future::ready(())).await).unwrap();
    });
}

fn timers(c: &mut Criterion) {
    let all = &Flavor::ALL;
    compare(
        c,
        "sleep_drop_unpolled",
        all,
        sleep_drop_unpolled,
        sleep_drop_unpolled,
    );
    compare(
        c,
        "sleep_drop_polled",
        all,
        sleep_drop_polled,
        sleep_drop_polled,
    );
    compare(c, "timer_fire_100k", all, timer_fire_100k, timer_fire_100k);
    compare(c, "timeout_ready", all, timeout_ready, timeout_ready);
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = timers
}
criterion_main!(benches);
