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
    // SAFETY: wakers are only made from live headers (non-null) by `waker_ref` and `clone`,
    // and the waker in use holds a reference (raw.rs rule 1).
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

// The four `RawWakerVTable` functions share the contract std gives them:
//
// # Safety
// `ptr` is the data pointer of a waker made by this module, which owns one counted reference
// to the task (`waker_ref`'s borrowed waker borrows the caller's): the task is live for the
// call.

/// `RawWakerVTable::clone`: one more reference for the new waker.
///
/// # Safety
/// The contract above.
unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the task alive while we count the new reference.
    unsafe { task(ptr) }.ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

/// `RawWakerVTable::wake`: the waker's reference goes with the wake.
///
/// # Safety
/// The contract above.
unsafe fn wake_by_val(ptr: *const ()) {
    // SAFETY: this waker owns one reference, which `wake_by_val` consumes (raw.rs rule 3).
    unsafe { task(ptr) }.wake_by_val();
}

/// `RawWakerVTable::wake_by_ref`.
///
/// # Safety
/// The contract above.
unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker, alive for the call, holds the reference the wake borrows.
    unsafe { task(ptr) }.wake_by_ref();
}

/// `RawWakerVTable::drop`.
///
/// # Safety
/// The contract above.
unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: this waker owns one reference, which it gives up (raw.rs rule 3).
    unsafe { task(ptr) }.drop_reference();
}
