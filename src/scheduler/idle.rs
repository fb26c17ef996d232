//! Idle coordination: which workers sleep, how many search for work, and whom to wake.
//!
//! One atomic word counts the workers that are *unparked* and, among them, the ones
//! *searching* (looking for work to steal). The rules, after tokio's scheduler:
//!
//! 1. **Wake a sleeper only when nobody is searching.** A searcher will find the new task
//!    anyway; waking another thread would only make two threads race for one task.
//! 2. **At most half the workers search at once**, so stealing does not turn into a stampede.
//! 3. **The last searcher to find work wakes another** (the caller does this on
//!    [`Idle::transition_worker_from_searching`] returning `true`), so while there is work there
//!    is a searcher.
//! 4. **A worker going to sleep re-checks for work after announcing it**, searcher or not (the
//!    caller does this after [`Idle::transition_worker_to_parked`]). tokio re-checks only when
//!    the last searcher parks, which leaves a window: a producer that counts every worker
//!    unparked wakes nobody, trusting them to look at the queues before they sleep, but a worker
//!    that could not become a searcher (rule 2) parks without looking again. Its task then
//!    waits behind whatever the busy worker runs, forever if that blocks (tests/alloc.rs hung
//!    so under ThreadSanitizer while the workers started; loom-tests/tests/idle.rs
//!    `blocked_worker_does_not_strand_a_task` models it).
//!
//! 5. **A worker that moves tasks into its stealable queue is a producer too**: after taking a
//!    batch from the injector it applies rule 1. Otherwise a sleeper's re-check (rule 4) could
//!    look at the injector after the batch left it and at the worker's queue before the batch
//!    arrived, and miss it in both. (A searcher's batches and steals are covered by rule 3.)
//!
//! Rules 1, 4 and 5 close the lost-wakeup race. A producer publishes its task (an injector push,
//! or a `Release` store of a local queue's tail), then reads this word; a sleeper updates this
//! word, then reads the queue lengths. Each side puts a `SeqCst` fence between its write and
//! its read ([`Idle::sleeper_fence`], called by both), so in the fences' single total order one
//! side's fence comes first, and the other side's read sees its write: either the producer sees
//! no searcher and a sleeper to wake, or the sleeper sees the task. The fence is not optional
//! on x86: a local push is a plain store, and the load after it may be served before the store
//! leaves the core's store buffer. tokio gets the same order by reading this word with an RMW
//! (`fetch_add(0)`), which takes the line exclusive on every local push; a fence stays on the
//! core.
//!
//! The fences are what orders the pair, in the shipped code and under loom alike: loom models
//! `SeqCst` accesses as `AcqRel` and only `SeqCst` fences as a total order, so the fences are
//! what it checks, and they are the ones that run. Removing either fails
//! `loom-tests/tests/worker_local.rs` `lifo_displaced_task_vs_worker_parking` (a local push;
//! loom-tests/README.md, mutations F4-F5). With the fences, this word's accesses would be
//! correct `Relaxed` (it is a pair of counts and publishes no data: the sleeper list has its
//! lock, a task is published by its queue), and such a build passes the models. They stay
//! `SeqCst` because that is free on x86-64 (the RMWs are locked either way, the loads plain)
//! and keeps loom's state space small (injector.rs, "Closing", has the numbers).

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

/// Low half: searching workers; high half: unparked workers.
const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    /// Indices of the parked workers.
    sleepers: Mutex<Vec<usize>>,
}

fn num_searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn num_unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// Rule 1: should a producer wake someone?
    fn should_wake(&self) -> bool {
        // The producer's half of the pair in the module docs: its push, this fence, this load.
        Idle::sleeper_fence();
        // Ordered by the fence (module docs, which say why `SeqCst`).
        let state = self.state.load(SeqCst);
        num_searching(state) == 0 && num_unparked(state) < self.num_workers
    }

    /// The `SeqCst` fence between the write and the read of each side of the producer/sleeper
    /// pair (module docs): a producer's push and its look at this word, a sleeper's update of
    /// this word and its look at the queues.
    pub(crate) fn sleeper_fence() {
        fence(SeqCst);
    }

    /// A producer made work: picks a sleeper to wake, counting it as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap();
        // Check again under the lock: another producer may have woken someone meanwhile.
        if !self.should_wake() {
            return None;
        }
        let worker = sleepers.pop()?;
        // A count, under the sleeper list's lock (SeqCst: see the module docs).
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, SeqCst);
        Some(worker)
    }

    /// `worker` goes to sleep; the caller then re-checks the queues (rule 4).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) {
        let mut sleepers = self.sleepers.lock().unwrap();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        // The sleeper's write of the pair in the module docs; the caller's fence (rule 4's
        // re-check) orders it (SeqCst: see the module docs).
        self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
    }

    /// Rule 2: may this worker start searching?
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        // A heuristic cap; a race past it only lets one extra searcher in.
        let state = self.state.load(SeqCst);
        if 2 * num_searching(state) >= self.num_workers {
            return false;
        }
        // A count: rule 2 needs only the RMW's atomicity (SeqCst: see the module docs).
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. Returns `true` if it was the last one (rule 3).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        // Rule 3 needs only the RMW's atomicity: exactly one searcher sees 1 (SeqCst: see the
        // module docs).
        let prev = self.state.fetch_sub(1, SeqCst);
        assert!(num_searching(prev) > 0, "no searcher to remove");
        num_searching(prev) == 1
    }

    /// `worker` woke without being picked (I/O, a timer, a spurious wake-up, shutdown). If it is
    /// still on the sleeper list, takes it off and counts it unparked (not searching); returns
    /// whether it was there.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        let Some(position) = sleepers.iter().position(|&w| w == worker) else {
            return false;
        };
        sleepers.swap_remove(position);
        // A count, under the sleeper list's lock as above.
        self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
        true
    }

    /// Is `worker` on the sleeper list (not yet picked by a producer)?
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().unwrap().contains(&worker)
    }
}
