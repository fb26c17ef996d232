//! Loom models live in `tests/`, one file per protocol; this library holds the few helpers
//! they share. Build and run them with `scripts/loom.sh` (see README.md).
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};

/// Runs `f` under loom. `LOOM_MAX_PREEMPTIONS` (default: 2) bounds the preemptions; `cap`, if
/// given, lowers that bound for a model whose state space grows too fast beyond it (unless
/// `LOOM_TESTS_NO_CAP` is set).
/// Prints how many interleavings were explored (shown with `--nocapture`, as
/// `scripts/loom.sh` runs them).
pub fn model(cap: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    let bound = builder.preemption_bound.unwrap_or(2);
    // LOOM_TESTS_NO_CAP=1 lifts the per-model caps, for a deliberate long run.
    let cap = cap.filter(|_| std::env::var_os("LOOM_TESTS_NO_CAP").is_none());
    let bound = cap.map_or(bound, |cap| bound.min(cap));
    builder.preemption_bound = Some(bound);
    // Retry loops (a closed injector's drain waiting for a producer's link) take many branches
    // in one execution when loom keeps the other thread preempted; 1000 (loom's default, or
    // LOOM_MAX_BRANCHES) is too few for them at depth 3.
    builder.max_branches = builder.max_branches.max(10_000);
    let iterations = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = iterations.clone();
    let started = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, SeqCst);
        f();
    });
    eprintln!(
        "loom: {} iterations at preemption bound {bound} in {:.1?}",
        iterations.load(SeqCst),
        started.elapsed()
    );
}

/// A tally the model reads after joining its threads. It is a *std* atomic on purpose: loom
/// does not see it, so it adds no interleavings (loom runs every thread on one OS thread, so
/// it is exact).
#[derive(Clone, Default)]
pub struct Tally(std::sync::Arc<AtomicUsize>);

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }
    pub fn add(&self) {
        self.0.fetch_add(1, SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Counts its own drops in a [`Tally`]: put one in a future or an output to check it is
/// dropped exactly once.
pub struct DropCount(pub Tally);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.add();
    }
}

/// A future from a closure, owning `guard` (dropped with the future).
pub struct PollFn<F, G> {
    f: F,
    _guard: G,
}

impl<F, G> Unpin for PollFn<F, G> {}

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T>, G> Future for PollFn<F, G> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.f)(cx)
    }
}

/// `poll_fn` that also owns a drop guard.
pub fn poll_fn<T, F: FnMut(&mut Context<'_>) -> Poll<T>, G>(guard: G, f: F) -> PollFn<F, G> {
    PollFn { f, _guard: guard }
}

/// `n` tasks spawned on `sched` (their join handles dropped), each completing on its first poll,
/// with the tallies that count how often each one ran: a queue model checks every task ran once.
pub fn counted_tasks(
    sched: &tourbillon::loom_api::TestScheduler,
    n: usize,
) -> (Vec<tourbillon::loom_api::Task>, Vec<Tally>) {
    (0..n)
        .map(|_| {
            let runs = Tally::new();
            let counter = runs.clone();
            let (join, task) = sched.spawn_entry(poll_fn((), move |_| {
                counter.add();
                Poll::Ready(())
            }));
            drop(join);
            (task, runs)
        })
        .unzip()
}
