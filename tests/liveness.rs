//! Liveness: every woken task runs and every blocking call returns, whatever else the runtime is
//! doing. Each scenario combines ordinary features (a yield beside a busy pair, a blocking call
//! beside a full queue, a drop from inside) and runs under a watchdog that turns a hang into a
//! failure naming the scenario, on the current-thread runtime and on one and two workers.

use tourbillon_support::testing as support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use support::{connected_pair, every_flavor, watchdog};
use tourbillon::task::{spawn_blocking, yield_now};
use tourbillon::{Builder, Handle, JoinHandle, Runtime};

/// Two tasks bouncing a message until `stop` is set: while they run, the run queue is never
/// empty. Returns the handle of the side that counts the round trips.
fn spawn_busy_pair(stop: &Arc<AtomicBool>) -> JoinHandle<u64> {
    let (to_b, mut from_a) = mpsc::unbounded::<()>();
    let (to_a, mut from_b) = mpsc::unbounded::<()>();
    tourbillon::spawn(async move {
        while from_a.next().await.is_some() {
            if to_a.unbounded_send(()).is_err() {
                break;
            }
        }
    });
    let stop = stop.clone();
    tourbillon::spawn(async move {
        let mut round_trips = 0;
        while !stop.load(SeqCst) {
            to_b.unbounded_send(()).unwrap();
            if from_b.next().await.is_none() {
                break;
            }
            round_trips += 1;
        }
        round_trips
    })
}

/// Runs `starved` beside `pairs` busy pairs on every flavor; `starved` must finish (then the
/// pairs are stopped).
fn beside_busy_pairs<F, Fut>(scenario: &'static str, pairs: usize, starved: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    watchdog(scenario, move || {
        for (flavor, rt) in every_flavor() {
            rt.block_on(async {
                let stop = Arc::new(AtomicBool::new(false));
                let pairs: Vec<_> = (0..pairs).map(|_| spawn_busy_pair(&stop)).collect();
                tourbillon::spawn(starved()).await.unwrap();
                stop.store(true, SeqCst);
                for pair in pairs {
                    pair.await.unwrap();
                }
            });
            eprintln!("{scenario}: {flavor} ok");
        }
    });
}

#[test]
fn a_yielding_task_beside_a_busy_pair_runs_again() {
    beside_busy_pairs("yield beside one busy pair", 1, || async {
        for _ in 0..100 {
            yield_now().await;
        }
    });
}

#[test]
fn a_yielding_task_beside_two_busy_pairs_runs_again() {
    beside_busy_pairs("yield beside two busy pairs", 2, || async {
        for _ in 0..100 {
            yield_now().await;
        }
    });
}

/// Wakes itself during each of its first `left` polls, as a hand-written future may.
struct WakesItself {
    left: u32,
}

impl Future for WakesItself {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_task_woken_during_its_own_poll_beside_a_busy_pair_runs_again() {
    beside_busy_pairs("self-wake beside a busy pair", 1, || WakesItself {
        left: 100,
    });
}

#[test]
fn a_reader_out_of_budget_beside_a_busy_pair_runs_again() {
    // A socket that always has data: each read succeeds until the task's coop budget runs out,
    // then the read wakes the task and returns `Pending`.
    beside_busy_pairs("budget-exhausted reader beside a busy pair", 1, || async {
        let (mut client, mut server) = connected_pair().await;
        const LEN: usize = 64 * 1024;
        client.write_all(&vec![7u8; LEN]).await.unwrap();
        let mut byte = [0u8; 16];
        let mut read = 0;
        while read < LEN {
            read += server.read(&mut byte).await.unwrap();
        }
    });
}

#[test]
fn a_timer_beside_a_busy_pair_fires() {
    beside_busy_pairs("sleep beside a busy pair", 1, || async {
        tourbillon::time::sleep(Duration::from_millis(5)).await;
    });
}

#[test]
fn a_blocking_call_beside_a_busy_pair_returns() {
    beside_busy_pairs("spawn_blocking beside a busy pair", 2, || async {
        let n = spawn_blocking(|| 6 * 7).await.unwrap();
        assert_eq!(n, 42);
    });
}

#[test]
fn a_remote_spawn_beside_a_busy_pair_runs() {
    beside_busy_pairs(
        "spawn from a foreign thread beside a busy pair",
        2,
        || async {
            let handle = Handle::current();
            let (done, finished) = oneshot::channel();
            std::thread::spawn(move || {
                handle.spawn(async move { done.send(()).unwrap() });
            });
            finished.await.unwrap();
        },
    );
}

#[test]
fn a_loop_over_ready_join_handles_lets_its_neighbours_run() {
    // A `JoinHandle` poll spends the coop budget: a task awaiting many finished tasks in a row
    // yields now and then, as it would awaiting many ready sockets.
    watchdog("join handles spend the budget", || {
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let handles: Vec<_> = (0..1000)
                .map(|i| tourbillon::spawn(async move { i }))
                .collect();
            let neighbour_ran = Arc::new(AtomicUsize::new(0));
            let awaiter = {
                let neighbour_ran = neighbour_ran.clone();
                tourbillon::spawn(async move {
                    // Every handle's task has finished before this first poll.
                    let mut seen_meanwhile = 0;
                    for handle in handles {
                        handle.await.unwrap();
                        seen_meanwhile = neighbour_ran.load(SeqCst);
                    }
                    seen_meanwhile
                })
            };
            let stop = Arc::new(AtomicBool::new(false));
            let neighbour = {
                let stop = stop.clone();
                tourbillon::spawn(async move {
                    while !stop.load(SeqCst) {
                        neighbour_ran.fetch_add(1, SeqCst);
                        yield_now().await;
                    }
                })
            };
            let seen = awaiter.await.unwrap();
            stop.store(true, SeqCst);
            neighbour.await.unwrap();
            assert!(
                seen > 0,
                "the neighbour never ran while 1000 handles were awaited"
            );
        });
    });
}

#[test]
fn handle_block_on_from_a_blocking_thread_of_a_busy_current_thread_runtime() {
    watchdog(
        "Handle::block_on from spawn_blocking while block_on runs",
        || {
            let rt = Builder::new_current_thread().build().unwrap();
            let total = rt.block_on(async {
                let handle = Handle::current();
                spawn_blocking(move || {
                    // Needs nothing from the runtime; then a timer; then a task of the runtime.
                    let plain = handle.block_on(async { 5 });
                    let timed = handle.block_on(async {
                        tourbillon::time::sleep(Duration::from_millis(1)).await;
                        6
                    });
                    let spawned = handle.block_on(tourbillon::spawn(async { 7 })).unwrap();
                    plain + timed + spawned
                })
                .await
                .unwrap()
            });
            assert_eq!(total, 18);
        },
    );
}

#[test]
fn two_block_ons_of_one_current_thread_runtime_waiting_on_each_other() {
    watchdog("two threads in block_on waiting on each other", || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (first_tx, first_rx) = oneshot::channel::<u32>();
        let (second_tx, second_rx) = oneshot::channel::<u32>();
        let other = {
            let rt = rt.clone();
            std::thread::spawn(move || {
                rt.block_on(async move {
                    let got = first_rx.await.unwrap();
                    second_tx.send(got + 1).unwrap();
                })
            })
        };
        let answer = rt.block_on(async move {
            first_tx.send(1).unwrap();
            second_rx.await.unwrap()
        });
        other.join().unwrap();
        assert_eq!(answer, 2);
    });
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&'static str>()
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn dropping_a_multi_thread_runtime_on_its_own_worker_panics_instead_of_hanging() {
    watchdog("runtime dropped on its own worker", || {
        for workers in [1, 2] {
            let rt = Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
                .unwrap();
            let handle = rt.handle().clone();
            let (result_tx, result_rx) = std::sync::mpsc::channel();
            handle.spawn(async move {
                let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rt)));
                result_tx.send(dropped.map_err(panic_message)).unwrap();
            });
            let message = result_rx.recv().unwrap().unwrap_err();
            assert!(
                message.contains("Cannot drop a runtime"),
                "unexpected message: {message}"
            );
        }
    });
}

#[test]
fn dropping_a_runtime_inside_another_runtimes_block_on_panics() {
    watchdog("runtime dropped inside block_on", || {
        for (flavor, outer) in every_flavor() {
            let inner = Builder::new_current_thread().build().unwrap();
            let dropped = outer.block_on(async move {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(inner)))
            });
            let message = panic_message(dropped.unwrap_err());
            assert!(
                message.contains("Cannot drop a runtime"),
                "{flavor}: {message}"
            );
        }
    });
}

#[test]
fn dropping_a_runtime_inside_its_own_blocking_call_returns() {
    watchdog("runtime dropped inside its own spawn_blocking", || {
        for (flavor, rt) in every_flavor() {
            let handle = rt.handle().clone();
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            drop(handle.spawn_blocking(move || {
                drop(rt);
                done_tx.send(()).unwrap();
            }));
            done_rx.recv().unwrap();
            eprintln!("{flavor} ok");
        }
    });
}

#[test]
fn a_runtime_dropped_by_a_thread_local_destructor() {
    struct Holder(Option<Runtime>);
    impl Drop for Holder {
        fn drop(&mut self) {
            // Runs while the thread's other thread-locals (the runtime context among them) may
            // already be gone.
            drop(self.0.take());
        }
    }
    thread_local! {
        static HOLDER: std::cell::RefCell<Holder> = const { std::cell::RefCell::new(Holder(None)) };
    }
    watchdog("runtime dropped in a thread-local destructor", || {
        for flavor in ["current_thread", "multi_thread"] {
            std::thread::spawn(move || {
                let rt = match flavor {
                    "current_thread" => Builder::new_current_thread().build().unwrap(),
                    _ => Builder::new_multi_thread()
                        .worker_threads(1)
                        .build()
                        .unwrap(),
                };
                rt.block_on(async { tourbillon::spawn(async {}).await.unwrap() });
                rt.spawn(std::future::pending::<()>());
                HOLDER.with(|holder| holder.borrow_mut().0 = Some(rt));
            })
            .join()
            .unwrap();
        }
    });
}

#[test]
fn shutdown_timeout_accepts_duration_max() {
    watchdog("shutdown_timeout(Duration::MAX)", || {
        for (_, rt) in every_flavor() {
            rt.spawn(async { tourbillon::time::sleep(Duration::from_secs(3600)).await });
            rt.shutdown_timeout(Duration::MAX);
        }
    });
}

#[test]
#[should_panic(expected = "max_blocking_threads cannot be 0")]
fn zero_blocking_threads_is_refused() {
    Builder::new_current_thread().max_blocking_threads(0);
}

#[test]
fn a_blocking_call_whose_thread_cannot_start_fails_instead_of_hanging() {
    watchdog("spawn_blocking when no thread can be spawned", || {
        // No thread can have a stack this large: every spawn of the blocking pool fails.
        let rt = Builder::new_current_thread()
            .thread_stack_size(1 << 46)
            .build()
            .unwrap();
        let error = rt.block_on(rt.spawn_blocking(|| 1)).unwrap_err();
        assert!(error.is_panic(), "{error}");
        assert!(error.to_string().contains("blocking"), "{error}");
        // The runtime still works, and the next call fails the same way.
        assert_eq!(
            rt.block_on(async { tourbillon::spawn(async { 2 }).await.unwrap() }),
            2
        );
        assert!(rt.block_on(rt.spawn_blocking(|| 3)).is_err());
    });
}

static SHARED_MULTI_THREAD: OnceLock<Runtime> = OnceLock::new();
static SHARED_CURRENT_THREAD: OnceLock<Runtime> = OnceLock::new();

#[test]
fn a_runtime_in_a_static_serves_block_on_from_several_threads() {
    watchdog("static OnceLock<Runtime> shared by threads", || {
        let multi = SHARED_MULTI_THREAD.get_or_init(support::multi_thread);
        let current = SHARED_CURRENT_THREAD.get_or_init(support::current_thread);
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                std::thread::spawn(move || {
                    let a =
                        multi.block_on(async move { tourbillon::spawn(async move { i }).await });
                    let b = current.block_on(async move {
                        tourbillon::time::sleep(Duration::from_millis(1)).await;
                        tourbillon::spawn(async move { i * 10 }).await
                    });
                    a.unwrap() + b.unwrap()
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, (0..4u64).map(|i| i * 11).sum::<u64>());
    });
}

/// The auto traits a tokio user relies on (`static RT: OnceLock<Runtime>`, `Arc<Runtime>`
/// shared between threads, sockets and timers moved between tasks).
#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<tourbillon::RuntimeMetrics>();
    send_sync::<JoinHandle<u32>>();
    send_sync::<tourbillon::net::TcpStream>();
    send_sync::<tourbillon::net::TcpListener>();
    send_sync::<tourbillon::net::UdpSocket>();
    send_sync::<tourbillon::time::Sleep>();
    send_sync::<tourbillon::time::Interval>();
    error::<tourbillon::JoinError>();
    error::<tourbillon::time::Elapsed>();
}

/// The fairness contract (src/scheduler/mod.rs) counted: between two polls of a task that
/// yields beside a busy pair, the pair is polled at most 4 polls per tick (one from the queue,
/// three from the LIFO slot) × (EVENT_INTERVAL (61) ticks in the yield list + the 2 ticks of
/// the pair's tasks queued ahead of it). Counted, not timed: on one scheduler thread the
/// count depends only on the scheduler's decisions.
#[test]
fn a_yielding_task_waits_at_most_the_contracts_bound() {
    const BOUND: u64 = 4 * (61 + 2);
    watchdog("the fairness bound beside a busy pair", || {
        let one_thread = [
            ("current_thread", support::current_thread()),
            (
                "multi_thread(1)",
                Builder::new_multi_thread()
                    .worker_threads(1)
                    .build()
                    .unwrap(),
            ),
        ];
        for (flavor, rt) in one_thread {
            let worst = rt.block_on(async {
                let pair_polls = Arc::new(std::sync::atomic::AtomicU64::new(0));
                let stop = Arc::new(AtomicBool::new(false));
                let (to_b, mut from_a) = mpsc::unbounded::<()>();
                let (to_a, mut from_b) = mpsc::unbounded::<()>();
                let polls = pair_polls.clone();
                tourbillon::spawn(async move {
                    while from_a.next().await.is_some() {
                        polls.fetch_add(1, SeqCst);
                        if to_a.unbounded_send(()).is_err() {
                            break;
                        }
                    }
                });
                let (polls, pair_stop) = (pair_polls.clone(), stop.clone());
                let pair = tourbillon::spawn(async move {
                    while !pair_stop.load(SeqCst) {
                        polls.fetch_add(1, SeqCst);
                        to_b.unbounded_send(()).unwrap();
                        if from_b.next().await.is_none() {
                            break;
                        }
                    }
                });
                let yielder = tourbillon::spawn(async move {
                    let mut worst = 0;
                    for _ in 0..200 {
                        let before = pair_polls.load(SeqCst);
                        yield_now().await;
                        worst = worst.max(pair_polls.load(SeqCst) - before);
                    }
                    worst
                });
                let worst = yielder.await.unwrap();
                stop.store(true, SeqCst);
                pair.await.unwrap();
                worst
            });
            eprintln!("{flavor}: at most {worst} polls of the pair between two polls");
            assert!(
                worst > 0,
                "{flavor}: the pair never ran while the task yielded"
            );
            assert!(
                worst <= BOUND,
                "{flavor}: {worst} polls of the pair > {BOUND}"
            );
        }
    });
}

#[test]
fn shutdown_background_from_inside_a_runtime_returns_and_cancels_the_tasks() {
    watchdog("shutdown_background inside block_on", || {
        let outer = support::current_thread();
        for (flavor, rt) in every_flavor() {
            let drops = Arc::new(AtomicUsize::new(0));
            rt.spawn(support::pending_counted(&drops));
            // A blocking call that never returns on its own: shutdown_background must not
            // wait for it.
            let (_release, stuck) = std::sync::mpsc::channel::<()>();
            let _call = rt.spawn_blocking(move || stuck.recv());
            // Inside a runtime, where a drop would panic.
            outer.block_on(async { rt.shutdown_background() });
            assert_eq!(
                drops.load(SeqCst),
                1,
                "{flavor}: the pending task was not dropped"
            );
        }
    });
}
