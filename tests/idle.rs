//! An idle runtime sleeps: no worker spins waiting for work.
//!
//! Its own test binary, because it reads the whole process's CPU time.

use tourbillon_support::testing as support;

use std::time::Duration;
use support::{process_cpu_ticks, MAX_TICKS_PER_IDLE_SECOND};
use tourbillon::Builder;

#[test]
fn an_idle_multi_thread_runtime_sleeps() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {});
    let before = process_cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = process_cpu_ticks() - before;
    drop(rt);
    assert!(
        used < MAX_TICKS_PER_IDLE_SECOND,
        "idle runtime used {used} ticks in 1 s"
    );
}

#[test]
fn an_idle_current_thread_block_on_sleeps() {
    let rt = Builder::new_current_thread().build().unwrap();
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    let waker_thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        tx.send(()).unwrap();
    });
    let before = process_cpu_ticks();
    rt.block_on(async { rx.await.unwrap() });
    let used = process_cpu_ticks() - before;
    waker_thread.join().unwrap();
    assert!(
        used < MAX_TICKS_PER_IDLE_SECOND,
        "idle block_on used {used} ticks in 1 s"
    );
}
