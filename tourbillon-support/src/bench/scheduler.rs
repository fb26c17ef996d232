//! The scheduler scenarios of tokio's own `benches/rt_multi_threaded.rs`, written once, generic
//! over the runtime: `benches/scheduler.rs` times them under criterion, tourbillon and tokio in
//! the same group, and `examples/scheduler.rs` runs one a given number of times on tourbillon
//! (its counters per iteration, its trace, and what `scripts/metrics-instructions.sh` counts
//! the instructions of).
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
//! Each scenario runs `iterations` iterations on a runtime built by the caller and returns the
//! time they took (set-up and tear-down outside it, as criterion's `iter_custom` wants).
//! Unlike tokio's version, completion is awaited through a runtime-agnostic [`Latch`] rather than
//! by blocking the `block_on` thread on a std channel, so the same code runs on current-thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{fan_out, BenchRuntime, Latch, WORKERS};

/// A scenario instantiated for one runtime: runs `iterations` iterations, returns their time.
pub type Timed<R> = fn(&R, u64) -> Duration;

/// Every scenario, by name, in the order of the table above.
pub fn all<R: BenchRuntime>() -> [(&'static str, Timed<R>); 6] {
    [
        ("spawn_many_local", spawn_many_local::<R>),
        ("spawn_many_remote_idle", spawn_many_remote_idle::<R>),
        ("spawn_many_remote_busy", spawn_many_remote_busy::<R>),
        ("yield_many", yield_many::<R>),
        ("ping_pong", ping_pong::<R>),
        ("chained_spawn", chained_spawn::<R>),
    ]
}

/// Runs `iteration` `iterations` times and returns how long that took.
fn timed(iterations: u64, mut iteration: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        iteration();
    }
    start.elapsed()
}

const NUM_SPAWN: usize = 10_000;

/// 10k spawns from inside a task (so they land in a worker's local queue, overflowing to the
/// injector), each counting down a latch.
pub fn spawn_many_local<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
    timed(iterations, || {
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
    })
}

/// 10k spawns from the bench thread through a handle, then `block_on` awaits every join handle.
pub fn spawn_many_remote_idle<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
    let handle = rt.handle();
    let mut joins = Vec::with_capacity(NUM_SPAWN);
    timed(iterations, || {
        joins.extend((0..NUM_SPAWN).map(|_| R::spawn_on(&handle, async {})));
        rt.block_on(async {
            for join in joins.drain(..) {
                join.await.unwrap();
            }
        });
    })
}

/// How long a busy task spins between yields.
const STALL: Duration = Duration::from_micros(10);

/// `spawn_many_remote_idle` while `2 × WORKERS` tasks keep the workers busy, each yielding and
/// then spinning for [`STALL`]: remote spawns must still get their turn.
pub fn spawn_many_remote_busy<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
    let handle = rt.handle();
    let running = Arc::new(AtomicBool::new(true));
    let busy: Vec<_> = (0..2 * WORKERS)
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

    let time = spawn_many_remote_idle(rt, iterations);

    // Relaxed: see the load above.
    running.store(false, Ordering::Relaxed);
    rt.block_on(async {
        for task in busy {
            task.await.unwrap();
        }
    });
    time
}

fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// 200 tasks spawned from outside, each yielding 1,000 times.
pub fn yield_many<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
    const TASKS: usize = 200;
    const YIELDS: usize = 1_000;
    let handle = rt.handle();
    timed(iterations, || {
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
    })
}

/// One task spawns 1,000 pingers; each spawns a ponger, sends it a ping over a oneshot and
/// awaits the pong over another.
pub fn ping_pong<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
    use futures_channel::oneshot;
    timed(iterations, || {
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
    })
}

/// A chain of 1,000 tasks, each spawning the next; the last one completes the oneshot.
pub fn chained_spawn<R: BenchRuntime>(rt: &R, iterations: u64) -> Duration {
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
    timed(iterations, || {
        let (done_tx, done_rx) = oneshot::channel();
        R::spawn_detached_on(&handle, async move { link::<R>(done_tx, DEPTH) });
        rt.block_on(done_rx).unwrap();
    })
}
