//! The scheduler scenarios (`tourbillon_support::bench::scheduler`, whose docs list them), timed
//! on tourbillon and on tokio in the same group, on a multi-thread runtime with 2 workers and on
//! a current-thread runtime.

use criterion::{criterion_group, criterion_main, Criterion};
use tourbillon_support::bench::{self as support, compare_timed, scheduler, Flavor};

fn scheduler(c: &mut Criterion) {
    let ours = scheduler::all::<tourbillon::Runtime>();
    let theirs = scheduler::all::<tokio::runtime::Runtime>();
    for ((name, ours), (_, theirs)) in ours.into_iter().zip(theirs) {
        compare_timed(c, name, &Flavor::ALL, ours, theirs);
    }
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = scheduler
}
criterion_main!(benches);
