//! Loom model of the multi-thread scheduler's worker-local paths (src/scheduler/multi_thread.rs
//! "Where a wake goes", src/scheduler/yielded.rs), with each worker its loom thread's scheduler
//! (context.rs) as on a real worker thread: a wake on the worker goes to its LIFO slot, a task
//! woken during its own poll to its yield list, a wake from any other thread to the injector.
//!
//! Each task carries a [`Probe`] (std atomics, which loom does not see, so they add no
//! interleavings and are exact): a waker marks the task *pending* before it wakes it, and each
//! poll clears the mark. Once every thread is done and the worker has run out of work, no task
//! may still be pending: every wake was followed by a poll. A poll that starts while another
//! poll of the same task is under way fails at once. Shutdown must then cancel every task
//! (`alive() == 0`, each future dropped once) and free every cell and the scheduler (loom's
//! leak check on its allocations and `Arc`s).
//!
//! | scenario                                | proves                                              |
//! |-----------------------------------------|-----------------------------------------------------|
//! | `lifo_wake_vs_foreign_wake`             | a ping-pong pair on one worker (each wake lands in the LIFO slot; the fourth in a row goes to the local queue) while a foreign thread wakes one of them: every wake is followed by a poll |
//! | `yield_vs_foreign_wake`                 | a task that wakes itself (yield list) while a foreign thread wakes it too: polled again after both |
//! | `yield_vs_foreign_wake_vs_shutdown`     | the same with the worker loop on its own thread and a shutdown racing both: nothing leaks |
//! | `lifo_displaced_task_vs_worker_parking` | a task on worker 0 wakes two others: the second takes the LIFO slot and pushes the first to the local queue, while worker 1 (its real loop) goes to sleep. Worker 0 then stops, so worker 1 must be woken for the displaced task, or see it when it re-checks before sleeping (idle.rs rule 4: the local push's half of the Dekker pair, whose fences no injector model reaches: an injector push has its own) |
//! | `requeued_lifo_task_vs_worker_parking`  | a task woken again after it ran from the LIFO slot (the fan-in of "Where a wake goes") goes to the local queue, while worker 1 (its real loop) goes to sleep; worker 0 then stops, so worker 1 must be woken for it, or see it when it re-checks before sleeping |
//! | `steal_vs_pop_of_lifo_displaced_task`   | the ping-pong on worker 0 while worker 1 ticks on its own thread, stealing from 0's queue (where the task that finds the LIFO budget spent goes) or taking the pair from the injector: never two polls of one task at once, every wake followed by a poll |
#![cfg(loom)]

use loom::thread;
use loom_tests::{model, poll_fn, DropCount, Tally};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc as StdArc, OnceLock};
use std::task::{Poll, Waker};
use tourbillon::loom_api::{MultiThread, Worker};
use tourbillon::JoinHandle;

/// What the model knows about one task, outside loom's view.
#[derive(Default)]
struct Probe {
    /// Woken, and not polled since.
    pending: AtomicBool,
    /// Inside a poll right now.
    polling: AtomicBool,
    polls: AtomicUsize,
    waker: OnceLock<Waker>,
}

impl Probe {
    /// Marks the task pending, then wakes it (by reference: the waker stays for later wakes).
    fn wake(&self) {
        self.pending.store(true, SeqCst);
        self.waker.get().expect("polled once").wake_by_ref();
    }
}

/// The start of a poll: no other poll of this task is under way, and this one answers every
/// earlier wake. The returned guard marks the poll's end.
fn begin_poll(probe: &Probe) -> impl Drop + '_ {
    assert!(
        !probe.polling.swap(true, SeqCst),
        "two polls of one task at once"
    );
    probe.pending.store(false, SeqCst);
    probe.polls.fetch_add(1, SeqCst);
    struct EndPoll<'a>(&'a Probe);
    impl Drop for EndPoll<'_> {
        fn drop(&mut self) {
            self.0.polling.store(false, SeqCst);
        }
    }
    EndPoll(probe)
}

/// The tasks of one model and their probes; `drops` counts the futures dropped.
struct Cast {
    probes: Vec<StdArc<Probe>>,
    joins: Vec<JoinHandle<()>>,
    drops: Tally,
}

impl Cast {
    /// Spawns one task per `script` (from the model's thread: into the injector). A task's
    /// first poll stores its waker in its probe; each later poll runs its script with the
    /// poll's number (2, 3, ...) and every probe, and returns what the script returns.
    fn spawn(rt: &MultiThread, scripts: Vec<Script>) -> Cast {
        let probes: Vec<_> = scripts.iter().map(|_| StdArc::default()).collect();
        let drops = Tally::new();
        let joins = scripts
            .into_iter()
            .enumerate()
            .map(|(me, script)| {
                let probes = probes.clone();
                rt.spawn(poll_fn(DropCount(drops.clone()), move |cx| {
                    let probe: &Probe = &probes[me];
                    let _poll = begin_poll(probe);
                    let polls = probe.polls.load(SeqCst);
                    if polls == 1 {
                        probe.waker.set(cx.waker().clone()).expect("first poll");
                        Poll::Pending
                    } else {
                        script(polls, &probes)
                    }
                }))
            })
            .collect();
        Cast {
            probes,
            joins,
            drops,
        }
    }

    /// Every wake so far was followed by a poll.
    fn assert_no_wake_lost(&self) {
        for (i, probe) in self.probes.iter().enumerate() {
            assert!(
                !probe.pending.load(SeqCst),
                "task {i} was woken and not polled since ({} polls)",
                probe.polls.load(SeqCst)
            );
        }
    }

    /// After the runtime shut down: every task whose join handle is still here was cancelled,
    /// every future was dropped once.
    fn assert_all_cancelled(self, rt: &MultiThread) {
        assert_eq!(rt.alive(), 0, "a task outlived the shutdown");
        assert_eq!(
            self.drops.get(),
            self.probes.len(),
            "each future dropped once"
        );
        for join in self.joins {
            let out = loom::future::block_on(join);
            assert!(out.unwrap_err().is_cancelled());
        }
    }
}

/// A task's behaviour on its polls after the first: `(poll number, every probe)`.
type Script = Box<dyn Fn(usize, &[StdArc<Probe>]) -> Poll<()> + Send + Sync>;

/// Two tasks that wake each other, `hops` wakes in all, each from inside a poll: on a worker,
/// every one of those wakes takes the worker-local path (the LIFO slot).
fn ping_pong(hops: usize) -> Vec<Script> {
    let count = StdArc::new(AtomicUsize::new(0));
    (0..2)
        .map(|me| {
            let count = count.clone();
            Box::new(move |_: usize, probes: &[StdArc<Probe>]| {
                if count.fetch_add(1, SeqCst) < hops {
                    probes[1 - me].wake();
                }
                Poll::Pending
            }) as Script
        })
        .collect()
}

/// Wakes of a ping-pong pair: the first comes from the injector, the next three run from the
/// LIFO slot (`MAX_LIFO_POLLS`), the fourth wake finds that budget spent and goes to the local
/// queue.
const HOPS: usize = 4;

/// Runs ticks until the worker finds nothing to do.
fn run_until_idle(worker: &Worker) {
    while worker.run_tick() {}
}

/// Shuts `rt` down with `worker` not running: it drains its queues, then the runtime cancels
/// every task and closes the injector.
fn shut_down(rt: &MultiThread, worker: Worker) {
    rt.begin_shutdown();
    worker.run(); // sees the shutdown flag at once
    rt.finish_shutdown();
}

/// A one-worker runtime (its worker not yet running) with `scripts` spawned and polled once
/// each, so every probe holds its task's waker.
fn one_worker(scripts: Vec<Script>) -> (MultiThread, Worker, Cast) {
    let mut rt = MultiThread::new(1);
    let worker = rt.take_workers().pop().unwrap();
    let cast = Cast::spawn(&rt, scripts);
    (rt, worker, cast)
}

/// Polls each task of `cast` once (their first polls: they hand out their wakers).
fn first_polls(worker: &Worker, cast: &Cast) {
    for _ in &cast.probes {
        assert!(worker.run_tick(), "the worker polls each task once");
    }
    assert!(cast.probes.iter().all(|p| p.waker.get().is_some()));
}

#[test]
fn lifo_wake_vs_foreign_wake() {
    model(None, || {
        let (rt, worker, cast) = one_worker(ping_pong(HOPS));
        rt.with_driver_held(|| {
            first_polls(&worker, &cast);
            let target = cast.probes[1].clone();
            let foreign = thread::spawn(move || target.wake());
            // Remote (the model's thread is no worker between ticks): the injector.
            cast.probes[0].wake();
            run_until_idle(&worker);
            foreign.join().unwrap();
            run_until_idle(&worker);
            cast.assert_no_wake_lost();
            shut_down(&rt, worker);
        });
        cast.assert_all_cancelled(&rt);
    });
}

/// A task that wakes itself on its second poll (so it goes to the yield list) and then waits.
fn yields_once() -> Vec<Script> {
    vec![Box::new(|polls: usize, probes: &[StdArc<Probe>]| {
        if polls == 2 {
            probes[0].wake();
        }
        Poll::Pending
    })]
}

#[test]
fn yield_vs_foreign_wake() {
    model(None, || {
        let (rt, worker, cast) = one_worker(yields_once());
        rt.with_driver_held(|| {
            first_polls(&worker, &cast);
            let target = cast.probes[0].clone();
            let foreign = thread::spawn(move || target.wake());
            // Remote, as above: its second poll comes from the injector.
            cast.probes[0].wake();
            run_until_idle(&worker);
            foreign.join().unwrap();
            run_until_idle(&worker);
            cast.assert_no_wake_lost();
            // Its second poll yielded, so it was polled a third time.
            assert!(cast.probes[0].polls.load(SeqCst) >= 3);
            shut_down(&rt, worker);
        });
        cast.assert_all_cancelled(&rt);
    });
}

#[test]
fn yield_vs_foreign_wake_vs_shutdown() {
    model(None, || {
        let (rt, worker, cast) = one_worker(yields_once());
        rt.with_driver_held(|| {
            first_polls(&worker, &cast);
            cast.probes[0].wake();
            let target = cast.probes[0].clone();
            let foreign = thread::spawn(move || target.wake());
            let worker = thread::spawn(move || worker.run());
            rt.begin_shutdown();
            worker.join().unwrap();
            rt.finish_shutdown();
            foreign.join().unwrap();
        });
        cast.assert_all_cancelled(&rt);
    });
}

#[test]
fn steal_vs_pop_of_lifo_displaced_task() {
    model(None, || {
        let mut rt = MultiThread::new(2);
        let mut workers = rt.take_workers();
        let thief = workers.pop().unwrap();
        let owner = workers.pop().unwrap();
        let cast = Cast::spawn(&rt, ping_pong(HOPS));
        rt.with_driver_held(|| {
            first_polls(&owner, &cast);
            cast.probes[0].wake();
            let thief = thread::spawn(move || {
                run_until_idle(&thief);
                thief
            });
            run_until_idle(&owner);
            let thief = thief.join().unwrap();
            // The thief may have stolen the pair, and stopped while it held part of it.
            run_until_idle(&thief);
            run_until_idle(&owner);
            cast.assert_no_wake_lost();
            rt.begin_shutdown();
            thief.run();
            owner.run();
            rt.finish_shutdown();
        });
        cast.assert_all_cancelled(&rt);
    });
}

/// Task 0 wakes 1 then 2 (on a worker: 1 takes the LIFO slot, then 2 takes it and 1 moves to
/// the local queue); task 1 completes when polled again; task 2 waits.
fn wake_two() -> Vec<Script> {
    vec![
        Box::new(|_: usize, probes: &[StdArc<Probe>]| {
            probes[1].wake();
            probes[2].wake();
            Poll::Pending
        }),
        Box::new(|_: usize, _: &[StdArc<Probe>]| Poll::Ready(())),
        Box::new(|_: usize, _: &[StdArc<Probe>]| Poll::Pending),
    ]
}

/// The shape of the two parking models: worker 0 (busy) makes the first polls, task `woken` is
/// woken, worker 1 (the sleeper) runs its loop on a thread of its own while the busy worker
/// ticks `ticks` times and then no more. The model then waits for task `awaited`: if the wake
/// that should have roused the sleeper was lost, the task stays in the busy worker's queue
/// while the sleeper sleeps, and this waits forever (loom: deadlock).
fn busy_worker_stops_while_the_other_parks(
    scripts: fn() -> Vec<Script>,
    woken: usize,
    ticks: usize,
    awaited: usize,
) {
    model(None, move || {
        let mut rt = MultiThread::new(2);
        let mut workers = rt.take_workers();
        let sleeper = workers.pop().unwrap();
        let busy = workers.pop().unwrap();
        let mut cast = Cast::spawn(&rt, scripts());
        let awaited = cast.joins.remove(awaited);
        rt.with_driver_held(|| {
            first_polls(&busy, &cast);
            cast.probes[woken].wake();
            let sleeper = thread::spawn(move || sleeper.run());
            for _ in 0..ticks {
                busy.run_tick();
            }
            loom::future::block_on(awaited).unwrap();
            rt.begin_shutdown();
            sleeper.join().unwrap();
            busy.run();
            rt.finish_shutdown();
        });
        cast.assert_all_cancelled(&rt);
    });
}

/// Task 0 runs (and task 2 from the LIFO slot, displacing task 1 to the queue), unless the
/// sleeper took it first; then the busy worker stops, and task 1 must still complete.
#[test]
fn lifo_displaced_task_vs_worker_parking() {
    busy_worker_stops_while_the_other_parks(wake_two, 0, 1, 1);
}

/// Task 1 wakes 2 then 0 (0 takes the LIFO slot and runs from it, 2 moves to the local queue);
/// task 2 wakes 0 again, which is then the task last polled from the slot and goes to the
/// local queue. Task 0 completes on the first poll that starts after task 2's did (two wakes
/// may meet in one poll, so it does not count its own polls).
fn fan_in() -> Vec<Script> {
    vec![
        Box::new(|_: usize, probes: &[StdArc<Probe>]| {
            if probes[2].polls.load(SeqCst) >= 2 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }),
        Box::new(|_: usize, probes: &[StdArc<Probe>]| {
            probes[2].wake();
            probes[0].wake();
            Poll::Pending
        }),
        Box::new(|_: usize, probes: &[StdArc<Probe>]| {
            probes[0].wake();
            Poll::Pending
        }),
    ]
}

/// Task 1 runs, then task 0 from the LIFO slot; then task 2, whose wake sends task 0 to the
/// local queue (unless the sleeper took task 1 or stole task 2 first); then the busy worker
/// stops, and task 0 must still complete: the queued wake woke the sleeper, or the sleeper saw
/// task 0 when it re-checked before sleeping.
#[test]
fn requeued_lifo_task_vs_worker_parking() {
    busy_worker_stops_while_the_other_parks(fan_in, 1, 2, 0);
}
