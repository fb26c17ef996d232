//! The harness acts on the transitions of `state.rs`: it polls, cancels, completes and frees.
//!
//! All the `unsafe` of the task lives here and in `raw.rs`; the orderings live in `state.rs`.
//! Every access to the stage or the join-waker slot cites the rule of `core.rs` or `mod.rs`
//! that makes it exclusive.

use super::core::{cancelled_or_panicked, Cell, Header};
use super::raw::RawTask;
use super::state::{TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{Notified, Schedule};
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

pub(super) struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
    _types: PhantomData<(F, S)>,
}

/// What `poll` does once the state word has spoken.
enum PollFuture {
    /// Nothing more: idle, or someone else runs it.
    Done,
    /// The running reference is now a run-queue entry: hand it back to the scheduler.
    Notified,
    /// The output (or a `JoinError`) is stored: complete the task.
    Complete,
    /// The last reference is gone.
    Dealloc,
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// # Safety
    /// `ptr` is the header of a live `Cell<F, S>`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness {
            cell: ptr.cast(),
            _types: PhantomData,
        }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract; the caller holds a reference, so the cell is alive.
        unsafe { self.cell.as_ref() }
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the cell is alive (as above).
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    fn state(&self) -> &super::state::State {
        &self.cell().header.state
    }

    // === polling ===

    /// Runs the task once. Consumes the caller's `Notified` reference.
    pub(super) fn poll(self) {
        match self.poll_inner() {
            PollFuture::Done => {}
            PollFuture::Notified => {
                // Woken during the poll. `yield_now` queues it behind other work, so a task
                // that wakes itself in a loop cannot starve the others.
                let task = Notified::from_raw(self.raw());
                self.cell().scheduler.yield_now(task);
            }
            PollFuture::Complete => self.complete(),
            // SAFETY: the transition dropped the last reference.
            PollFuture::Dealloc => unsafe { self.raw().dealloc() },
        }
    }

    fn poll_inner(&self) -> PollFuture {
        match self.state().transition_to_running() {
            TransitionToRunning::Success => {}
            TransitionToRunning::Cancelled => {
                self.cancel_task();
                return PollFuture::Complete;
            }
            TransitionToRunning::Failed => return PollFuture::Done,
            TransitionToRunning::Dealloc => return PollFuture::Dealloc,
        }
        // The waker borrows the task: no reference changes unless the future clones it.
        let waker = waker_ref(&self.cell().header);
        let mut cx = Context::from_waker(&waker);
        if self.poll_future(&mut cx).is_ready() {
            return PollFuture::Complete;
        }
        match self.state().transition_to_idle() {
            TransitionToIdle::Ok => PollFuture::Done,
            TransitionToIdle::OkNotified => PollFuture::Notified,
            TransitionToIdle::OkDealloc => PollFuture::Dealloc,
            TransitionToIdle::Cancelled => {
                self.cancel_task();
                PollFuture::Complete
            }
        }
    }

    /// Polls the future, catching a panic. On `Ready` (or a panic) the future is dropped and
    /// the output stored (core.rs rule 2).
    fn poll_future(&self, cx: &mut Context<'_>) -> Poll<()> {
        let polled = self.cell().stage.with_mut(|stage| {
            catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: we hold RUNNING and the stage holds the future (core.rs rule 1). The
                // future never moves: the cell is pinned on the heap until freed.
                let future = unsafe { std::pin::Pin::new_unchecked(&mut *(*stage).future) };
                super::coop::with_budget(|| future.poll(cx))
            }))
        });
        let output = match polled {
            Ok((Poll::Pending, refused)) => {
                if refused {
                    self.cell().scheduler.budget_forced_yield();
                }
                return Poll::Pending;
            }
            Ok((Poll::Ready(output), _)) => match self.drop_future() {
                None => Ok(output),
                Some(panic) => Err(cancelled_or_panicked(Some(panic))),
            },
            Err(panic) => {
                // A panic in the drop that follows a panic in poll: keep the first.
                let _ = self.drop_future();
                Err(cancelled_or_panicked(Some(panic)))
            }
        };
        // SAFETY: we hold RUNNING and just dropped the future (core.rs rule 2).
        self.cell()
            .stage
            .with_mut(|stage| unsafe { (*stage).store_output(output) });
        Poll::Ready(())
    }

    /// Drops the future, returning the panic if its destructor panicked.
    fn drop_future(&self) -> Option<Box<dyn std::any::Any + Send>> {
        self.cell().stage.with_mut(|stage| {
            // SAFETY: we hold RUNNING and the stage holds the future (core.rs rule 1).
            catch_unwind(AssertUnwindSafe(|| unsafe { (*stage).drop_future() })).err()
        })
    }

    /// Drops the future and stores `JoinError::Cancelled` (or the drop's panic). The caller
    /// holds RUNNING and completes the task next.
    fn cancel_task(&self) {
        let error = cancelled_or_panicked(self.drop_future());
        // SAFETY: we hold RUNNING and just dropped the future (core.rs rule 2).
        self.cell()
            .stage
            .with_mut(|stage| unsafe { (*stage).store_output(Err(error)) });
    }

    /// RUNNING → COMPLETE, then hand the output to the JoinHandle (or drop it), leave the
    /// owned-task list, and drop the running reference (and the list's).
    fn complete(&self) {
        let snapshot = self.state().transition_to_complete();
        // User code runs below (a destructor, a waker): a panic there must not unwind through
        // the reference accounting that follows.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // core.rs rule 3: no JoinHandle, so the output is ours to drop.
                self.drop_output();
            } else if snapshot.is_join_waker_set() {
                // mod.rs rule 2: JOIN_WAKER and COMPLETE are set, so the slot is ours to read.
                self.cell().join_waker.with(|slot| {
                    // SAFETY: mod.rs rule 2: while JOIN_WAKER is set the JoinHandle does not
                    // write the slot, and COMPLETE makes it ours to read.
                    if let Some(waker) = unsafe { &*slot } {
                        waker.wake_by_ref();
                    }
                });
                let after = self.state().unset_join_waker_after_complete();
                if !after.is_join_interested() {
                    // The JoinHandle was dropped meanwhile and left the waker to us.
                    self.clear_join_waker();
                }
            }
        }));
        let released = self.cell().scheduler.release(self.raw());
        let refs = 1 + usize::from(released);
        if self.state().ref_dec_many(refs) {
            // SAFETY: those were the last references.
            unsafe { self.raw().dealloc() };
        }
    }

    fn drop_output(&self) {
        self.cell().stage.with_mut(|stage| {
            // SAFETY: the caller was picked by the state word to consume it (core.rs rule 3).
            drop(unsafe { (*stage).take_output() });
        });
    }

    fn clear_join_waker(&self) {
        // SAFETY: the caller owns the slot (JOIN_WAKER clear after COMPLETE, or before it
        // with JOIN_INTEREST held — mod.rs rule 2).
        self.cell()
            .join_waker
            .with_mut(|slot| unsafe { *slot = None });
    }

    // === waking ===

    /// Sends the caller's reference, as a `Notified`, to the scheduler.
    pub(super) fn schedule(&self) {
        self.cell()
            .scheduler
            .schedule(Notified::from_raw(self.raw()));
    }

    // === the JoinHandle's side ===

    /// If the output is ready, moves it to `dst`; otherwise stores `waker` for completion.
    pub(super) fn try_read_output(&self, dst: &mut Poll<super::Result<F::Output>>, waker: &Waker) {
        if self.can_read_output(waker) {
            self.cell().stage.with_mut(|stage| {
                // SAFETY: COMPLETE is set and JOIN_INTEREST is held: the JoinHandle is the
                // one consumer (core.rs rule 3), and it reads only once (it then detaches).
                *dst = Poll::Ready(unsafe { (*stage).take_output() });
            });
        }
    }

    /// The join-waker handshake (mod.rs rule 2). `true` when the output is ready.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let snapshot = self.state().load();
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.is_join_waker_set() {
            // A waker is installed. Keep it if it would wake the same task.
            let same = self.cell().join_waker.with(|slot| {
                // SAFETY: reading is fine while JOIN_WAKER is set: the completer only reads too
                // (mod.rs rule 2).
                let installed = unsafe { &*slot };
                installed.as_ref().is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            // Take the slot back to replace it.
            if self.state().unset_join_waker().is_err() {
                return true;
            }
        }
        // SAFETY: JOIN_WAKER is clear and we hold JOIN_INTEREST: the slot is ours (rule 2).
        self.cell()
            .join_waker
            .with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
        match self.state().set_join_waker() {
            Ok(_) => false,
            Err(_) => {
                // Completed while we stored it: the slot is still ours; clean it up.
                self.clear_join_waker();
                true
            }
        }
    }

    /// The JoinHandle is dropped: release interest, clean up what the state word gives us.
    pub(super) fn drop_join_handle(self, output_taken: bool) {
        let transition = self.state().transition_to_join_handle_dropped();
        if transition.drop_output && !output_taken {
            // A panicking destructor of the output must not escape into the caller's drop.
            let _ = catch_unwind(AssertUnwindSafe(|| self.drop_output()));
        }
        if transition.drop_waker {
            self.clear_join_waker();
        }
        self.raw().drop_reference();
    }

    // === shutdown ===

    /// Runtime shutdown: cancel the task unless it is running elsewhere (that runner sees
    /// CANCELLED when its poll ends). Consumes the caller's reference (the owned list's).
    pub(super) fn shutdown(self) {
        if self.state().transition_to_shutdown() {
            // We hold RUNNING now; the list's reference plays the running reference.
            self.cancel_task();
            self.complete();
        } else {
            self.raw().drop_reference();
        }
    }
}
