//! The task's state word: flag bits and a reference count in one `AtomicUsize`.
//!
//! This file owns every transition of the word and every `Ordering` on it; it holds no `unsafe`.
//! Each transition is a single compare-and-swap loop in [`State::fetch_update_action`] whose
//! closure decides, from a snapshot, the next word and the action the caller must take. The
//! caller (the harness) acts on the returned enum; it never inspects bits itself.
//!
//! # The bits
//!
//! | bit            | set by                               | cleared by                         |
//! |----------------|--------------------------------------|------------------------------------|
//! | `RUNNING`      | the thread that polls or cancels     | the same thread, when it is done   |
//! | `COMPLETE`     | the runner, with the output stored   | never                              |
//! | `NOTIFIED`     | a wake that creates a queue entry    | the runner, as it starts to poll   |
//! | `JOIN_INTEREST`| spawn (a `JoinHandle` exists)        | the `JoinHandle`, when dropped     |
//! | `JOIN_WAKER`   | the `JoinHandle`, waker stored       | the `JoinHandle`, or completion    |
//! | `CANCELLED`    | `abort` and runtime shutdown         | never                              |
//! | `LOCAL_LIST`   | spawn, before the task is shared     | never                              |
//!
//! The count above the flags counts references: the owned-task list, the `JoinHandle`, each
//! run-queue entry (`Notified`), the running poll, each `Waker` clone and each `AbortHandle`.
//!
//! # Orderings
//!
//! Every transition is an `AcqRel` read-modify-write. Acquire, because the thread that starts
//! a poll must see everything the previous poll wrote into the future, and everything a waker
//! wrote before waking (channel values, readiness). Release, for the mirror image. Because every
//! write to the word is an RMW, each Release heads a release sequence that every later RMW
//! extends, so a later Acquire synchronizes with all earlier writers — even a "no-op" wake,
//! which is why [`State::transition_to_notified_by_ref`] writes the word even when nothing
//! changes. Increments of the count are `Relaxed` (a new reference is made from an existing one,
//! which already orders it); the last decrement is `AcqRel` so the freeing thread sees every
//! other owner's writes.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;

/// The task is being polled (or cancelled) by the thread that set it. Exclusive access to the
/// future. Never set together with `COMPLETE`.
const RUNNING: usize = 0b00_0001;
/// The future finished (or was cancelled) and the stage holds the output or is consumed.
/// Never cleared; never coexists with `RUNNING`.
const COMPLETE: usize = 0b00_0010;
/// One run-queue entry for this task exists (or the running poll must re-queue it). A task is
/// in at most one queue, so one intrusive `next` link suffices.
const NOTIFIED: usize = 0b00_0100;
/// A `JoinHandle` exists and wants the output.
const JOIN_INTEREST: usize = 0b00_1000;
/// The join-waker slot holds a waker that the `JoinHandle` handed over. While set, only the
/// completing thread may read the slot; while clear, only the `JoinHandle` may write it.
const JOIN_WAKER: usize = 0b01_0000;
/// The task must be cancelled: its future is dropped on its next run instead of polled.
const CANCELLED: usize = 0b10_0000;
/// The task is owned by the current-thread core's own list (it was spawned on the `block_on`
/// thread), not by the shared `OwnedTasks` (list.rs). Fixed before the task is shared.
const LOCAL_LIST: usize = 0b100_0000;

const STATE_MASK: usize =
    RUNNING | COMPLETE | NOTIFIED | JOIN_INTEREST | JOIN_WAKER | CANCELLED | LOCAL_LIST;
const REF_ONE: usize = 1 << STATE_MASK.count_ones();
const REF_MASK: usize = !STATE_MASK;

/// A fresh task: three references — the owned-task list, the `JoinHandle`, and the first
/// run-queue entry (spawn schedules it) — with `NOTIFIED` and `JOIN_INTEREST` set.
const INITIAL_STATE: usize = (REF_ONE * 3) | JOIN_INTEREST | NOTIFIED;

/// The atomic word.
pub(super) struct State {
    val: AtomicUsize,
}

/// A copy of the word, with helpers to read and edit it.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) struct Snapshot(usize);

/// What the thread that took a `Notified` must do.
#[must_use = "the caller owns the reference the transition describes"]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// Cancel: drop the future and complete with `JoinError::Cancelled`.
    Cancelled,
    /// The task is running or complete elsewhere; the entry's reference was dropped.
    Failed,
    /// As `Failed`, and it was the last reference: free the cell.
    Dealloc,
}

/// What the runner does after a poll returned `Pending`.
#[must_use = "the caller owns the running reference"]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToIdle {
    /// Idle; the running reference was dropped.
    Ok,
    /// Woken during the poll: the running reference becomes a queue entry; schedule it.
    OkNotified,
    /// Idle, and the running reference was the last one: free the cell.
    OkDealloc,
    /// Aborted during the poll: cancel now (the task stays `RUNNING`).
    Cancelled,
}

/// What a waker does.
#[must_use = "a Submit carries a reference that must reach a run queue"]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToNotified {
    /// Nothing: already queued, running (it will re-queue itself) or complete.
    DoNothing,
    /// Push a `Notified` holding one reference onto a run queue.
    Submit,
    /// Nothing to schedule, and the reference the waker held was the last: free the cell.
    Dealloc,
}

/// What a dropped `JoinHandle` must clean up.
#[must_use]
pub(super) struct TransitionToJoinHandleDropped {
    /// The task completed: the output is the `JoinHandle`'s to drop.
    pub(super) drop_output: bool,
    /// The join-waker slot is the `JoinHandle`'s: drop what it holds.
    pub(super) drop_waker: bool,
}

// === impl State ===

impl State {
    pub(super) fn new() -> State {
        State {
            val: AtomicUsize::new(INITIAL_STATE),
        }
    }

    /// Marks the task as owned by the current-thread core's list. Only before the task is
    /// shared: a plain load and store, no read-modify-write (that is what the core's list
    /// saves).
    pub(super) fn set_local_list(&self) {
        // Relaxed: no other thread can see the task yet; whoever receives it later receives it
        // through a queue or a handle, which orders this store before their reads.
        self.val.store(self.val.load(Relaxed) | LOCAL_LIST, Relaxed);
    }

    /// Is the task owned by the current-thread core's list? Fixed at spawn, so any ordering
    /// reads it right.
    pub(super) fn is_local_list(&self) -> bool {
        // Relaxed: the bit was written before the task was shared and never changes.
        self.val.load(Relaxed) & LOCAL_LIST != 0
    }

    pub(super) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel of every transition, so a caller that sees COMPLETE
        // also sees the stored output.
        Snapshot(self.val.load(Acquire))
    }

    /// The one CAS loop: `f` returns the action and the next word, or `None` to leave the word
    /// as it is (which still returns the action). See the module docs for why `AcqRel`.
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (action, next) = f(curr);
            let Some(next) = next else { return action };
            match self
                .val
                .compare_exchange_weak(curr.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return action,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// Like `fetch_update_action`, but always writes, so that even a no-op is a release that a
    /// later acquire synchronizes with.
    fn fetch_update_always<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Snapshot)) -> T {
        self.fetch_update_action(|curr| {
            let (action, next) = f(curr);
            (action, Some(next))
        })
    }

    /// A worker took a `Notified` off a queue. The entry's reference becomes the running one.
    pub(super) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            assert!(
                next.is_notified(),
                "a queued task must be NOTIFIED: {next:?}"
            );
            if next.is_running() || next.is_complete() {
                // Shutdown cancelled it while it sat in the queue.
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            next.set_running();
            next.unset_notified();
            let action = if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// The poll returned `Pending`.
    pub(super) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update_action(|curr| {
            assert!(
                curr.is_running(),
                "transition_to_idle: not running: {curr:?}"
            );
            if curr.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            let mut next = curr;
            next.unset_running();
            if next.is_notified() {
                // The running reference becomes the queue entry's: no count change.
                return (TransitionToIdle::OkNotified, Some(next));
            }
            next.ref_dec();
            let action = if next.ref_count() == 0 {
                TransitionToIdle::OkDealloc
            } else {
                TransitionToIdle::Ok
            };
            (action, Some(next))
        })
    }

    /// The output is stored: `RUNNING` → `COMPLETE`. Returns the word after the transition.
    pub(super) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: Release publishes the output to the JoinHandle's Acquire in `load`; Acquire
        // lets us see a JOIN_WAKER the JoinHandle set (pairs with `set_join_waker`).
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        assert!(prev.is_running() && !prev.is_complete(), "{prev:?}");
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// A `Waker` is woken by value: its reference is consumed.
    pub(super) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update_always(|mut next| {
            let action = if next.is_running() {
                // The runner re-queues it (see transition_to_idle); our reference goes.
                next.set_notified();
                next.ref_dec();
                assert!(next.ref_count() > 0, "the runner holds a reference");
                TransitionToNotified::DoNothing
            } else if next.is_complete() || next.is_notified() {
                next.ref_dec();
                if next.ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                }
            } else {
                // Idle: the queue entry gets a new reference, and ours stays until the caller
                // has finished `schedule()`: once the entry is queued, another thread may run
                // the task to completion, and without our reference the cell (with the
                // scheduler handle `schedule()` is still using) could be freed under us.
                next.set_notified();
                next.ref_inc();
                TransitionToNotified::Submit
            };
            (action, next)
        })
    }

    /// A `Waker` is woken by reference: a queue entry needs a new reference.
    pub(super) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update_always(|mut next| {
            let action = if next.is_complete() || next.is_notified() {
                TransitionToNotified::DoNothing
            } else if next.is_running() {
                next.set_notified();
                TransitionToNotified::DoNothing
            } else {
                next.set_notified();
                next.ref_inc();
                TransitionToNotified::Submit
            };
            (action, next)
        })
    }

    /// `JoinHandle::abort` and `AbortHandle::abort`. Returns `true` when the caller must
    /// schedule a new `Notified` (one reference was added) so a worker drops the future promptly.
    pub(super) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update_action(|mut next| {
            if next.is_cancelled() || next.is_complete() {
                (false, None)
            } else if next.is_running() || next.is_notified() {
                // The runner, or whoever dequeues it, sees CANCELLED.
                next.set_cancelled();
                next.set_notified();
                (false, Some(next))
            } else {
                next.set_cancelled();
                next.set_notified();
                next.ref_inc();
                (true, Some(next))
            }
        })
    }

    /// Runtime shutdown. Returns `true` when the caller now holds `RUNNING` and must cancel
    /// the task itself; otherwise the runner (if any) cancels it when its poll ends.
    pub(super) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update_action(|mut next| {
            if next.is_complete() {
                return (false, None);
            }
            let idle = !next.is_running();
            if idle {
                next.set_running();
            }
            next.set_cancelled();
            (idle, Some(next))
        })
    }

    /// The `JoinHandle` is dropped.
    pub(super) fn transition_to_join_handle_dropped(&self) -> TransitionToJoinHandleDropped {
        self.fetch_update_action(|mut next| {
            assert!(next.is_join_interested(), "{next:?}");
            next.unset_join_interest();
            if !next.is_complete() {
                // The slot becomes ours again: the completer must not read it.
                next.unset_join_waker();
            }
            let transition = TransitionToJoinHandleDropped {
                drop_output: next.is_complete(),
                drop_waker: !next.is_join_waker_set(),
            };
            (transition, Some(next))
        })
    }

    /// The `JoinHandle` stored a waker in the slot and hands it over. `Err` means the task
    /// completed first: the slot is still the `JoinHandle`'s and the output is ready.
    pub(super) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|curr| {
            assert!(curr.is_join_interested() && !curr.is_join_waker_set());
            if curr.is_complete() {
                return (Err(curr), None);
            }
            let mut next = curr;
            next.set_join_waker();
            (Ok(next), Some(next))
        })
    }

    /// The `JoinHandle` takes the slot back to replace the waker. `Err`: the task completed.
    pub(super) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|curr| {
            assert!(curr.is_join_interested());
            if curr.is_complete() {
                return (Err(curr), None);
            }
            // Only now may JOIN_WAKER be asserted: once COMPLETE is set the completer clears it
            // (`unset_join_waker_after_complete`), possibly between our caller's load and this
            // CAS; loom-tests/tests/task.rs `join_waker_vs_completion` covers that race, and
            // this assertion is its guard.
            assert!(curr.is_join_waker_set());
            let mut next = curr;
            next.unset_join_waker();
            (Ok(next), Some(next))
        })
    }

    /// After completion the completer woke the join waker and gives the slot back. Returns the
    /// word after: if `JOIN_INTEREST` is gone, the completer drops the waker itself.
    pub(super) fn unset_join_waker_after_complete(&self) -> Snapshot {
        // AcqRel: pairs with the JoinHandle's unset of JOIN_INTEREST, deciding who drops it.
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel));
        assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    pub(super) fn ref_inc(&self) {
        // Relaxed: a new reference is made from an existing one, which keeps the cell alive
        // and is passed to the new owner by whatever synchronization hands it over.
        let prev = self.val.fetch_add(REF_ONE, Relaxed);
        // Overflow would free a live task: abort like `Arc` does.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` if it was the last (the caller frees the cell).
    pub(super) fn ref_dec(&self) -> bool {
        self.ref_dec_many(1)
    }

    /// Drops `n` references at once; `true` if they were the last.
    pub(super) fn ref_dec_many(&self, n: usize) -> bool {
        // Release: hands our writes to whoever drops the last reference (pairs with the Acquire
        // load below, on that thread). Only the last decrement needs Acquire, so it pays for
        // it alone, as `Arc`'s drop does.
        let prev = Snapshot(self.val.fetch_sub(n * REF_ONE, Release));
        assert!(
            prev.ref_count() >= n,
            "task reference count underflow: {prev:?}"
        );
        let last = prev.ref_count() == n;
        if last {
            // Acquire: pairs with every other owner's Release decrement (they are all in this
            // word's release sequence), so their writes to the cell happen before the caller
            // frees it. A load rather than `fence(Acquire)`: the same edge, and one that
            // ThreadSanitizer, which does not model fences, can see (std's `Arc` does the same
            // under TSan).
            self.val.load(Acquire);
        }
        last
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

// === impl Snapshot ===

impl Snapshot {
    pub(super) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    fn set_running(&mut self) {
        self.0 |= RUNNING;
    }
    fn unset_running(&mut self) {
        self.0 &= !RUNNING;
    }
    pub(super) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(super) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    fn set_notified(&mut self) {
        self.0 |= NOTIFIED;
    }
    fn unset_notified(&mut self) {
        self.0 &= !NOTIFIED;
    }
    pub(super) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    fn set_cancelled(&mut self) {
        self.0 |= CANCELLED;
    }
    pub(super) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    fn unset_join_interest(&mut self) {
        self.0 &= !JOIN_INTEREST;
    }
    pub(super) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    fn set_join_waker(&mut self) {
        self.0 |= JOIN_WAKER;
    }
    fn unset_join_waker(&mut self) {
        self.0 &= !JOIN_WAKER;
    }
    pub(super) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) / REF_ONE
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("local_list", &(self.0 & LOCAL_LIST != 0))
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn masks_do_not_overlap() {
        let flags = [
            RUNNING,
            COMPLETE,
            NOTIFIED,
            JOIN_INTEREST,
            JOIN_WAKER,
            CANCELLED,
            LOCAL_LIST,
        ];
        let mut seen = 0;
        for flag in flags {
            assert_eq!(flag.count_ones(), 1);
            assert_eq!(seen & flag, 0);
            seen |= flag;
        }
        assert_eq!(seen, STATE_MASK);
        assert_eq!(REF_MASK & STATE_MASK, 0);
        assert_eq!(REF_ONE & STATE_MASK, 0);
    }

    #[test]
    fn initial_state_counts_three_references() {
        let s = State::new().load();
        assert_eq!(s.ref_count(), 3);
        assert!(s.is_notified() && s.is_join_interested());
        assert!(!s.is_running() && !s.is_complete() && !s.is_cancelled());
    }

    #[test]
    fn wake_during_poll_requeues() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::OkNotified);
        assert!(s.load().is_notified());
        assert_eq!(s.load().ref_count(), 3);
    }

    #[test]
    fn wake_by_val_on_idle_keeps_its_reference_until_scheduled() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        s.ref_inc(); // a waker clone
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(s.load().ref_count(), 3);
        assert_eq!(
            s.transition_to_notified_by_val(),
            TransitionToNotified::Submit
        );
        // The queue entry's new reference, and the waker's, which `wake_by_val` drops after
        // `schedule()` returns.
        assert_eq!(s.load().ref_count(), 4);
    }

    #[test]
    fn abort_of_idle_task_schedules_it() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert!(s.transition_to_notified_and_cancel());
        assert_eq!(s.transition_to_running(), TransitionToRunning::Cancelled);
        assert!(
            !s.transition_to_notified_and_cancel(),
            "second abort is a no-op"
        );
    }

    #[test]
    fn join_handle_drop_after_complete_owns_output() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let done = s.transition_to_complete();
        assert!(done.is_complete() && !done.is_running());
        let t = s.transition_to_join_handle_dropped();
        assert!(t.drop_output && t.drop_waker);
    }
}
