//! The thread-local runtime context: which runtime `spawn` and `Handle::current` refer to, and
//! whether this thread is already driving a runtime (then `block_on` must refuse).

use super::{Handle, TryCurrentError};
use std::cell::{Cell, RefCell};

struct Context {
    /// The runtime `Handle::current()` returns.
    handle: RefCell<Option<Handle>>,
    /// This thread is a worker or inside `block_on`: blocking on another future here would
    /// stall the tasks it is meant to run.
    in_runtime: Cell<bool>,
}

std::thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_runtime: Cell::new(false),
        }
    };
}

/// Runs `f` with the current runtime's handle.
pub(crate) fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> Result<R, TryCurrentError> {
    let f = |context: &Context| match &*context.handle.borrow() {
        Some(handle) => Ok(f(handle)),
        None => Err(TryCurrentError::no_context()),
    };
    CONTEXT
        .try_with(f)
        .unwrap_or(Err(TryCurrentError::thread_local_destroyed()))
}

/// Makes `handle` current until the guard drops (then the previous one is restored).
#[must_use = "the handle is current only while the guard lives"]
pub(crate) struct SetCurrentGuard {
    previous: Option<Handle>,
}

/// A thread whose thread-locals are being destroyed (a runtime dropped from a thread-local's
/// destructor) has no context to set: the guard then does nothing.
pub(crate) fn set_current(handle: &Handle) -> SetCurrentGuard {
    let previous = CONTEXT
        .try_with(|c| c.handle.replace(Some(handle.clone())))
        .ok()
        .flatten();
    SetCurrentGuard { previous }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The thread may be exiting (thread-locals destroyed): nothing to restore then.
        let _ = CONTEXT.try_with(|c| c.handle.replace(previous));
    }
}

/// Marks this thread as driving a runtime until the guard drops.
#[must_use = "the thread counts as inside the runtime only while the guard lives"]
pub(crate) struct EnterRuntimeGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// # Panics
/// If this thread already drives a runtime.
pub(crate) fn enter_runtime() -> EnterRuntimeGuard {
    let nested = CONTEXT.with(|c| c.in_runtime.replace(true));
    if nested {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function \
             (like `block_on`) attempted to block the current thread while the thread is being \
             used to drive asynchronous tasks."
        );
    }
    EnterRuntimeGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// Is this thread driving a runtime (a worker, or inside `block_on`)? `false` once the thread's
/// thread-locals are being destroyed.
pub(crate) fn is_in_runtime() -> bool {
    CONTEXT.try_with(|c| c.in_runtime.get()).unwrap_or(false)
}

impl Drop for EnterRuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_runtime.set(false));
    }
}
