//! Floors and alternatives with no tokio twin: numbers that put the comparison benches in
//! context (absolute times; `scripts/bench-table.py` lists them apart from the ratios, each with
//! its time relative to the group's `tourbillon` entry).
//!
//! - `floor/task_10k`: 10k task lifetimes without a scheduler. `bare_alloc` is the floor: a heap
//!   allocation and free of a task-sized cell (96 bytes, about tourbillon's 64-byte overhead plus
//!   a small future). No runtime can spawn 10k tasks faster than this with one allocation per
//!   task. `tourbillon` is a real task cell made as a spawn makes it, then polled to completion
//!   and freed (owned-list insert and removal included, no run queue): compare both with
//!   `spawn_many_local`.
//! - `floor/cross_core_10k`: 10,000 round trips of one cache line between two threads pinned to
//!   cpus 0 and 1, each spinning until the other has written (thread start included). It is the
//!   floor of a cross-worker handoff (`ping_pong`, `yield_many` on two workers). On this shared
//!   2-vCPU host it reads ~150 to ~530 ns per round trip from one process to the next;
//!   `scripts/bench-modes.sh` prints it beside the multi-thread benches of both runtimes.
//! - `injector_alternatives/*`: tourbillon's own injector (an intrusive Vyukov MPSC queue with a
//!   consumer token, reached through the hidden `tourbillon::__bench` module) against the
//!   alternatives, on the same 10k real task cells made once outside the timed loop, pushed and
//!   popped alone and with two producer threads. `SegQueue` is the lock-free alternative the
//!   design notes name (loom cannot see inside it), `Mutex<VecDeque>` the shape of tokio's inject
//!   queue (a locked list).

use tourbillon_support::bench as support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossbeam_queue::SegQueue;
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Barrier, Mutex};
use tourbillon::__bench::{Injector, Task};

const N: usize = 10_000;

/// A stand-in for a small task's allocation.
type TaskCell = [u64; 12];

fn floor(c: &mut Criterion) {
    let mut group = support::group(c, "floor/task_10k");
    group.bench_function("bare_alloc", |b| {
        b.iter(|| {
            for i in 0..N {
                let cell: Box<TaskCell> = Box::new([i as u64; 12]);
                drop(black_box(cell));
            }
        })
    });
    group.bench_function("tourbillon", |b| {
        b.iter(|| {
            for _ in 0..N {
                drop(black_box(Task::new()));
            }
        })
    });
    group.finish();
}

/// Round trips of one cache line between cpus 0 and 1 (see the module docs), on two scoped
/// threads so that the bench thread keeps its own affinity.
fn cross_core(c: &mut Criterion) {
    if std::thread::available_parallelism().map_or(true, |n| n.get() < 2) {
        // Both spinners on one cpu would hand over only at preemption: no floor to measure.
        return;
    }
    let mut group = support::group(c, "floor");
    group.bench_function("cross_core_10k", |b| {
        let line = CachePadded::new(AtomicU64::new(0));
        b.iter(|| {
            line.store(0, Relaxed);
            std::thread::scope(|scope| {
                scope.spawn(|| bounce(&line, 0, 1));
                scope.spawn(|| bounce(&line, 1, 2));
            });
        });
    });
    group.finish();
}

/// One side of `floor/cross_core_10k`: on `cpu`, 10k times, waits for `line` to reach the value
/// this side writes next minus one (`first` = 1 starts the exchange), then writes it.
fn bounce(line: &AtomicU64, cpu: usize, first: u64) {
    const ROUND_TRIPS: u64 = 10_000;
    pin_to_cpu(cpu);
    for trip in 0..ROUND_TRIPS {
        let mine = 2 * trip + first;
        // Acquire/Release: each side's write is the other's signal; there is no other data, so
        // the orderings only keep the spin loops honest. No `spin_loop` hint: a `pause` costs
        // ~100 cycles on recent x86 and would be measured as handoff latency.
        while line.load(Acquire) != mine - 1 {}
        line.store(mine, Release);
    }
}

/// Pins the calling thread to `cpu`, or leaves it where it is if the machine has no such cpu.
fn pin_to_cpu(cpu: usize) {
    // SAFETY: `cpu_set_t` is plain bits for which all zeroes is the empty set; `CPU_SET` sets
    // one bit inside it (`cpu` is 0 or 1, the set holds 1,024), and `sched_setaffinity` only
    // reads `size_of::<cpu_set_t>()` bytes of it. A failure (no such cpu online) is harmless.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The two operations an injector needs; every queue is shared between threads.
trait Queue: Sync + Default {
    fn push(&self, task: Task);
    fn pop(&self) -> Option<Task>;
}

impl Queue for Injector {
    fn push(&self, task: Task) {
        Injector::push(self, task)
    }
    fn pop(&self) -> Option<Task> {
        Injector::pop(self)
    }
}

impl Queue for SegQueue<Task> {
    fn push(&self, task: Task) {
        SegQueue::push(self, task)
    }
    fn pop(&self) -> Option<Task> {
        SegQueue::pop(self)
    }
}

impl Queue for Mutex<VecDeque<Task>> {
    fn push(&self, task: Task) {
        self.lock().unwrap().push_back(task)
    }
    fn pop(&self) -> Option<Task> {
        self.lock().unwrap().pop_front()
    }
}

/// One iteration on `queue`, moving the `N` tasks of `tasks` through it and back.
type Scenario<Q> = fn(&Q, &mut Vec<Task>);

/// This thread pushes all `N` tasks, then pops them all.
fn push_then_pop<Q: Queue>(queue: &Q, tasks: &mut Vec<Task>) {
    for task in tasks.drain(..) {
        queue.push(task);
    }
    while let Some(task) = queue.pop() {
        tasks.push(task);
    }
    assert_eq!(tasks.len(), N);
}

/// Two producer threads push `N/2` tasks each while this thread pops all `N`.
fn two_producers<Q: Queue>(queue: &Q, tasks: &mut Vec<Task>) {
    let mut first = std::mem::replace(tasks, Vec::with_capacity(N));
    let second = first.split_off(N / 2);
    let start = Barrier::new(3);
    std::thread::scope(|scope| {
        for half in [first, second] {
            let (queue, start) = (queue, &start);
            scope.spawn(move || {
                start.wait();
                for task in half {
                    queue.push(task);
                }
            });
        }
        start.wait();
        while tasks.len() < N {
            match queue.pop() {
                Some(task) => tasks.push(task),
                None => std::hint::spin_loop(),
            }
        }
    });
}

fn injector_alternatives(c: &mut Criterion) {
    compare_queues(
        c,
        "push_then_pop_10k",
        push_then_pop,
        push_then_pop,
        push_then_pop,
    );
    compare_queues(
        c,
        "two_producers_10k",
        two_producers,
        two_producers,
        two_producers,
    );
}

/// The three queues on one scenario, in the group `injector_alternatives/<name>`. Pass the same
/// generic function three times: each parameter's type picks the instance.
fn compare_queues(
    c: &mut Criterion,
    name: &str,
    ours: Scenario<Injector>,
    seg: Scenario<SegQueue<Task>>,
    locked: Scenario<Mutex<VecDeque<Task>>>,
) {
    let mut group = support::group(c, &format!("injector_alternatives/{name}"));
    bench_queue(&mut group, "tourbillon", ours);
    bench_queue(&mut group, "segqueue", seg);
    bench_queue(&mut group, "mutex_vecdeque", locked);
    group.finish();
}

/// Benches `scenario` on a fresh `Q` with `N` tasks made outside the timed loop.
fn bench_queue<Q: Queue>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    scenario: Scenario<Q>,
) {
    let queue = Q::default();
    let mut tasks: Vec<Task> = (0..N).map(|_| Task::new()).collect();
    group.bench_function(name, |b| b.iter(|| scenario(&queue, &mut tasks)));
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = floor, cross_core, injector_alternatives
}
criterion_main!(benches);
