//! `#[tourbillon::main]` and `#[tourbillon::test]` as users write them: both flavors, the
//! defaults, `worker_threads`, `Result` returns (an `Err` fails the test), kept attributes, and
//! fns that are not `main`, with arguments, on a method, behind `crate = "..."`.
//!
//! The misuse the attributes reject is in `tourbillon-macros/tests/ui` (trybuild).

mod support;

use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use support::{within_deadline, DEADLINE};

/// Where a spawned task ran.
async fn spawned_task_thread() -> ThreadId {
    tourbillon::spawn(async { thread::current().id() })
        .await
        .unwrap()
}

// === flavors and their defaults ===

#[tourbillon::test]
async fn test_is_current_thread_by_default() {
    // Current-thread: spawned tasks run on the thread that blocks on the test body.
    assert_eq!(spawned_task_thread().await, thread::current().id());
}

#[tourbillon::test(flavor = "current_thread")]
async fn test_current_thread_flavor() {
    assert_eq!(spawned_task_thread().await, thread::current().id());
}

#[tourbillon::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_flavor() {
    // Multi-thread: spawned tasks run on the workers, never on the thread in `block_on`.
    assert_ne!(spawned_task_thread().await, thread::current().id());
}

#[tourbillon::test(flavor = "multi_thread")]
async fn test_multi_thread_flavor_default_workers() {
    assert_ne!(spawned_task_thread().await, thread::current().id());
}

#[tourbillon::main]
async fn main_default_spawns_on() -> (ThreadId, ThreadId) {
    (thread::current().id(), spawned_task_thread().await)
}

#[tourbillon::main(flavor = "current_thread")]
async fn main_current_thread_spawns_on() -> (ThreadId, ThreadId) {
    (thread::current().id(), spawned_task_thread().await)
}

#[test]
fn main_is_multi_thread_by_default() {
    within_deadline(|| {
        let (caller, task) = main_default_spawns_on();
        assert_eq!(
            caller,
            thread::current().id(),
            "the body runs on the caller"
        );
        assert_ne!(task, caller, "spawned tasks run on workers");
    });
}

#[test]
fn main_current_thread_flavor() {
    within_deadline(|| {
        let (caller, task) = main_current_thread_spawns_on();
        assert_eq!(caller, thread::current().id());
        assert_eq!(task, caller);
    });
}

// === worker_threads ===

/// A meeting point for tasks that block their worker: `arrive` returns true once `expected`
/// tasks have arrived, false if they have not within `wait`.
struct Meeting {
    arrived: Mutex<usize>,
    all_here: Condvar,
    expected: usize,
}

impl Meeting {
    fn new(expected: usize) -> Arc<Meeting> {
        Arc::new(Meeting {
            arrived: Mutex::new(0),
            all_here: Condvar::new(),
            expected,
        })
    }

    /// Blocks the calling thread (a worker) until everyone has arrived or `wait` has passed.
    fn arrive(&self, wait: Duration) -> bool {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.all_here.notify_all();
        let (arrived, _) = self
            .all_here
            .wait_timeout_while(arrived, wait, |n| *n < self.expected)
            .unwrap();
        *arrived >= self.expected
    }
}

/// Spawns `tasks` tasks that each block their worker in one `Meeting`; their verdicts.
async fn meet_on_workers(tasks: usize, wait: Duration) -> Vec<bool> {
    let meeting = Meeting::new(tasks);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let meeting = meeting.clone();
            tourbillon::spawn(async move { meeting.arrive(wait) })
        })
        .collect();
    let mut verdicts = Vec::new();
    for handle in handles {
        verdicts.push(handle.await.unwrap());
    }
    verdicts
}

// Three tasks can only block at once on three workers: more than the default on a two-CPU
// machine, so this fails there if the argument is dropped.
#[tourbillon::test(flavor = "multi_thread", worker_threads = 3)]
async fn worker_threads_3_runs_three_blocked_tasks_at_once() {
    assert_eq!(tourbillon::Handle::current().metrics().num_workers(), 3);
    assert_eq!(meet_on_workers(3, DEADLINE).await, [true; 3]);
}

#[tourbillon::test(flavor = "multi_thread", worker_threads = 1)]
async fn worker_threads_1_builds_one_worker() {
    let metrics = tourbillon::Handle::current().metrics();
    assert_eq!(metrics.num_workers(), 1);
}

// === Result returns ===

#[tourbillon::test]
async fn ok_result_passes_current_thread() -> Result<(), std::num::ParseIntError> {
    let n: u32 = tourbillon::spawn(async { "42" }).await.unwrap().parse()?;
    assert_eq!(n, 42);
    Ok(())
}

#[tourbillon::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_result_passes_multi_thread() -> Result<(), tourbillon::JoinError> {
    assert_eq!(tourbillon::spawn(async { 7 }).await?, 7);
    Ok(())
}

// Run only by `err_result_fails_the_test`, which expects it to fail.
#[tourbillon::test]
#[ignore = "fails on purpose: run by err_result_fails_the_test"]
async fn err_result_current_thread() -> Result<(), String> {
    let reason = tourbillon::spawn(async { "the error reached libtest" })
        .await
        .unwrap();
    Err(reason.to_string())
}

#[tourbillon::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fails on purpose: run by err_result_fails_the_test"]
async fn err_result_multi_thread() -> Result<(), String> {
    Err("the error reached libtest".to_string())
}

#[test]
fn err_result_fails_the_test() {
    for name in ["err_result_current_thread", "err_result_multi_thread"] {
        // This test binary, running only the ignored test `name`.
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", name, "--test-threads=1"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!output.status.success(), "{name} passed:\n{stdout}");
        assert!(
            stdout.contains("1 failed") && stdout.contains("the error reached libtest"),
            "{name} did not fail with its Err:\n{stdout}"
        );
    }
}

// === attributes and signatures ===

#[tourbillon::test]
#[should_panic(expected = "a panic in the test body")]
async fn should_panic_is_kept_current_thread() {
    panic!("a panic in the test body");
}

#[tourbillon::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "a panic in the test body")]
async fn should_panic_is_kept_multi_thread() {
    tourbillon::task::yield_now().await;
    panic!("a panic in the test body");
}

/// Not `main`, with arguments (one moved into the body), public, documented.
#[tourbillon::main(flavor = "multi_thread", worker_threads = 2)]
pub async fn greet(name: String, times: usize) -> String {
    let task = tourbillon::spawn(async move { name.repeat(times) });
    task.await.unwrap()
}

#[tourbillon::main(flavor = "current_thread")]
async fn describe(n: u32) -> impl std::fmt::Display {
    tourbillon::spawn(async move { format!("n = {n}") })
        .await
        .unwrap()
}

struct Counter {
    step: u64,
}

impl Counter {
    #[tourbillon::main(flavor = "current_thread")]
    async fn count_to(&self, n: u64) -> u64 {
        let mut total = 0;
        for _ in 0..n {
            total += self.step;
            tourbillon::task::yield_now().await;
        }
        total
    }
}

// The runtime reached through a renamed crate.
use tourbillon as runtime_under_another_name;

#[tourbillon::main(crate = "runtime_under_another_name", flavor = "current_thread")]
async fn through_renamed_crate() -> bool {
    runtime_under_another_name::Handle::try_current().is_ok()
}

/// A body that never returns: `!` cannot be named in the expansion's `let`, so this takes the
/// other path.
#[tourbillon::main(flavor = "current_thread")]
async fn never_returns(reason: &'static str) -> ! {
    tourbillon::task::yield_now().await;
    panic!("{reason}");
}

#[test]
fn main_on_fns_with_arguments_returns_and_self() {
    within_deadline(|| {
        assert_eq!(greet("ab".to_string(), 3), "ababab");
        assert_eq!(describe(5).to_string(), "n = 5");
        assert_eq!(Counter { step: 3 }.count_to(4), 12);
        assert!(through_renamed_crate());
        let gave_up = std::panic::catch_unwind(|| never_returns("gave up"));
        assert_eq!(
            gave_up
                .unwrap_err()
                .downcast_ref::<String>()
                .map(String::as_str),
            Some("gave up")
        );
        // Each call built its own runtime and dropped it: none is left on this thread.
        assert!(tourbillon::Handle::try_current().is_err());
    });
}
