//! What every comparison bench shares: the two runtimes behind one trait, the criterion settings,
//! and the `compare` driver that puts tourbillon and tokio in the same group.
//!
//! # Naming (the table script relies on it)
//!
//! A scenario measured on a scheduler flavor is the criterion group `"<scenario>/<flavor>"`
//! (e.g. `spawn_many_local/multi_thread`), with one function per runtime, named by
//! [`BenchRuntime::NAME`]: `tourbillon` and `tokio`. `scripts/bench-table.py` divides the two.
//!
//! # Fairness rules
//!
//! - Both runtimes get the same flavor and the same worker count ([`WORKERS`]).
//! - A runtime is built once per bench function, outside the timed loop, and dropped before the
//!   other runtime's function starts, so two runtimes never compete for the two cores.
//! - Scenario code is written once, generic over [`BenchRuntime`]; completion signals use a
//!   runtime-agnostic channel (`futures_channel::oneshot`), never either runtime's own.
//!
//! The benches and `examples/memory.rs` use it as `tourbillon_support::bench`.

pub mod scheduler;
pub mod timers;

use criterion::measurement::WallTime;
use criterion::{Bencher, BenchmarkGroup, Criterion, SamplingMode};
use futures_channel::oneshot;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Worker threads of a multi-thread runtime: the machine has 2 cores.
pub const WORKERS: usize = 2;

/// Short settings so the whole suite runs in minutes on 2 shared cores. Flat sampling: most
/// scenarios take milliseconds per iteration, where linear sampling would overrun the budget.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

/// The scheduler a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Work-stealing workers ([`WORKERS`] of them); `block_on` runs on the bench thread.
    MultiThread,
    /// Everything runs on the thread that calls `block_on`.
    CurrentThread,
}

impl Flavor {
    /// Both flavors, multi-thread first.
    pub const ALL: [Flavor; 2] = [Flavor::MultiThread, Flavor::CurrentThread];

    /// The second half of the group name.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::MultiThread => "multi_thread",
            Flavor::CurrentThread => "current_thread",
        }
    }
}

/// One runtime under test, as the scenarios see it. Implemented for `tourbillon::Runtime` and
/// `tokio::runtime::Runtime` by forwarding to their (identically shaped) inherent methods.
pub trait BenchRuntime: Sized + 'static {
    /// The criterion function name: `"tourbillon"` or `"tokio"`.
    const NAME: &'static str;
    /// A clonable reference to the runtime, for spawning from other threads.
    type Handle: Clone + Send + Sync + 'static;
    /// The runtime's join handle for a task with output `T`.
    type Join<T: Send + 'static>: Future<Output = Result<T, Self::JoinError>> + Send + Unpin;
    /// What a join handle yields when the task failed.
    type JoinError: std::fmt::Debug;

    /// Builds the runtime for `flavor` (with timers and I/O enabled).
    fn build(flavor: Flavor) -> Self;
    /// Runs `future` to completion on the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// A handle for spawning from outside the runtime.
    fn handle(&self) -> Self::Handle;
    /// Spawns through `handle` (from any thread).
    fn spawn_on<F>(handle: &Self::Handle, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// Spawns onto the current runtime (from inside a task or `block_on`).
    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// Gives the worker to another task once.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// [`spawn`](Self::spawn), dropping the join handle (the task keeps running).
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(future: F) {
        drop(Self::spawn(future));
    }

    /// [`spawn_on`](Self::spawn_on), dropping the join handle (the task keeps running).
    fn spawn_detached_on<F: Future<Output = ()> + Send + 'static>(
        handle: &Self::Handle,
        future: F,
    ) {
        drop(Self::spawn_on(handle, future));
    }
}

impl BenchRuntime for tourbillon::Runtime {
    const NAME: &'static str = "tourbillon";
    type Handle = tourbillon::Handle;
    type Join<T: Send + 'static> = tourbillon::JoinHandle<T>;
    type JoinError = tourbillon::JoinError;

    fn build(flavor: Flavor) -> Self {
        match flavor {
            Flavor::MultiThread => tourbillon::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .build(),
            Flavor::CurrentThread => tourbillon::Builder::new_current_thread().build(),
        }
        .expect("build a tourbillon runtime")
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tourbillon::Runtime::block_on(self, future)
    }

    fn handle(&self) -> Self::Handle {
        tourbillon::Runtime::handle(self).clone()
    }

    fn spawn_on<F>(handle: &Self::Handle, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn(future)
    }

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tourbillon::spawn(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tourbillon::task::yield_now()
    }
}

impl BenchRuntime for tokio::runtime::Runtime {
    const NAME: &'static str = "tokio";
    type Handle = tokio::runtime::Handle;
    type Join<T: Send + 'static> = tokio::task::JoinHandle<T>;
    type JoinError = tokio::task::JoinError;

    fn build(flavor: Flavor) -> Self {
        match flavor {
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .enable_all()
                .build(),
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
        }
        .expect("build a tokio runtime")
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tokio::runtime::Runtime::block_on(self, future)
    }

    fn handle(&self) -> Self::Handle {
        tokio::runtime::Runtime::handle(self).clone()
    }

    fn spawn_on<F>(handle: &Self::Handle, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn(future)
    }

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

/// A scenario instantiated for one runtime: called once per criterion sample with a runtime
/// built for the whole bench function.
pub type Scenario<R> = fn(&mut Bencher<'_, WallTime>, &R);

/// Runs `scenario` on tourbillon, then on tokio, for each of `flavors`, in the group
/// `"<name>/<flavor>"`. Pass the same generic function twice: each parameter's type picks the
/// instance, so the two sides cannot drift apart.
pub fn compare(
    c: &mut Criterion,
    name: &str,
    flavors: &[Flavor],
    ours: Scenario<tourbillon::Runtime>,
    theirs: Scenario<tokio::runtime::Runtime>,
) {
    for &flavor in flavors {
        let mut group = group(c, &format!("{name}/{}", flavor.name()));
        run_on(&mut group, flavor, ours);
        run_on(&mut group, flavor, theirs);
        group.finish();
    }
}

/// A group with the suite's sampling mode.
pub fn group<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    group
}

/// Runs the timed scenario on tourbillon, then on tokio, for each of `flavors`, in the group
/// `"<name>/<flavor>"`, as [`compare`] does; criterion's `iter_custom` lets each scenario time
/// only its iterations.
pub fn compare_timed(
    c: &mut Criterion,
    name: &str,
    flavors: &[Flavor],
    ours: scheduler::Timed<tourbillon::Runtime>,
    theirs: scheduler::Timed<tokio::runtime::Runtime>,
) {
    for &flavor in flavors {
        let mut group = group(c, &format!("{name}/{}", flavor.name()));
        run_on(&mut group, flavor, |b, rt| b.iter_custom(|n| ours(rt, n)));
        run_on(&mut group, flavor, |b, rt| b.iter_custom(|n| theirs(rt, n)));
        group.finish();
    }
}

/// Builds `R` once, benches `scenario` on it under the name `R::NAME`, then drops it.
fn run_on<R: BenchRuntime>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    flavor: Flavor,
    scenario: impl Fn(&mut Bencher<'_, WallTime>, &R),
) {
    let rt = R::build(flavor);
    group.bench_function(R::NAME, |b| scenario(b, &rt));
}

/// A countdown that completes a oneshot when it reaches zero: "all N tasks are done" without
/// join handles and without blocking a thread that may be driving the runtime.
pub struct Latch {
    remaining: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Latch {
    /// A latch for `count` (≥ 1) arrivals, and the receiver that completes after the last one.
    pub fn new(count: usize) -> (Arc<Latch>, oneshot::Receiver<()>) {
        assert!(count > 0, "a latch needs at least one arrival");
        let (tx, rx) = oneshot::channel();
        let latch = Latch {
            remaining: AtomicUsize::new(count),
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(latch), rx)
    }

    /// One arrival; the last one sends the completion.
    pub fn count_down(&self) {
        // Relaxed: the oneshot send below (a mutex and the channel's own synchronisation)
        // carries the happens-before edge to the waiter; the counter only picks the last one.
        if self.remaining.fetch_sub(1, Ordering::Relaxed) == 1 {
            let tx = self.done.lock().unwrap().take().expect("latch fired twice");
            let _ = tx.send(());
        }
    }
}

/// One task spawns `count` tasks, each running `body()` and then counting down a [`Latch`];
/// `block_on` returns when the last has finished. The fan-out shape of `ping_pong` and
/// `timer_fire_100k`.
pub fn fan_out<R, B, F>(rt: &R, count: usize, body: B)
where
    R: BenchRuntime,
    B: Fn() -> F + Send + Sync + Copy + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let (latch, done) = Latch::new(count);
    R::spawn_detached_on(&rt.handle(), async move {
        for _ in 0..count {
            let latch = latch.clone();
            R::spawn_detached(async move {
                body().await;
                latch.count_down();
            });
        }
    });
    rt.block_on(done).unwrap();
}
