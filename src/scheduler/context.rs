//! Which scheduler thread this is, if any: one thread-local for both schedulers.
//!
//! A worker of the multi-thread scheduler points it at its `Worker` while it runs; a thread
//! inside a current-thread `block_on` at its `Running`. A wake or a spawn asks it whether it
//! happens on a thread of its own scheduler (then it takes the thread's lock-free local path)
//! or elsewhere (then it goes through the injector). Each scheduler still checks that the
//! thread runs *its* runtime, not another one's.
//!
//! The thread-local goes through the loom facade, so a loom model, whose threads all share one
//! OS thread, sees one per model thread: the worker-local paths (LIFO slot, yield list) are
//! modelled as they run.
//!
//! # Safety
//!
//! 1. The pointer is set only by [`enter`], from a reference that outlives the returned
//!    [`Entered`] guard (its lifetime says so), and the guard restores the previous value when
//!    it drops: the pointer is valid whenever it is set.
//! 2. The guard is neither `Send` nor `Sync`, so it is dropped on the thread that set it.

use std::cell::Cell;
use std::marker::PhantomData;

/// The per-thread state of a scheduler that [`enter`] can point at.
pub(super) trait SchedulerThread: Sized {
    /// Tells the two kinds apart in the one thread-local.
    const FLAVOR: Flavor;
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Flavor {
    CurrentThread,
    MultiThread,
}

crate::loom::thread_local_const! {
    static CURRENT: Cell<Option<(Flavor, *const ())>> = Cell::new(None);
}

/// While it lives, [`with`] finds the scheduler thread it was made from.
#[must_use = "the thread counts as a scheduler thread only while the guard lives"]
pub(super) struct Entered<'a> {
    previous: Option<(Flavor, *const ())>,
    _borrow: PhantomData<&'a ()>,
    /// Rule 2: dropped on the thread that set it.
    _not_send: PhantomData<*const ()>,
}

/// Makes `thread` this thread's scheduler until the guard drops.
pub(super) fn enter<T: SchedulerThread>(thread: &T) -> Entered<'_> {
    let this = Some((T::FLAVOR, thread as *const T as *const ()));
    Entered {
        previous: CURRENT.with(|current| current.replace(this)),
        _borrow: PhantomData,
        _not_send: PhantomData,
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        // The thread may be exiting (thread-locals destroyed): nothing to restore then.
        let _ = CURRENT.try_with(|current| current.set(self.previous));
    }
}

/// Runs `f` with this thread's scheduler state of kind `T`, if it has one (`None` on any other
/// thread, and while the thread's thread-locals are being destroyed).
pub(super) fn with<T: SchedulerThread, R>(f: impl FnOnce(Option<&T>) -> R) -> R {
    let current = CURRENT.try_with(Cell::get).ok().flatten();
    let thread = match current {
        Some((flavor, ptr)) if flavor == T::FLAVOR => {
            // SAFETY: rule 1: set from a `&T` (the flavor says which `T`) that outlives the
            // guard still in place on this thread.
            Some(unsafe { &*(ptr as *const T) })
        }
        _ => None,
    };
    f(thread)
}
