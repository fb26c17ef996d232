//! Remote-spawn contention: `THREADS` foreign OS threads (not workers) spawn 12,000 tasks in
//! total into the runtime at once, the shape of tokio's `benches/remote_spawn.rs`. Every spawn
//! goes through the runtime's injector, so this measures its push side under contention (and
//! the workers' batch pops on the other side).
//!
//! Threads are started per iteration (`std::thread::scope`) and released together by a barrier;
//! the start-up cost is the same for both runtimes and small next to 12,000 spawns.

use tourbillon_support::bench as support;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use std::sync::Barrier;
use support::{compare, BenchRuntime, Flavor, Latch};

/// Divisible by every thread count measured.
const TOTAL_TASKS: usize = 12_000;

fn remote_spawn<R: BenchRuntime, const THREADS: usize>(b: &mut Bencher<'_, WallTime>, rt: &R) {
    let handle = rt.handle();
    b.iter(|| {
        let (latch, done) = Latch::new(TOTAL_TASKS);
        let start = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                let (handle, latch, start) = (&handle, &latch, &start);
                scope.spawn(move || {
                    start.wait();
                    for _ in 0..TOTAL_TASKS / THREADS {
                        let latch = latch.clone();
                        R::spawn_detached_on(handle, async move { latch.count_down() });
                    }
                });
            }
        });
        rt.block_on(done).unwrap();
    });
}

fn contention(c: &mut Criterion) {
    let all = &Flavor::ALL;
    compare(
        c,
        "remote_spawn_2threads",
        all,
        remote_spawn::<_, 2>,
        remote_spawn::<_, 2>,
    );
    compare(
        c,
        "remote_spawn_3threads",
        all,
        remote_spawn::<_, 3>,
        remote_spawn::<_, 3>,
    );
    compare(
        c,
        "remote_spawn_4threads",
        all,
        remote_spawn::<_, 4>,
        remote_spawn::<_, 4>,
    );
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = contention
}
criterion_main!(benches);
