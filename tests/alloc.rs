//! Allocation accounting with a counting global allocator: exactly one allocation per spawn,
//! none per wake, poll or yield, and every allocation of a runtime returned once it is dropped.
//!
//! The counters are process-wide, so nothing may run beside the test: not another test, and
//! not libtest either. libtest's main thread allocates its bookkeeping for a test (the running
//! tests' map, its timeout queue, the channel it waits on) after it has spawned the test's
//! thread; on a loaded machine that lands inside the measured window, and under ThreadSanitizer
//! on a busy CI host it did (4 allocations, all on the process's main thread). So this binary
//! has `harness = false` and is its own `main`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use tourbillon::Builder;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, SeqCst);
        // SAFETY: the caller's contract is passed through unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREES.fetch_add(1, SeqCst);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, SeqCst);
        FREES.fetch_add(1, SeqCst);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.load(SeqCst)
}

fn outstanding() -> isize {
    ALLOCS.load(SeqCst) as isize - FREES.load(SeqCst) as isize
}

fn builders() -> Vec<(&'static str, Builder)> {
    let mut multi = Builder::new_multi_thread();
    multi.worker_threads(2);
    vec![
        ("multi_thread(2)", multi),
        ("current_thread", Builder::new_current_thread()),
    ]
}

const TASKS: usize = 1_000;

fn main() {
    // `cargo test -- --list` (and tools that enumerate tests) must not run the test.
    if std::env::args().any(|arg| arg == "--list") {
        println!("allocation_accounting: test");
        return;
    }
    allocation_accounting();
    println!("test allocation_accounting ... ok");
}

fn allocation_accounting() {
    for (name, mut builder) in builders() {
        // Warm up this thread's lazily allocated state (thread-locals, std's runtime state).
        builder.build().unwrap().block_on(async {});
        // Dropping a multi-thread runtime blocks in std's channel `recv` until the workers
        // exit, and the first blocking `recv` on a thread allocates a thread-local context
        // that lives as long as the thread. The warm-up drop above blocks only if the workers
        // are still running, which a slow machine (valgrind) may not give: block once here.
        let (_sender, receiver) = std::sync::mpsc::channel::<()>();
        let _ = receiver.recv_timeout(std::time::Duration::from_millis(1));

        let before_runtime = outstanding();
        let rt = builder.build().unwrap();
        let counter = Arc::new(AtomicUsize::new(0));
        // Worker threads finish starting up (and allocating for it) asynchronously: make sure
        // every worker has run a task before counting.
        let workers = rt.metrics().num_workers();
        let started = Arc::new(std::sync::Barrier::new(workers));
        let warmups: Vec<_> = (0..workers)
            .map(|_| {
                let started = started.clone();
                rt.spawn(async move {
                    started.wait();
                })
            })
            .collect();
        for warmup in warmups {
            rt.block_on(warmup).unwrap();
        }
        drop(started);
        // Steady state: the current-thread run queue (a VecDeque) grows to its high-water mark
        // once; that is amortised, not per spawn.
        rt.block_on(async {
            let handles: Vec<_> = (0..TASKS).map(|_| tourbillon::spawn(async {})).collect();
            for handle in handles {
                handle.await.unwrap();
            }
        });

        // One allocation per spawn. The spawns and awaits all happen inside one `block_on`
        // (which itself allocates its waker once) and nothing else allocates meanwhile.
        let (spawn_allocs, yield_allocs) = rt.block_on({
            let counter = counter.clone();
            async move {
                let start = allocs();
                let mut handles = Vec::with_capacity(TASKS);
                let after_vec = allocs();
                for _ in 0..TASKS {
                    let counter = counter.clone();
                    handles.push(tourbillon::spawn(async move {
                        counter.fetch_add(1, SeqCst);
                    }));
                }
                for handle in handles.drain(..) {
                    handle.await.unwrap();
                }
                let spawns = allocs() - after_vec;
                assert_eq!(after_vec - start, 1, "the Vec");

                // Zero per wake, poll and yield: one task yields 10,000 times, and another is
                // woken 1,000 times through a cloned waker.
                let yields_start = allocs();
                tourbillon::spawn(async {
                    for _ in 0..10_000 {
                        tourbillon::task::yield_now().await;
                    }
                })
                .await
                .unwrap();
                (spawns, allocs() - yields_start)
            }
        });
        assert_eq!(
            spawn_allocs, TASKS,
            "{name}: allocations for {TASKS} spawns"
        );
        assert_eq!(
            yield_allocs, 1,
            "{name}: 10,000 yields cost only their task's spawn"
        );
        assert_eq!(counter.load(SeqCst), TASKS);

        // Leave tasks pending at shutdown: they must be freed too.
        for _ in 0..100 {
            drop(rt.spawn(std::future::pending::<()>()));
        }
        drop(rt);
        drop(counter);
        assert_eq!(
            outstanding(),
            before_runtime,
            "{name}: allocations outstanding after the runtime was dropped"
        );
    }
}
