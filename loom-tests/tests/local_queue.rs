//! Loom model of a worker's local ring (src/scheduler/local.rs): owner push/pop, steal-half,
//! and overflow into the injector. The ring has 4 slots under loom.
//!
//! Tasks are real task cells; each records its run in a tally. Threads keep what they take
//! and the main thread runs everything after the joins, draining the rings and the injector,
//! so every task must have run exactly once: a lost task leaks its cell (loom reports it), a
//! task taken twice trips the state word's NOTIFIED assertion or runs twice.
//!
//! | scenario                     | proves                                                       |
//! |------------------------------|--------------------------------------------------------------|
//! | `owner_vs_one_stealer`       | owner push + pop racing a steal-half: nothing lost or doubled; a steal takes at most half; afterwards the ring is stealable again |
//! | `push_vs_steal_publication`  | a thief reading the slot the owner just filled sees the task (tail's Release/Acquire) |
//! | `owner_vs_two_stealers`      | two thieves on one ring (one backs off while the other copies) |
//! | `overflow_vs_stealer`        | a push onto a full ring moves half + 1 to the injector while a thief steals |
//! | `push_reuses_stolen_slots`   | the owner refills slots a thief is still reading only after it is done (wrap-around) |
#![cfg(loom)]

use loom::thread;
use loom_tests::{counted_tasks, model, Tally};
use tourbillon::loom_api::{
    local_queue, Injector, Local, Pop, Task, TestScheduler, LOCAL_CAPACITY,
};

fn drain_local(local: &mut Local, into: &mut Vec<Task>) {
    while let Some(t) = local.pop() {
        into.push(t);
    }
    assert!(local.is_empty());
}

fn drain_injector(q: &Injector, into: &mut Vec<Task>) {
    loop {
        match q.pop() {
            Pop::Task(t) => into.push(t),
            Pop::Empty => return,
            other => panic!("single consumer, producers done, yet {other:?}"),
        }
    }
}

/// Collects what is left in `rings` and `injector` into `taken`, runs it all, and checks that
/// every task ran exactly once: none lost, none duplicated.
fn run_all_once(
    mut taken: Vec<Task>,
    rings: impl IntoIterator<Item = Local>,
    injector: &Injector,
    runs: &[Tally],
) {
    for mut ring in rings {
        drain_local(&mut ring, &mut taken);
    }
    drain_injector(injector, &mut taken);
    for t in taken {
        t.run();
    }
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.get(), 1, "task {i} ran {} times", r.get());
    }
}

/// A thief with its own (empty) ring: steals once; returns the task it got and its ring.
fn thief(
    stealer: tourbillon::loom_api::Stealer,
) -> thread::JoinHandle<(Option<Task>, Local, usize)> {
    thread::spawn(move || {
        let (mut mine, _mine_stealer) = local_queue();
        let got = stealer.steal_into(&mut mine);
        let stolen = mine.len() + usize::from(got.is_some());
        (got, mine, stolen)
    })
}

#[test]
fn owner_vs_one_stealer() {
    model(None, || {
        let sched = TestScheduler::new();
        let injector = Injector::new();
        let (mut ts, runs) = counted_tasks(&sched, 3);
        let (mut local, stealer) = local_queue();
        let keep = stealer.clone();
        local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        let th = thief(stealer);
        local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        let mut taken: Vec<Task> = local.pop().into_iter().collect();
        let (got, theirs, stolen) = th.join().unwrap();
        assert!(
            stolen <= 2,
            "a steal takes at most half (rounded up) of 3: took {stolen}"
        );
        taken.extend(got);
        // Quiescent now: a ring with tasks must be stealable (no steal left "in flight").
        if !local.is_empty() {
            let (mut mine, _) = local_queue();
            let got = keep.steal_into(&mut mine);
            taken.extend(got.map(Some).expect("a quiescent ring refused a steal"));
            drain_local(&mut mine, &mut taken);
        }
        run_all_once(taken, [theirs, local], &injector, &runs);
        sched.shutdown();
    });
}

#[test]
fn push_vs_steal_publication() {
    model(None, || {
        let sched = TestScheduler::new();
        let injector = Injector::new();
        let (mut ts, runs) = counted_tasks(&sched, 1);
        let (mut local, stealer) = local_queue();
        // The thief may see the slot the owner is filling: `tail`'s Release/Acquire publishes it.
        let th = thief(stealer);
        local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        let (got, theirs, _) = th.join().unwrap();
        let taken: Vec<Task> = got.into_iter().collect();
        run_all_once(taken, [theirs, local], &injector, &runs);
        sched.shutdown();
    });
}

#[test]
fn owner_vs_two_stealers() {
    model(None, || {
        let sched = TestScheduler::new();
        let injector = Injector::new();
        let (ts, runs) = counted_tasks(&sched, 3);
        let (mut local, stealer) = local_queue();
        for t in ts {
            local.push_back_or_overflow(t, &injector);
        }
        let th1 = thief(stealer.clone());
        let th2 = thief(stealer);
        let mut taken: Vec<Task> = local.pop().into_iter().collect();
        for th in [th1, th2] {
            let (got, mut theirs, _) = th.join().unwrap();
            taken.extend(got);
            drain_local(&mut theirs, &mut taken);
        }
        run_all_once(taken, [local], &injector, &runs);
        sched.shutdown();
    });
}

#[test]
fn overflow_vs_stealer() {
    model(None, || {
        let sched = TestScheduler::new();
        let injector = Injector::new();
        let (mut ts, runs) = counted_tasks(&sched, LOCAL_CAPACITY + 1);
        let (mut local, stealer) = local_queue();
        let extra = ts.pop().unwrap();
        for t in ts {
            local.push_back_or_overflow(t, &injector);
        }
        assert_eq!(local.len(), LOCAL_CAPACITY);
        let th = thief(stealer);
        // Full ring: this push overflows half the ring plus `extra` into the injector, unless
        // the thief got there first (then there is room, or it pushes to the injector).
        local.push_back_or_overflow(extra, &injector);
        let (got, theirs, _) = th.join().unwrap();
        let taken: Vec<Task> = got.into_iter().collect();
        run_all_once(taken, [theirs, local], &injector, &runs);
        sched.shutdown();
    });
}

#[test]
fn push_reuses_stolen_slots() {
    model(None, || {
        let sched = TestScheduler::new();
        let injector = Injector::new();
        let (mut ts, runs) = counted_tasks(&sched, LOCAL_CAPACITY + 2);
        let (mut local, stealer) = local_queue();
        // Advance the indices so the next pushes wrap onto the slots the thief reads.
        for _ in 0..2 {
            local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        }
        let mut taken: Vec<Task> = Vec::new();
        drain_local(&mut local, &mut taken);
        for _ in 0..LOCAL_CAPACITY - 1 {
            local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        }
        let th = thief(stealer);
        local.push_back_or_overflow(ts.pop().unwrap(), &injector);
        let (got, theirs, _) = th.join().unwrap();
        taken.extend(got);
        run_all_once(taken, [theirs, local], &injector, &runs);
        sched.shutdown();
    });
}
