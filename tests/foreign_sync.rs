//! tokio's synchronisation types run on tourbillon: `tokio::sync::{mpsc, oneshot, Mutex,
//! Notify}` need only the waker protocol, not tokio's runtime. Each is driven across tasks and
//! across a plain thread, on every flavor (current-thread, multi-thread with one and two
//! workers), with no tokio runtime anywhere (asserted).
//!
//! README.md ("Coming from tokio") points here.

mod support;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex, Notify};

use support::{assert_no_tokio_runtime, block_on_every_flavor};

const MESSAGES: u64 = 200;

#[test]
fn mpsc_from_tasks_and_a_thread() {
    block_on_every_flavor("tokio mpsc", |flavor| async move {
        assert_no_tokio_runtime(flavor);
        // Capacity 2: the senders keep finding the channel full and wait to be woken.
        let (tx, mut rx) = mpsc::channel::<(u64, u64)>(2);
        let mut senders = Vec::new();
        for producer in 0..2 {
            let tx = tx.clone();
            senders.push(tourbillon::spawn(async move {
                assert_no_tokio_runtime("mpsc sender task");
                for i in 0..MESSAGES {
                    tx.send((producer, i)).await.unwrap();
                }
            }));
        }
        let thread_tx = tx.clone();
        let thread = std::thread::spawn(move || {
            for i in 0..MESSAGES {
                thread_tx.blocking_send((2, i)).unwrap();
            }
        });
        drop(tx);

        // Every message arrives once, each producer's in the order it sent them.
        let mut next = [0u64; 3];
        while let Some((producer, i)) = rx.recv().await {
            let producer = producer as usize;
            assert_eq!(
                i, next[producer],
                "{flavor}: producer {producer} out of order"
            );
            next[producer] += 1;
        }
        assert_eq!(next, [MESSAGES; 3], "{flavor}");
        for sender in senders {
            sender.await.unwrap();
        }
        thread.join().unwrap();
    });
}

#[test]
fn oneshot_across_tasks_and_from_a_thread() {
    block_on_every_flavor("tokio oneshot", |flavor| async move {
        assert_no_tokio_runtime(flavor);
        // Task to task.
        let (tx, rx) = oneshot::channel();
        let receiver = tourbillon::spawn(async move {
            assert_no_tokio_runtime("oneshot receiver task");
            rx.await.unwrap()
        });
        let sender = tourbillon::spawn(async move { tx.send(7u32).unwrap() });
        sender.await.unwrap();
        assert_eq!(receiver.await.unwrap(), 7, "{flavor}");

        // Thread to task: the send wakes a task waiting in the runtime.
        let (tx, rx) = oneshot::channel();
        let receiver = tourbillon::spawn(rx);
        let thread = std::thread::spawn(move || tx.send("from a thread").unwrap());
        assert_eq!(
            receiver.await.unwrap().unwrap(),
            "from a thread",
            "{flavor}"
        );
        thread.join().unwrap();

        // A dropped sender is seen as an error, not a hang.
        let (tx, rx) = oneshot::channel::<u32>();
        drop(tx);
        assert!(rx.await.is_err(), "{flavor}");
    });
}

#[test]
fn mutex_held_across_awaits_by_tasks_and_a_thread() {
    const TASKS: u64 = 4;
    const ROUNDS: u64 = 50;
    block_on_every_flavor("tokio Mutex", |flavor| async move {
        assert_no_tokio_runtime(flavor);
        let counter = Arc::new(Mutex::new(0u64));
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let counter = counter.clone();
            tasks.push(tourbillon::spawn(async move {
                assert_no_tokio_runtime("mutex task");
                for _ in 0..ROUNDS {
                    let mut guard = counter.lock().await;
                    let seen = *guard;
                    // Held across a yield: the others queue on the lock and must be woken.
                    tourbillon::task::yield_now().await;
                    *guard = seen + 1;
                }
            }));
        }
        let thread_counter = counter.clone();
        let thread = std::thread::spawn(move || {
            for _ in 0..ROUNDS {
                *thread_counter.blocking_lock() += 1;
            }
        });
        for task in tasks {
            task.await.unwrap();
        }
        thread.join().unwrap();
        // No increment was lost: the lock excluded every other holder across the yield.
        assert_eq!(*counter.lock().await, (TASKS + 1) * ROUNDS, "{flavor}");
    });
}

#[test]
fn notify_ping_pong_between_tasks_and_with_a_thread() {
    const ROUNDS: usize = 100;
    block_on_every_flavor("tokio Notify", |flavor| async move {
        assert_no_tokio_runtime(flavor);
        // Task to task: each side waits for the other's notification, ROUNDS times.
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let ponger = tourbillon::spawn({
            let (ping, pong) = (ping.clone(), pong.clone());
            async move {
                assert_no_tokio_runtime("notify task");
                for _ in 0..ROUNDS {
                    ping.notified().await;
                    pong.notify_one();
                }
            }
        });
        for _ in 0..ROUNDS {
            ping.notify_one();
            pong.notified().await;
        }
        ponger.await.unwrap();

        // Thread to task: the thread notifies, the task acknowledges on a std channel.
        let notify = Arc::new(Notify::new());
        let (ack, acks) = std::sync::mpsc::channel();
        let waiter = tourbillon::spawn({
            let notify = notify.clone();
            async move {
                for round in 0..ROUNDS {
                    notify.notified().await;
                    ack.send(round).unwrap();
                }
            }
        });
        let thread = std::thread::spawn(move || {
            for round in 0..ROUNDS {
                notify.notify_one();
                assert_eq!(acks.recv().unwrap(), round);
            }
        });
        waiter.await.unwrap();
        let acknowledged = thread.join();
        assert!(
            acknowledged.is_ok(),
            "{flavor}: an acknowledgement was missing"
        );
    });
}
