//! `RawTask`: a type-erased pointer to a task cell, and the vtable that un-erases it.
//!
//! A `RawTask` is a plain copyable pointer; it owns nothing. The handles built on it
//! (`Task`, `Notified`, `JoinHandle`, `AbortHandle`, `Waker`) each own one reference and say
//! so.
//!
//! # Safety
//!
//! 1. **The type's invariant**: a `RawTask` is made only by [`RawTask::new`] (which returns the
//!    cell's first reference) or by the `unsafe` [`RawTask::from_raw`], and a `RawTask` is used
//!    only while its user holds one of the cell's counted references (or borrows it from a
//!    handle that does). That is what lets `header()` and the safe methods below dereference
//!    the pointer: the cell cannot be freed while a reference is held, because it is freed only
//!    by whoever drops the last one (`drop_reference`, the harness's `Dealloc` outcomes).
//! 2. **The vtable matches the cell**: it is installed once, by `new`, from the same `F` and
//!    `S` as the cell, and never changes, so each vtable function may cast the header back to
//!    `Cell<F, S>`.
//! 3. Methods documented as *consuming* a reference (`poll`, `schedule`, `drop_join_handle`,
//!    `wake_by_val`, `drop_reference`) are called by the handle that owns that reference, as
//!    its last use of it; `dealloc` is `unsafe` because it frees the cell outright.

use super::core::{Cell, Header, Vtable};
use super::harness::Harness;
use super::Schedule;
use crate::loom::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a RawTask is a pointer to a cell whose shared parts are atomics and whose exclusive
// parts are guarded by the state word; the future and output are `Send` (checked at spawn).
unsafe impl Send for RawTask {}
// SAFETY: `&RawTask` gives no more than a `RawTask` (it is `Copy`), whose every access to the
// cell goes through the atomic state word or the exclusive rights it hands out (rule 1).
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates the cell: the one allocation a spawn makes.
    pub(super) fn new<F, S>(future: F, scheduler: S) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        let cell = Cell::new(future, scheduler, vtable::<F, S>());
        let layout = Layout::new::<Cell<F, S>>();
        // SAFETY: the layout has non-zero size (the header alone is five words).
        let ptr = unsafe { alloc(layout) } as *mut Cell<F, S>;
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: `ptr` is a fresh allocation of the right layout.
        unsafe { ptr.write(cell) };
        RawTask {
            // SAFETY: checked non-null above; the header is the first field (core.rs).
            ptr: unsafe { NonNull::new_unchecked(ptr as *mut Header) },
        }
    }

    /// # Safety
    /// `ptr` is the header of a live task cell, and the caller holds one of its counted
    /// references for as long as it uses the `RawTask` (rule 1).
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: rule 1: the caller holds a reference, so the cell, header first, is live.
        unsafe { self.ptr.as_ref() }
    }

    /// Marks a task that is not shared yet as owned by the current-thread core's own list.
    pub(crate) fn set_local_list(self) {
        self.header().state.set_local_list();
    }

    /// Is the task owned by the current-thread core's own list (not by `OwnedTasks`)?
    pub(crate) fn is_local_list(self) -> bool {
        self.header().state.is_local_list()
    }

    fn vtable(&self) -> &'static Vtable {
        self.header().vtable
    }

    /// Polls the task, consuming one `Notified` reference (rule 3).
    pub(super) fn poll(self) {
        // SAFETY: rule 2, the vtable matches the cell; rule 1, the caller's reference keeps it
        // live until `poll` consumes it.
        unsafe { (self.vtable().poll)(self.ptr) }
    }

    /// Sends one reference, as a `Notified`, to the scheduler (rule 3).
    pub(super) fn schedule(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.vtable().schedule)(self.ptr) }
    }

    /// Frees the cell.
    ///
    /// # Safety
    /// The caller has just dropped the cell's last reference (the state word said so), so no
    /// handle, queue entry or waker can reach it any more.
    pub(super) unsafe fn dealloc(self) {
        // SAFETY: rule 2; the caller's contract makes us the cell's only user.
        unsafe { (self.vtable().dealloc)(self.ptr) }
    }

    /// # Safety
    /// `dst` points to a `Poll<super::Result<T>>` where `T` is the task's output type.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: the caller guarantees `dst`'s type; the vtable matches the cell.
        unsafe { (self.vtable().try_read_output)(self.ptr, dst, waker) }
    }

    /// The `JoinHandle` gives up its reference (rule 3).
    pub(super) fn drop_join_handle(self, output_taken: bool) {
        // SAFETY: as in `poll`; the JoinHandle's reference keeps the cell live until then.
        unsafe { (self.vtable().drop_join_handle)(self.ptr, output_taken) }
    }

    /// Cancels the task at runtime shutdown; the owned list's reference stays the caller's.
    pub(super) fn shutdown(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.vtable().shutdown)(self.ptr) }
    }

    pub(super) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Has the task completed (with an output, a panic or a cancellation)?
    pub(super) fn is_complete(self) -> bool {
        self.header().state.load().is_complete()
    }

    /// `JoinHandle::abort` and `AbortHandle::abort`: marks the task cancelled and, if it is
    /// idle, queues it (with a new reference) so a worker drops its future promptly.
    pub(super) fn remote_abort(self) {
        if self.header().state.transition_to_notified_and_cancel() {
            self.schedule();
        }
    }

    /// Drops one reference, freeing the cell if it was the last (rule 3).
    pub(super) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { self.dealloc() };
        }
    }
}

fn vtable<F, S>() -> &'static Vtable
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc_cell::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

// Each vtable function below shares one contract:
//
// # Safety
// `ptr` is the header of a live `Cell<F, S>` (rule 2: the vtable was built for it), and the
// caller holds the reference the function consumes or borrows (rule 3).

/// The vtable's `poll`.
///
/// # Safety
/// The contract above.
unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's contract: a live `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

/// The vtable's `schedule`.
///
/// # Safety
/// The contract above.
unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's contract: a live `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.schedule();
}

/// The vtable's `dealloc`.
///
/// # Safety
/// As above, and the last reference is gone: nothing else can reach the cell.
unsafe fn dealloc_cell<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    let cell = ptr.as_ptr() as *mut Cell<F, S>;
    // SAFETY: the last reference is gone, so nothing else touches the cell. The stage is
    // consumed (core.rs rule 4), so only the scheduler handle and the join-waker slot (a plain
    // `Option<Waker>`) need dropping; then the memory goes back with the layout it came with.
    unsafe {
        std::ptr::drop_in_place(&mut (*cell).scheduler);
        (*cell)
            .join_waker
            .with_mut(|slot| std::ptr::drop_in_place(slot));
        dealloc(cell as *mut u8, Layout::new::<Cell<F, S>>());
    }
}

/// The vtable's `try_read_output`.
///
/// # Safety
/// As above, and `dst` points to a `Poll<Result<F::Output, JoinError>>`.
unsafe fn try_read_output<F: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    let dst = dst as *mut std::task::Poll<super::Result<F::Output>>;
    // SAFETY: the vtable matches; the caller guarantees `dst`'s type.
    unsafe { Harness::<F, S>::from_raw(ptr).try_read_output(&mut *dst, waker) };
}

/// The vtable's `drop_join_handle`.
///
/// # Safety
/// The contract above (the JoinHandle's reference).
unsafe fn drop_join_handle<F: Future, S: Schedule>(ptr: NonNull<Header>, output_taken: bool) {
    // SAFETY: the caller's contract: a live `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle(output_taken);
}

/// The vtable's `shutdown`.
///
/// # Safety
/// The contract above (the owned list's reference).
unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's contract: a live `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}

// === waking, type-erased through the vtable ===

impl RawTask {
    /// `Waker::wake`: consumes one reference, after `schedule()` has returned (the waker's
    /// reference keeps the cell, and the scheduler handle in it, alive until then).
    pub(super) fn wake_by_val(self) {
        use super::state::TransitionToNotified::*;
        match self.header().state.transition_to_notified_by_val() {
            Submit => {
                self.schedule();
                self.drop_reference();
            }
            DoNothing => {}
            // SAFETY: the transition dropped the last reference.
            Dealloc => unsafe { self.dealloc() },
        }
    }

    /// `Waker::wake_by_ref`.
    pub(super) fn wake_by_ref(self) {
        use super::state::TransitionToNotified::*;
        match self.header().state.transition_to_notified_by_ref() {
            Submit => self.schedule(),
            DoNothing => {}
            Dealloc => unreachable!("wake_by_ref drops no reference"),
        }
    }
}
