//! The `RawWaker` over a task header: one static vtable for every task.
//!
//! A waker's data pointer is the task's header. Cloning adds a reference; dropping removes
//! one; waking goes through the state word (state.rs) and, when it must, the vtable's
//! `schedule`. The waker handed to `poll` is borrowed: it holds no reference of its own.

use super::core::Header;
use super::raw::RawTask;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// A `Waker` that borrows a task for the length of one poll.
pub(super) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _task: PhantomData<&'a Header>,
}

/// Builds the poll's waker without touching the reference count.
pub(super) fn waker_ref(header: &Header) -> WakerRef<'_> {
    let raw = RawWaker::new(header as *const Header as *const (), &WAKER_VTABLE);
    WakerRef {
        // SAFETY: the vtable's contract holds (see the functions below); the ManuallyDrop keeps
        // this borrowed waker from dropping a reference it never took.
        waker: ManuallyDrop::new(unsafe { Waker::from_raw(raw) }),
        _task: PhantomData,
    }
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_by_val, wake_by_ref, drop_waker);

/// # Safety
/// `ptr` is a task header kept alive by the waker that is being used.
unsafe fn task(ptr: *const ()) -> RawTask {
    // SAFETY: wakers are only made from live headers (non-null) by `waker_ref` and `clone`.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the task alive.
    unsafe { task(ptr) }.ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

unsafe fn wake_by_val(ptr: *const ()) {
    // SAFETY: this waker owns one reference, which `wake` consumes.
    unsafe { task(ptr) }.wake_by_val();
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker is alive for the call.
    unsafe { task(ptr) }.wake_by_ref();
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: this waker owns one reference, which it gives up.
    unsafe { task(ptr) }.drop_reference();
}
