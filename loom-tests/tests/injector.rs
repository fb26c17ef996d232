//! Loom model of the injector (src/scheduler/injector.rs): Vyukov's intrusive MPSC list made
//! multi-consumer by a try-lock token, with an atomic length and close-and-drain.
//!
//! Tasks are real task cells (`TestScheduler::spawn_entry`); each records its run in a tally.
//! Consumers keep what they pop and the main thread runs it after the join, so the threads
//! race only on the queue. At the end every task must have run exactly once (a lost entry
//! leaks its cell, which loom reports; an entry popped twice trips the state word's
//! "a queued task must be NOTIFIED" assertion or runs twice).
//!
//! | scenario                         | proves                                                  |
//! |----------------------------------|---------------------------------------------------------|
//! | `two_producers_one_consumer`     | no task lost or duplicated; `len` equals what is left    |
//! | `two_producers_two_consumers`    | the consumer token: a busy consumer backs off, nothing popped twice |
//! | `batch_push_vs_batch_pop`        | `push_batch` (one swap for a chain) vs `pop_batch` and a single push; `len` never wraps |
//! | `publication_producer_to_consumer` | a task made and pushed on one thread, popped and run on another: the link publishes the cell |
//! | `close_vs_push_vs_pop`           | a push after (or during) close is drained by the pusher or the token holder: `len` ends at 0, nothing leaks (preemptions capped at 2) |
#![cfg(loom)]

use loom::thread;
use loom_tests::{counted_tasks, model, poll_fn, Tally};
use std::task::Poll;
use tourbillon::loom_api::{Injector, Pop, Task, TestScheduler};

/// Pops up to `tries` times, keeping what it gets. `len` may lag a racing push but never
/// exceeds the tasks in play (`max`): it once wrapped below zero here.
fn pop_some(q: &Injector, tries: usize, max: usize) -> Vec<Task> {
    let mut got = Vec::new();
    for _ in 0..tries {
        if let Pop::Task(task) = q.pop() {
            got.push(task);
        }
        assert!(q.len() <= max, "len {} with {max} tasks in play", q.len());
    }
    got
}

/// Drains `q` from a single thread (no producer left, so nothing can be inconsistent).
fn drain(q: &Injector) -> Vec<Task> {
    let mut got = Vec::new();
    loop {
        match q.pop() {
            Pop::Task(task) => got.push(task),
            Pop::Empty => return got,
            other => panic!("single consumer, producers done, yet {other:?}"),
        }
    }
}

fn run_all_once(popped: Vec<Task>, runs: &[Tally]) {
    for task in popped {
        task.run();
    }
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.get(), 1, "task {i} ran {} times", r.get());
    }
}

#[test]
fn two_producers_one_consumer() {
    model(None, || {
        let sched = TestScheduler::new();
        let q = loom::sync::Arc::new(Injector::new());
        let (mut ts, runs) = counted_tasks(&sched, 2);
        let producers: Vec<_> = ts
            .drain(..)
            .map(|t| {
                let q = q.clone();
                thread::spawn(move || q.push(t))
            })
            .collect();
        let mut popped = pop_some(&q, 2, 2);
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(q.len(), 2 - popped.len(), "len counts what is left");
        popped.extend(drain(&q));
        assert!(q.is_empty());
        run_all_once(popped, &runs);
        sched.shutdown();
    });
}

#[test]
fn two_producers_two_consumers() {
    model(None, || {
        let sched = TestScheduler::new();
        let q = loom::sync::Arc::new(Injector::new());
        let (mut ts, runs) = counted_tasks(&sched, 2);
        let threads: Vec<_> = ts
            .drain(..)
            .map(|t| {
                let q = q.clone();
                thread::spawn(move || {
                    q.push(t);
                    Vec::new()
                })
            })
            .chain(std::iter::once({
                let q = q.clone();
                thread::spawn(move || pop_some(&q, 1, 2))
            }))
            .collect();
        let mut popped = pop_some(&q, 1, 2);
        for t in threads {
            popped.extend(t.join().unwrap());
        }
        assert_eq!(q.len(), 2 - popped.len(), "len counts what is left");
        popped.extend(drain(&q));
        run_all_once(popped, &runs);
        sched.shutdown();
    });
}

#[test]
fn batch_push_vs_batch_pop() {
    model(None, || {
        let sched = TestScheduler::new();
        let q = loom::sync::Arc::new(Injector::new());
        let (mut ts, runs) = counted_tasks(&sched, 3);
        let single = ts.pop().unwrap();
        let batcher = {
            let q = q.clone();
            thread::spawn(move || q.push_batch(ts))
        };
        let pusher = {
            let q = q.clone();
            thread::spawn(move || q.push(single))
        };
        let mut popped = Vec::new();
        if let Pop::Task(n) = q.pop_batch(3, |t| popped.push(t)) {
            assert_eq!(n, popped.len());
        }
        // The batch may take a task its producer has linked but not yet counted.
        assert!(q.len() <= 3, "len {} with 3 tasks in play", q.len());
        batcher.join().unwrap();
        pusher.join().unwrap();
        assert_eq!(q.len(), 3 - popped.len(), "len counts what is left");
        popped.extend(drain(&q));
        run_all_once(popped, &runs);
        sched.shutdown();
    });
}

#[test]
fn publication_producer_to_consumer() {
    model(None, || {
        let sched = TestScheduler::new();
        let q = loom::sync::Arc::new(Injector::new());
        let runs = [Tally::new(), Tally::new()];
        let producer = {
            let (q, sched, runs) = (q.clone(), sched.clone(), runs.clone());
            // The tasks are born on the producer's thread: only the queue publishes their
            // cells to the consumer that runs them.
            thread::spawn(move || {
                for r in runs {
                    let (join, task) = sched.spawn_entry(poll_fn((), move |_| {
                        r.add();
                        Poll::Ready(())
                    }));
                    drop(join);
                    q.push(task);
                }
            })
        };
        // A batch can take the second task after its link and before its count: then only
        // the link has published it (`len`'s increments publish what they count).
        let mut got = Vec::new();
        let _ = q.pop_batch(2, |t| got.push(t));
        for task in got {
            task.run();
        }
        producer.join().unwrap();
        for task in drain(&q) {
            task.run();
        }
        assert!(runs.iter().all(|r| r.get() == 1));
        sched.shutdown();
    });
}

#[test]
fn close_vs_push_vs_pop() {
    // Capped at 2: from 3 preemptions on, loom keeps a pusher preempted between its swap and
    // its link while the closer's drain retries (see `drain_if_closed`), and one execution
    // outgrows any branch budget. The retry is a wait on another thread's progress, which loom
    // can delay without bound; the interleavings that matter are all within 2 preemptions.
    model(Some(2), || {
        let sched = TestScheduler::new();
        let q = loom::sync::Arc::new(Injector::new());
        let (mut ts, _runs) = counted_tasks(&sched, 2);
        let first = ts.pop().unwrap();
        let second = ts.pop().unwrap();
        q.push(first);
        let pusher = {
            let q = q.clone();
            thread::spawn(move || q.push(second))
        };
        let consumer = {
            let q = q.clone();
            // Holds the token while the queue closes, then drops what it got (as a worker's
            // drain does at shutdown).
            thread::spawn(move || drop(pop_some(&q, 1, 2)))
        };
        q.close_and_drain();
        pusher.join().unwrap();
        consumer.join().unwrap();
        assert_eq!(q.len(), 0, "an entry was stranded in a closed injector");
        sched.shutdown(); // cancels the never-run tasks; their cells must all be freed
    });
}
