//! An idle runtime sleeps: no worker spins waiting for work.
//!
//! Its own test binary, because it reads the whole process's CPU time.

use std::time::Duration;
use tourbillon::Builder;

/// User + system CPU time of this process, in clock ticks (usually 100 per second).
fn process_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Skip the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12th and 13th after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A spinning worker burns ~100 ticks a second; a sleeping runtime close to none. The bound
/// is far from both so that a noisy machine cannot flip the verdict.
const MAX_TICKS_PER_IDLE_SECOND: u64 = 40;

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
