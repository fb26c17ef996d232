//! Crate internals for `benches/` and the measurement examples. **Not an API**: hidden from the
//! docs, outside any compatibility promise, changed whenever a benchmark needs it. The runtime
//! never uses it.
//!
//! The injector is crate-private (it queues `Notified` references typed by their scheduler), yet
//! `benches/baselines.rs` compares it with crossbeam's `SegQueue` and a locked `VecDeque`. This
//! module wraps the real `Injector` and gives it real task cells (`Task`) to queue, so the
//! comparison measures the runtime's own code, not a copy of it. `task_overhead` and
//! `TASK_HEADER_SIZE` report the task layout's cost for `examples/memory.rs`.

use crate::loom::sync::Arc;
use crate::scheduler::injector::{self, Pop};
use crate::scheduler::multi_thread;
use crate::task::{self, Notified, OwnedTasks, RawTask, Schedule};
use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;

/// A real task cell (a spawned `async {}`, bound to no runtime) and the one run-queue reference
/// a scheduler would hold to it. Dropping it runs the task, which completes and frees the cell.
pub struct Task(Option<Notified<Detached>>);

impl Task {
    /// Allocates a task cell, as a spawn does, with its join handle already dropped.
    pub fn new() -> Task {
        drop(task::spawn_task(async {}, &Detached, |task| {
            owned().bind(task)
        }));
        let notified = SPAWNED.take();
        Task(Some(
            notified.expect("the benchmark task list is never closed"),
        ))
    }
}

impl Default for Task {
    fn default() -> Task {
        Task::new()
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(notified) = self.0.take() {
            notified.run();
        }
    }
}

/// tourbillon's injector (`src/scheduler/injector.rs`), holding [`Task`]s.
pub struct Injector(injector::Injector<Detached>);

impl Injector {
    /// An empty injector.
    pub fn new() -> Injector {
        Injector(injector::Injector::new())
    }

    /// Pushes one task (from any thread).
    pub fn push(&self, mut task: Task) {
        if let Some(notified) = task.0.take() {
            self.0.push(notified);
        }
    }

    /// Pops one task. `None` when the queue is empty, another thread holds the consumer token,
    /// or a producer is between its two steps: the caller retries if it expects more.
    pub fn pop(&self) -> Option<Task> {
        match self.0.pop() {
            Pop::Task(notified) => Some(Task(Some(notified))),
            Pop::Empty | Pop::Busy | Pop::Inconsistent => None,
        }
    }
}

impl Default for Injector {
    fn default() -> Injector {
        Injector::new()
    }
}

impl Drop for Injector {
    fn drop(&mut self) {
        // `&mut self`: no producer or consumer is left, so `pop` only says `None` when empty.
        // Each popped task is run and freed; the inner injector's drop then finds it empty.
        while self.pop().is_some() {}
    }
}

/// Bytes of the type-erased task header every task cell starts with (`src/task/core.rs`).
pub const TASK_HEADER_SIZE: usize = std::mem::size_of::<task::Header>();

/// Bytes a task spawned on the multi-thread runtime costs beyond its future `F`: the header,
/// the scheduler handle and the join-waker slot (plus any padding), per `src/task/core.rs`.
pub fn task_overhead<F: Future>() -> usize {
    task::overhead::<F, Arc<multi_thread::Handle>>()
}

/// The scheduler of benchmark tasks: none. A new task is parked in [`SPAWNED`] for
/// [`Task::new`] to take; tasks are never woken; completing one removes it from the
/// process-wide owned list that spawned it.
#[derive(Clone)]
struct Detached;

thread_local! {
    /// The task `spawn_task` just handed to [`Detached::spawned`] on this thread: `spawn_task`
    /// calls it synchronously, so [`Task::new`] takes it right after.
    static SPAWNED: Cell<Option<Notified<Detached>>> = const { Cell::new(None) };
}

impl Schedule for Detached {
    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("benchmark tasks are never woken")
    }

    fn spawned(&self, task: Notified<Self>) {
        SPAWNED.set(Some(task));
    }

    fn release(&self, task: RawTask) -> bool {
        owned().remove(task)
    }
}

/// The owned-task list of every benchmark task in the process.
fn owned() -> &'static OwnedTasks {
    static OWNED: OnceLock<OwnedTasks> = OnceLock::new();
    OWNED.get_or_init(OwnedTasks::new)
}
