//! `RawTask`: a type-erased pointer to a task cell, and the vtable that un-erases it.
//!
//! A `RawTask` is a plain copyable pointer; it owns nothing. The handles built on it
//! (`Task`, `Notified`, `JoinHandle`, `AbortHandle`, `Waker`) each own one reference and say
//! so.

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
// SAFETY: as above: every access through `&RawTask` goes through the state protocol.
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
    /// `ptr` points to a live task header.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only made from a live cell, and whoever uses it holds a reference.
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

    /// Polls the task, consuming one `Notified` reference.
    pub(super) fn poll(self) {
        // SAFETY: the vtable was made for this cell's types.
        unsafe { (self.vtable().poll)(self.ptr) }
    }

    /// Sends one reference, as a `Notified`, to the scheduler.
    pub(super) fn schedule(self) {
        // SAFETY: as above.
        unsafe { (self.vtable().schedule)(self.ptr) }
    }

    pub(super) fn dealloc(self) {
        // SAFETY: as above; callers call this only after dropping the last reference.
        unsafe { (self.vtable().dealloc)(self.ptr) }
    }

    /// # Safety
    /// `dst` points to a `Poll<super::Result<T>>` where `T` is the task's output type.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: the caller guarantees `dst`'s type; the vtable matches the cell.
        unsafe { (self.vtable().try_read_output)(self.ptr, dst, waker) }
    }

    pub(super) fn drop_join_handle(self, output_taken: bool) {
        // SAFETY: as above; the JoinHandle gives up its reference.
        unsafe { (self.vtable().drop_join_handle)(self.ptr, output_taken) }
    }

    pub(super) fn shutdown(self) {
        // SAFETY: as above.
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

    /// Drops one reference, freeing the cell if it was the last.
    pub(super) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
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

unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable is only installed in a `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as above.
    unsafe { Harness::<F, S>::from_raw(ptr) }.schedule();
}

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

unsafe fn try_read_output<F: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    let dst = dst as *mut std::task::Poll<super::Result<F::Output>>;
    // SAFETY: the vtable matches; the caller guarantees `dst`'s type.
    unsafe { Harness::<F, S>::from_raw(ptr).try_read_output(&mut *dst, waker) };
}

unsafe fn drop_join_handle<F: Future, S: Schedule>(ptr: NonNull<Header>, output_taken: bool) {
    // SAFETY: the vtable matches.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle(output_taken);
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}

// === waking, type-erased through the vtable ===

impl RawTask {
    /// `Waker::wake`: consumes one reference.
    pub(super) fn wake_by_val(self) {
        use super::state::TransitionToNotified::*;
        match self.header().state.transition_to_notified_by_val() {
            Submit => self.schedule(),
            DoNothing => {}
            Dealloc => self.dealloc(),
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
