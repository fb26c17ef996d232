//! A current-thread runtime dropped while another thread is inside `block_on` (through a
//! `Handle`) is freed, descriptors and all, once that thread hands the core back, even when a
//! task spawned there is still queued at that moment.
//!
//! The queued entry holds its task, and the task holds the scheduler that holds the core: left
//! in the core, the entry would keep all of them, the reactor's descriptors included, alive.
//! The loom model `loom-tests/tests/current_thread.rs` explores the same hand-off.
//!
//! Alone in its file, so no other test of this binary opens descriptors meanwhile.

use tourbillon_support::testing as support;

use std::sync::mpsc;
use support::{current_thread, open_fds, within_deadline};

#[test]
#[expect(
    clippy::async_yields_async,
    reason = "the task's handle is the output, not awaited"
)]
fn runtime_dropped_during_block_on_with_a_queued_task_closes_its_descriptors() {
    within_deadline(|| {
        let before = open_fds();
        let rt = current_thread();
        let handle = rt.handle().clone();
        let (spawned, wait_for_spawn) = mpsc::channel();
        let (dropped, wait_for_drop) = mpsc::channel::<()>();
        let in_block_on = std::thread::spawn(move || {
            handle.block_on(async move {
                let queued = tourbillon::spawn(async {});
                spawned.send(()).unwrap();
                // The runtime is dropped meanwhile; this future returns before the queue runs.
                wait_for_drop.recv().unwrap();
                queued
            })
        });
        wait_for_spawn.recv().unwrap();
        drop(rt);
        dropped.send(()).unwrap();
        let queued = in_block_on.join().unwrap();
        let result = futures_util::FutureExt::now_or_never(queued).expect("finished");
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(open_fds(), before, "the runtime's descriptors are closed");
    });
}
