//! Floors and alternatives with no tokio twin: numbers that put the comparison benches in
//! context (absolute times; `scripts/bench-table.py` lists them apart from the ratios).
//!
//! - `floor/task_cell_alloc_10k`: 10k heap allocations and frees of a task-sized cell (96 bytes,
//!   about tourbillon's header + scheduler handle + small stage + join waker). No runtime can
//!   spawn 10k tasks faster than this with one allocation per task: compare it with
//!   `spawn_many_local`.
//! - `injector_alternatives/*`: candidate injector queues outside the runtime, 10k boxed tasks
//!   pushed and popped, alone and with two producer threads. tourbillon's own injector (an
//!   intrusive Vyukov MPSC) is crate-private, so it is measured through the runtime by
//!   `spawn_many_remote_idle` and `remote_spawn_*`; `SegQueue` is the lock-free alternative the
//!   design notes name, `Mutex<VecDeque>` the shape of tokio's inject queue (a locked list).

#[allow(dead_code)]
mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossbeam_queue::SegQueue;
use std::collections::VecDeque;
use std::sync::{Barrier, Mutex};

const N: usize = 10_000;

/// A stand-in for a small task's allocation.
type TaskCell = [u64; 12];

fn floor(c: &mut Criterion) {
    let mut group = support::group(c, "floor");
    group.bench_function("task_cell_alloc_10k", |b| {
        b.iter(|| {
            for i in 0..N {
                let cell: Box<TaskCell> = Box::new([i as u64; 12]);
                drop(black_box(cell));
            }
        })
    });
    group.finish();
}

/// The two operations an injector needs; both alternatives are shared between threads.
trait Queue: Sync + Default {
    fn push(&self, task: Box<TaskCell>);
    fn pop(&self) -> Option<Box<TaskCell>>;
}

impl Queue for SegQueue<Box<TaskCell>> {
    fn push(&self, task: Box<TaskCell>) {
        SegQueue::push(self, task)
    }
    fn pop(&self) -> Option<Box<TaskCell>> {
        SegQueue::pop(self)
    }
}

impl Queue for Mutex<VecDeque<Box<TaskCell>>> {
    fn push(&self, task: Box<TaskCell>) {
        self.lock().unwrap().push_back(task)
    }
    fn pop(&self) -> Option<Box<TaskCell>> {
        self.lock().unwrap().pop_front()
    }
}

/// One thread pushes N tasks, then pops them all.
fn push_then_pop<Q: Queue>(queue: &Q) {
    for i in 0..N {
        queue.push(Box::new([i as u64; 12]));
    }
    for _ in 0..N {
        black_box(queue.pop().unwrap());
    }
}

/// Two producer threads push N/2 each while this thread pops all N.
fn two_producers<Q: Queue>(queue: &Q) {
    let start = Barrier::new(3);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let (queue, start) = (queue, &start);
            scope.spawn(move || {
                start.wait();
                for i in 0..N / 2 {
                    queue.push(Box::new([i as u64; 12]));
                }
            });
        }
        start.wait();
        let mut popped = 0;
        while popped < N {
            match queue.pop() {
                Some(task) => {
                    black_box(task);
                    popped += 1;
                }
                None => std::hint::spin_loop(),
            }
        }
    });
}

fn injector_alternatives(c: &mut Criterion) {
    compare_queues(
        c,
        "push_then_pop_10k",
        push_then_pop::<SegQueue<_>>,
        push_then_pop::<Mutex<_>>,
    );
    compare_queues(
        c,
        "two_producers_10k",
        two_producers::<SegQueue<_>>,
        two_producers::<Mutex<_>>,
    );
}

/// Both queues on one scenario, in the group `injector_alternatives/<name>`.
fn compare_queues(
    c: &mut Criterion,
    name: &str,
    seg: fn(&SegQueue<Box<TaskCell>>),
    locked: fn(&Mutex<VecDeque<Box<TaskCell>>>),
) {
    let mut group = support::group(c, &format!("injector_alternatives/{name}"));
    let queue = SegQueue::default();
    group.bench_function("segqueue", |b| b.iter(|| seg(&queue)));
    let queue = Mutex::default();
    group.bench_function("mutex_vecdeque", |b| b.iter(|| locked(&queue)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = floor, injector_alternatives
}
criterion_main!(benches);
