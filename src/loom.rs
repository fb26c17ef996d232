//! The concurrency facade: every atomic, cell, thread and park primitive that the scheduler, the
//! task, the reactor and the timers use comes from here.
//!
//! In a normal build these are `std`'s types. Under `RUSTFLAGS="--cfg loom"` they are loom's, so
//! the models in `loom-tests/` explore every interleaving of the real code, not of a copy.
//!
//! The std side mirrors loom's API where the two differ: `UnsafeCell` is accessed only through
//! `with` / `with_mut`, which take a closure over a raw pointer, so loom can track each access.
//!
//! Nothing here behaves differently under loom beyond the swap of types. In particular there is
//! no loom-only fence: loom models `SeqCst` *accesses* as `AcqRel` and only `SeqCst` *fences*
//! as a total order, so a store-then-load ("Dekker") pair gets a real `fence(SeqCst)` on each
//! side, in the shipped code (idle.rs, injector.rs "Closing"), and the model checks that.

#[cfg(not(loom))]
#[allow(unused_imports)] // The facade mirrors loom's API; not every item is used yet.
mod imp {
    pub(crate) mod sync {
        pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
            };
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{current, park, spawn, yield_now, JoinHandle, Thread};
    }

    pub(crate) mod alloc {
        pub(crate) use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
    }

    pub(crate) mod hint {
        pub(crate) use std::hint::spin_loop;
    }

    /// `std::cell::UnsafeCell` with loom's closure-based access API.
    #[derive(Debug)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Is this build a loom model? Capacities and spin counts shrink when it is.
    pub(crate) const IS_LOOM: bool = false;
}

#[cfg(loom)]
#[allow(unused_imports)]
mod imp {
    pub(crate) mod sync {
        pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
            };
        }
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, park, spawn, yield_now, JoinHandle, Thread};
    }

    pub(crate) mod alloc {
        pub(crate) use loom::alloc::{alloc, dealloc, Layout};
        pub(crate) use std::alloc::handle_alloc_error;
    }

    pub(crate) mod hint {
        pub(crate) use loom::hint::spin_loop;
    }

    pub(crate) use loom::cell::UnsafeCell;

    /// Is this build a loom model? Capacities and spin counts shrink when it is.
    pub(crate) const IS_LOOM: bool = true;
}

pub(crate) use imp::*;

/// `thread_local!` for one `static NAME: T = INIT;` whose `INIT` is a constant expression.
///
/// A normal build gets std's `const`-initialised thread-local (no lazy-init check on access).
/// Under loom it is loom's: loom runs every model thread on one OS thread, so a std
/// thread-local would be one value shared by all of them.
#[cfg(not(loom))]
macro_rules! thread_local_const {
    ($vis:vis static $name:ident: $t:ty = $init:expr;) => {
        std::thread_local! { $vis static $name: $t = const { $init }; }
    };
}

#[cfg(loom)]
macro_rules! thread_local_const {
    ($vis:vis static $name:ident: $t:ty = $init:expr;) => {
        loom::thread_local! { $vis static $name: $t = $init; }
    };
}

pub(crate) use thread_local_const;
