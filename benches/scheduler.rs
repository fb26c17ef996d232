//! The scheduler scenarios of tokio's own `benches/rt_multi_threaded.rs`, written once, run on
//! tourbillon and on tokio in the same group, on a multi-thread runtime with 2 workers and on a
//! current-thread runtime.
//!
//! | scenario                 | what it stresses                                             |
//! |--------------------------|--------------------------------------------------------------|
//! | `spawn_many_local`       | 10k spawns from inside a task: the worker's local queue      |
//! | `spawn_many_remote_idle` | 10k spawns from outside, then await all: the injector        |
//! | `spawn_many_remote_busy` | the same while workers run yield-and-stall tasks: fairness   |
//! | `yield_many`             | 200 tasks × 1,000 `yield_now`: the wake-and-requeue path     |
//! | `ping_pong`              | 1,000 pairs bouncing a oneshot: cross-task wakes, LIFO slot  |
//! | `chained_spawn`          | a 1,000-deep chain, each task spawning the next              |
//!
//! Unlike tokio's version, completion is awaited through a runtime-agnostic [`Latch`] rather than
//! by blocking the `block_on` thread on a std channel, so the same code runs on current-thread.

use tourbillon_support::bench as support;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{compare, fan_out, BenchRuntime, Flavor, Latch};

const NUM_SPAWN: usize = 10_000;

/// 10k spawns from inside a task (so they land in a worker's local queue, overflowing to the
/// injector), each counting down a latch.
fn spawn_many_local<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    b.iter(|| {
        let (latch, done) = Latch::new(NUM_SPAWN);
        let spawner = R::spawn_on(&rt.handle(), async move {
            for _ in 0..NUM_SPAWN {
                let latch = latch.clone();
                R::spawn_detached(async move { latch.count_down() });
            }
        });
        rt.block_on(async {
            spawner.await.unwrap();
            done.await.unwrap();
        });
    });
}

/// 10k spawns from the bench thread through a handle, then `block_on` awaits every join handle.
fn spawn_many_remote_idle<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    let handle = rt.handle();
    let mut joins = Vec::with_capacity(NUM_SPAWN);
    b.iter(|| {
        joins.extend((0..NUM_SPAWN).map(|_| R::spawn_on(&handle, async {})));
        rt.block_on(async {
            for join in joins.drain(..) {
                join.await.unwrap();
            }
        });
    });
}

/// How long a busy task spins between yields.
const STALL: Duration = Duration::from_micros(10);

/// `spawn_many_remote_idle` while `2 × WORKERS` tasks keep the workers busy, each yielding and
/// then spinning for [`STALL`]: remote spawns must still get their turn.
fn spawn_many_remote_busy<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    let handle = rt.handle();
    let running = Arc::new(AtomicBool::new(true));
    let busy: Vec<_> = (0..2 * support::WORKERS)
        .map(|_| {
            let running = running.clone();
            R::spawn_on(&handle, async move {
                // Relaxed: a stop flag; no data is published through it.
                while running.load(Ordering::Relaxed) {
                    R::yield_now().await;
                    stall();
                }
            })
        })
        .collect();

    let mut joins = Vec::with_capacity(NUM_SPAWN);
    b.iter(|| {
        joins.extend((0..NUM_SPAWN).map(|_| R::spawn_on(&handle, async {})));
        rt.block_on(async {
            for join in joins.drain(..) {
                join.await.unwrap();
            }
        });
    });

    // Relaxed: see the load above.
    running.store(false, Ordering::Relaxed);
    rt.block_on(async {
        for task in busy {
            task.await.unwrap();
        }
    });
}

fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// 200 tasks spawned from outside, each yielding 1,000 times.
fn yield_many<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    const TASKS: usize = 200;
    const YIELDS: usize = 1_000;
    let handle = rt.handle();
    b.iter(|| {
        let (latch, done) = Latch::new(TASKS);
        for _ in 0..TASKS {
            let latch = latch.clone();
            R::spawn_detached_on(&handle, async move {
                for _ in 0..YIELDS {
                    R::yield_now().await;
                }
                latch.count_down();
            });
        }
        rt.block_on(done).unwrap();
    });
}

/// One task spawns 1,000 pingers; each spawns a ponger, sends it a ping over a oneshot and
/// awaits the pong over another.
fn ping_pong<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    use futures_channel::oneshot;
    b.iter(|| {
        fan_out(rt, 1_000, || async {
            let (ping_tx, ping_rx) = oneshot::channel();
            let (pong_tx, pong_rx) = oneshot::channel();
            R::spawn_detached(async move {
                ping_rx.await.unwrap();
                pong_tx.send(()).unwrap();
            });
            ping_tx.send(()).unwrap();
            pong_rx.await.unwrap();
        })
    });
}

/// A chain of 1,000 tasks, each spawning the next; the last one completes the oneshot.
fn chained_spawn<R: BenchRuntime>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    use futures_channel::oneshot;
    const DEPTH: usize = 1_000;

    fn link<R: BenchRuntime>(done: oneshot::Sender<()>, left: usize) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            R::spawn_detached(async move { link::<R>(done, left - 1) });
        }
    }

    let handle = rt.handle();
    b.iter(|| {
        let (done_tx, done_rx) = oneshot::channel();
        R::spawn_detached_on(&handle, async move { link::<R>(done_tx, DEPTH) });
        rt.block_on(done_rx).unwrap();
    });
}

fn scheduler(c: &mut Criterion) {
    let all = &Flavor::ALL;
    compare(
        c,
        "spawn_many_local",
        all,
        spawn_many_local,
        spawn_many_local,
    );
    compare(
        c,
        "spawn_many_remote_idle",
        all,
        spawn_many_remote_idle,
        spawn_many_remote_idle,
    );
    compare(
        c,
        "spawn_many_remote_busy",
        all,
        spawn_many_remote_busy,
        spawn_many_remote_busy,
    );
    compare(c, "yield_many", all, yield_many, yield_many);
    compare(c, "ping_pong", all, ping_pong, ping_pong);
    compare(c, "chained_spawn", all, chained_spawn, chained_spawn);
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = scheduler
}
criterion_main!(benches);
