//! The core runtime through its public API: spawning at scale, wakes from foreign threads,
//! cancellation, panics, shutdown, the errors users get for misuse, and where a task that many
//! queued tasks wake in turn waits.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tourbillon::{Builder, Runtime};

use support::pending_counted;
use tourbillon_support::testing as support;

fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        (
            "multi_thread(2)",
            Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
        (
            "current_thread",
            Builder::new_current_thread().build().unwrap(),
        ),
    ]
}

#[test]
fn hundred_thousand_tasks_complete() {
    for (name, rt) in runtimes() {
        let done = Arc::new(AtomicUsize::new(0));
        let sum = rt.block_on({
            let done = done.clone();
            async move {
                let handles: Vec<_> = (0..100_000u64)
                    .map(|i| {
                        let done = done.clone();
                        tourbillon::spawn(async move {
                            done.fetch_add(1, SeqCst);
                            i
                        })
                    })
                    .collect();
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            }
        });
        assert_eq!(done.load(SeqCst), 100_000, "{name}");
        assert_eq!(sum, (0..100_000u64).sum::<u64>(), "{name}");
    }
}

fn chain(remaining: usize, done: Arc<AtomicBool>) -> tourbillon::JoinHandle<()> {
    tourbillon::spawn(async move {
        if remaining == 0 {
            done.store(true, SeqCst);
        } else {
            chain(remaining - 1, done);
        }
    })
}

#[test]
fn twenty_thousand_deep_chain_completes() {
    for (name, rt) in runtimes() {
        let done = Arc::new(AtomicBool::new(false));
        rt.block_on({
            let done = done.clone();
            async move {
                chain(20_000, done.clone());
                while !done.load(SeqCst) {
                    tourbillon::task::yield_now().await;
                }
            }
        });
        assert!(done.load(SeqCst), "{name}");
    }
}

/// A future that needs `target` wakes, each delivered by a foreign thread that races the poll.
struct CountWakes {
    shared: Arc<WakeShared>,
    target: usize,
}

struct WakeShared {
    fired: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl Future for CountWakes {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.shared.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.shared.fired.load(SeqCst) >= self.target {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn wakes_from_foreign_threads_are_never_lost() {
    const WAKES: usize = 5_000;
    for (name, rt) in runtimes() {
        let shared = Arc::new(WakeShared {
            fired: AtomicUsize::new(0),
            waker: Mutex::new(None),
        });
        let task = rt.spawn(CountWakes {
            shared: shared.clone(),
            target: WAKES,
        });
        let wakers: Vec<_> = (0..2)
            .map(|thread| {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    for i in 0..WAKES / 2 {
                        shared.fired.fetch_add(1, SeqCst);
                        let waker = shared.waker.lock().unwrap().clone();
                        if let Some(waker) = waker {
                            // Mix waking by value and by reference.
                            if (i + thread) % 2 == 0 {
                                waker.wake();
                            } else {
                                waker.wake_by_ref();
                            }
                        }
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for waker in wakers {
            waker.join().unwrap();
        }
        // If the last wake were lost, this would hang (the test harness would time out).
        rt.block_on(task).unwrap();
        assert_eq!(shared.fired.load(SeqCst), WAKES, "{name}");
    }
}

#[test]
fn abort_cancels_and_panic_is_reported() {
    for (name, rt) in runtimes() {
        rt.block_on(async {
            let pending = tourbillon::spawn(std::future::pending::<()>());
            tourbillon::task::yield_now().await;
            pending.abort();
            let err = pending.await.unwrap_err();
            assert!(err.is_cancelled() && !err.is_panic(), "{name}: {err}");

            let panicked = tourbillon::spawn(async { panic!("deliberate") });
            let err = panicked.await.unwrap_err();
            assert!(err.is_panic(), "{name}");
            assert_eq!(err.to_string(), "task panicked: deliberate");
            let payload = err.into_panic();
            assert_eq!(*payload.downcast::<&str>().unwrap(), "deliberate");

            // The runtime keeps working after a panic.
            assert_eq!(tourbillon::spawn(async { 3 }).await.unwrap(), 3, "{name}");
        });
    }
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = tourbillon::spawn(async { 11 });
        while !handle.is_finished() {
            tourbillon::task::yield_now().await;
        }
        handle.abort();
        assert_eq!(handle.await.unwrap(), 11);
    });
}

#[test]
fn detached_tasks_run() {
    for (name, rt) in runtimes() {
        let ran = Arc::new(AtomicUsize::new(0));
        rt.block_on({
            let ran = ran.clone();
            async move {
                for _ in 0..100 {
                    let ran = ran.clone();
                    drop(tourbillon::spawn(async move {
                        tourbillon::task::yield_now().await;
                        ran.fetch_add(1, SeqCst);
                    }));
                }
                while ran.load(SeqCst) < 100 {
                    tourbillon::task::yield_now().await;
                }
            }
        });
        assert_eq!(ran.load(SeqCst), 100, "{name}");
    }
}

/// On a 1-worker multi-thread runtime and on a current-thread one, runs a task that spawns
/// `setter(flag)` from its own thread (so both share one queue) and then yields in a loop until
/// the flag is set. Returns each runtime's name and the yields it took, or `None` if the flag
/// was still unset after 30 s (bounded, so that starvation fails an assertion, not the run).
fn yields_until_flag_set<Setter, SetterFuture>(setter: Setter) -> Vec<(&'static str, Option<u64>)>
where
    Setter: Fn(Arc<AtomicBool>) -> SetterFuture + Clone + Send + 'static,
    SetterFuture: Future<Output = ()> + Send + 'static,
{
    let one_worker = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let current = Builder::new_current_thread().build().unwrap();
    [("multi_thread(1)", one_worker), ("current_thread", current)]
        .into_iter()
        .map(|(name, rt)| {
            let setter = setter.clone();
            let spins = rt.block_on(async move {
                tourbillon::spawn(async move {
                    let flag = Arc::new(AtomicBool::new(false));
                    drop(tourbillon::spawn(setter(flag.clone())));
                    let give_up = std::time::Instant::now() + Duration::from_secs(30);
                    let mut spins = 0u64;
                    while !flag.load(SeqCst) {
                        if std::time::Instant::now() > give_up {
                            return None;
                        }
                        spins += 1;
                        tourbillon::task::yield_now().await;
                    }
                    Some(spins)
                })
                .await
                .unwrap()
            });
            (name, spins)
        })
        .collect()
}

#[test]
fn a_task_yielding_in_a_loop_lets_the_others_on_its_worker_run() {
    let runs = yields_until_flag_set(|flag| async move { flag.store(true, SeqCst) });
    for (name, spins) in runs {
        assert_eq!(
            spins,
            Some(1),
            "{name}: the other task ran only after {spins:?} yields"
        );
    }
}

#[test]
fn a_task_yielding_in_a_loop_lets_timers_fire() {
    // The worker is never idle, so only the reactor turns that yields wait for can fire the
    // timer.
    let runs = yields_until_flag_set(|flag| async move {
        tourbillon::time::sleep(Duration::from_millis(1)).await;
        flag.store(true, SeqCst);
    });
    for (name, spins) in runs {
        assert!(spins.is_some(), "{name}: a yield loop starved the timer");
    }
}

#[test]
fn dropping_a_runtime_drops_every_pending_future_once() {
    for (name, rt) in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut kept = Vec::new();
        for i in 0..1_000 {
            let task = rt.spawn(pending_counted(&drops));
            // Some detached, some kept past the runtime: both futures must be dropped with it.
            if i % 2 == 0 {
                drop(task);
            } else {
                kept.push(task);
            }
        }
        // Let some of them get polled into their pending state.
        rt.block_on(tourbillon::task::yield_now());
        drop(rt);
        assert_eq!(drops.load(SeqCst), 1_000, "{name}");
        // A handle outliving its runtime sees the cancellation, and dropping it frees the task
        // (LeakSanitizer and valgrind check that; `mem::forget` here would leak every cell).
        assert!(kept.iter().all(|task| task.is_finished()), "{name}");
        drop(kept);
    }
}

/// On the current-thread runtime, tasks spawned inside `block_on` live in the core's own list
/// (no lock): they are counted, leave the list when they complete, and are cancelled when the
/// runtime is dropped, like the tasks spawned from outside.
#[test]
fn current_thread_tasks_spawned_inside_block_on_are_counted_and_cancelled() {
    let rt = Builder::new_current_thread().build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let outside = rt.spawn(pending_counted(&drops));
    let kept = rt.block_on(async {
        let finished: Vec<_> = (0..100)
            .map(|i| tourbillon::spawn(async move { i }))
            .collect();
        let kept: Vec<_> = (0..100)
            .map(|_| tourbillon::spawn(pending_counted(&drops)))
            .collect();
        for (i, task) in finished.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), i);
        }
        kept
    });
    assert_eq!(rt.metrics().num_alive_tasks(), 101);
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(drops.load(SeqCst), 101);
    for task in kept.into_iter().chain([outside]) {
        let result = futures_util::FutureExt::now_or_never(task).expect("finished");
        assert!(result.unwrap_err().is_cancelled());
    }
}

/// Dropping a current-thread runtime while another thread is inside `block_on` (through a
/// `Handle`) cannot reach that thread's core: the tasks it spawned are cancelled when it hands
/// the core back, and what it spawns after the drop is cancelled at once.
#[test]
fn current_thread_drop_while_another_thread_is_in_block_on() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let drops = Arc::new(AtomicUsize::new(0));
    let runtime_dropped = Arc::new(AtomicBool::new(false));
    let spawned = Arc::new(Barrier::new(2));
    let in_block_on = std::thread::spawn({
        let (drops, runtime_dropped, spawned) =
            (drops.clone(), runtime_dropped.clone(), spawned.clone());
        move || {
            handle.block_on(async move {
                let kept: Vec<_> = (0..10)
                    .map(|_| tourbillon::spawn(pending_counted(&drops)))
                    .collect();
                tourbillon::task::yield_now().await;
                spawned.wait();
                while !runtime_dropped.load(SeqCst) {
                    tourbillon::task::yield_now().await;
                }
                let late = tourbillon::spawn(pending_counted(&drops));
                assert!(
                    late.is_finished(),
                    "a spawn after the drop is cancelled at once"
                );
                (kept, late)
            })
        }
    });
    spawned.wait();
    drop(rt);
    runtime_dropped.store(true, SeqCst);
    let (kept, late) = in_block_on.join().unwrap();
    let late = futures_util::FutureExt::now_or_never(late).expect("cancelled at spawn");
    assert!(late.unwrap_err().is_cancelled());
    assert_eq!(drops.load(SeqCst), 11);
    for task in kept {
        let result = futures_util::FutureExt::now_or_never(task).expect("finished");
        assert!(result.unwrap_err().is_cancelled());
    }
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn fifty_runtimes_leak_no_threads() {
    // Other tests run in parallel threads of this process: measure in a child-free way by
    // comparing against a baseline taken with a margin for the harness's own threads.
    let before = thread_count();
    for _ in 0..50 {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            tourbillon::spawn(async {}).await.unwrap();
            tourbillon::task::spawn_blocking(|| ()).await.unwrap();
        });
    }
    let after = thread_count();
    // 50 runtimes × 3 threads would be 150; allow for concurrently running tests' threads.
    assert!(
        after < before + 20,
        "threads: {before} before, {after} after"
    );
}

#[test]
fn barrier_proves_two_workers_run_in_parallel() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            rt.spawn(async move {
                barrier.wait();
            })
        })
        .collect();
    for task in tasks {
        rt.block_on(task).unwrap();
    }
}

#[test]
fn wake_after_shutdown_is_harmless() {
    for (_name, rt) in runtimes() {
        let shared = Arc::new(WakeShared {
            fired: AtomicUsize::new(0),
            waker: Mutex::new(None),
        });
        let task = rt.spawn(CountWakes {
            shared: shared.clone(),
            target: 1,
        });
        rt.block_on(async {
            while shared.waker.lock().unwrap().is_none() {
                tourbillon::task::yield_now().await;
            }
        });
        drop(rt);
        let waker = shared.waker.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        waker.wake();
        let result = futures_util::FutureExt::now_or_never(task);
        assert!(result.unwrap().unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_outside_a_runtime_panics_clearly() {
    let err = std::panic::catch_unwind(|| tourbillon::spawn(async {})).unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(message.contains("outside a runtime"), "{message}");
    assert!(tourbillon::Handle::try_current().is_err());
}

#[test]
fn block_on_inside_a_runtime_panics_instead_of_deadlocking() {
    for (name, rt) in runtimes() {
        let outcome = rt.block_on(async {
            tourbillon::spawn(async {
                let inner = Builder::new_current_thread().build().unwrap();
                inner.block_on(async {});
            })
            .await
        });
        let err = outcome.unwrap_err();
        assert!(err.is_panic(), "{name}");
        assert!(
            err.to_string().contains("from within a runtime"),
            "{name}: {err}"
        );
    }
}

#[test]
fn zero_worker_threads_is_an_error() {
    let err = Builder::new_multi_thread()
        .worker_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"));
}

#[test]
fn spawn_from_a_foreign_thread_with_a_handle() {
    for (name, rt) in runtimes() {
        let handle = rt.handle().clone();
        let joins: Vec<_> = (0..4)
            .map(|i| {
                let handle = handle.clone();
                std::thread::spawn(move || handle.spawn(async move { i * 2 }))
            })
            .collect();
        let total: i32 = joins
            .into_iter()
            .map(|j| rt.block_on(j.join().unwrap()).unwrap())
            .sum();
        assert_eq!(total, 12, "{name}");
    }
}

#[test]
fn handle_current_inside_tasks() {
    for (name, rt) in runtimes() {
        let n = rt.block_on(async {
            tourbillon::spawn(async {
                let handle = tourbillon::Handle::current();
                handle.spawn(async { 9 }).await.unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(n, 9, "{name}");
    }
}

#[test]
fn shutdown_timeout_returns_despite_a_stuck_blocking_call() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let release = Arc::new(AtomicBool::new(false));
    {
        let release = release.clone();
        rt.spawn_blocking(move || {
            while !release.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
    }
    rt.shutdown_timeout(Duration::from_millis(50));
    release.store(true, SeqCst);
}

/// A consumer that counts, for each of its polls that received messages, how many it received;
/// returns those counts once every sender is gone.
async fn receive_in_batches(mut rx: futures_channel::mpsc::UnboundedReceiver<()>) -> Vec<usize> {
    let mut batches = Vec::new();
    std::future::poll_fn(move |cx| {
        let mut batch = 0;
        loop {
            let next = futures_util::StreamExt::poll_next_unpin(&mut rx, cx);
            if !matches!(next, Poll::Ready(Some(()))) && batch > 0 {
                batches.push(batch);
            }
            match next {
                Poll::Ready(Some(())) => batch += 1,
                Poll::Ready(None) => return Poll::Ready(std::mem::take(&mut batches)),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

#[test]
fn a_task_woken_by_each_of_many_queued_tasks_runs_after_them() {
    // A consumer fed by PRODUCERS tasks queued together, each sending it one message (as
    // hyper's HTTP/2 streams answer their connection task). The first wake puts it in the LIFO
    // slot; woken again, it is the task last polled from the slot, so it waits at the back of
    // the queue for the other producers and takes their messages in one poll.
    const PRODUCERS: usize = 50;
    support::block_on_every_flavor("a consumer fed by queued producers", |flavor| async move {
        let batches = tourbillon::spawn(async {
            let (tx, rx) = futures_channel::mpsc::unbounded();
            let consumer = tourbillon::spawn(receive_in_batches(rx));
            // The consumer's first poll: it registers its waker.
            tourbillon::task::yield_now().await;
            for _ in 0..PRODUCERS {
                let tx = tx.clone();
                tourbillon::spawn(async move { tx.unbounded_send(()).unwrap() });
            }
            drop(tx);
            consumer.await.unwrap()
        })
        .await
        .unwrap();
        assert_eq!(
            batches.iter().sum::<usize>(),
            PRODUCERS,
            "{flavor}: {batches:?}"
        );
        // With one thread, the producers run in a row: the consumer polls once after the
        // first (from the LIFO slot, on a worker) and once after the others. Two workers split
        // the producers between them, in no fixed order.
        if flavor != "multi_thread(2)" {
            assert!(
                batches.len() <= 2,
                "{flavor}: a poll per message: {batches:?}"
            );
        }
    });
}
