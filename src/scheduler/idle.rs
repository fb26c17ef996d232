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
//! 4. **A worker going to sleep re-checks for work after announcing it** (the caller does this
//!    when [`Idle::transition_worker_to_parked`] returns `true`: it was the last searcher).
//!
//! Rules 1 and 4 close the lost-wakeup race: a producer pushes its task (a `SeqCst` increment
//! of the queue's length) and then reads this word (`SeqCst`); a sleeper updates this word
//! (`SeqCst`) and then reads the queue lengths (`SeqCst`). In the single total order of those
//! four operations one side must see the other: either the producer sees no searcher and a
//! sleeper to wake, or the sleeper sees the task.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
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

    /// Rule 1: should a producer wake someone? `SeqCst`: see the module docs.
    fn should_wake(&self) -> bool {
        // The load half of the producer's Dekker pair (its push, then this): see
        // `crate::loom::dekker_fence` for why loom needs the fence.
        crate::loom::dekker_fence();
        let state = self.state.load(SeqCst);
        num_searching(state) == 0 && num_unparked(state) < self.num_workers
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
        // SeqCst: see the module docs.
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, SeqCst);
        Some(worker)
    }

    /// `worker` goes to sleep. Returns `true` if it was the last searcher (rule 4).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        // SeqCst: see the module docs.
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && num_searching(prev) == 1
    }

    /// Rule 2: may this worker start searching?
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * num_searching(state) >= self.num_workers {
            return false;
        }
        // SeqCst: see the module docs. A race past the limit only lets one extra searcher in.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. Returns `true` if it was the last one (rule 3).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        // SeqCst: see the module docs.
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
        // SeqCst: see the module docs.
        self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
        true
    }

    /// Is `worker` on the sleeper list (not yet picked by a producer)?
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().unwrap().contains(&worker)
    }
}
