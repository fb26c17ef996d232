//! The task's memory layout: one `repr(C)` allocation per spawn.
//!
//! ```text
//! Cell<F, S>
//! ├── Header          (hot: touched by every wake, queue push and poll)
//! │   ├── state       AtomicUsize: flags + reference count (state.rs)
//! │   ├── queue_next  AtomicPtr<Header>: the one run-queue link (a task is in ≤ 1 queue)
//! │   ├── vtable      &'static Vtable: the functions that know F and S
//! │   └── owned       prev/next links of the owned-task list (list.rs)
//! ├── scheduler: S    where wakes send the task
//! ├── stage           union { future: F, output: Result<F::Output, JoinError> }
//! └── join_waker      Option<Waker>: the JoinHandle's waker, handed over by JOIN_WAKER
//! ```
//!
//! The header is the first field of a `repr(C)` struct: this is load-bearing. Type-erased code
//! holds a `NonNull<Header>` and the vtable casts it back to `Cell<F, S>`.
//!
//! # The stage has no tag
//!
//! As in async-task, the state word says what the stage holds, so the cell carries no
//! discriminant:
//! 1. Before `COMPLETE`, the stage holds the future. Only the holder of `RUNNING` touches it.
//! 2. The holder of `RUNNING` drops the future, writes the output, then sets `COMPLETE`.
//! 3. After `COMPLETE`, the output is consumed exactly once, by whichever of these the state
//!    word picks: the `JoinHandle` reading it, the `JoinHandle` being dropped
//!    (`drop_output`), or the completer when `JOIN_INTEREST` was already gone.
//! 4. Freeing the cell never touches the stage: every path to the last reference passes
//!    through rule 3 first (the owned-task list holds a reference until completion).

use super::state::State;
use super::JoinError;
use crate::loom::sync::atomic::AtomicPtr;
use crate::loom::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::Waker;

/// The type-erased, hot part of every task.
#[repr(C)]
pub(crate) struct Header {
    pub(super) state: State,
    /// The intrusive link used by the injector. Written by a producer before the task is
    /// published into the queue; read by the consumer that pops it.
    pub(crate) queue_next: AtomicPtr<Header>,
    pub(super) vtable: &'static Vtable,
    /// Links of the owned-task list; guarded by that list's shard lock.
    pub(super) owned: UnsafeCell<OwnedLinks>,
}

/// The owned-task list's links: `prev`/`next` in the shard that holds the task.
pub(super) struct OwnedLinks {
    pub(super) prev: Option<NonNull<Header>>,
    pub(super) next: Option<NonNull<Header>>,
}

/// The functions that know the concrete future and scheduler types.
pub(super) struct Vtable {
    /// Polls the task (the caller gives up a `Notified` reference).
    pub(super) poll: unsafe fn(NonNull<Header>),
    /// Sends a `Notified` (one reference) to the task's scheduler.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output to `*dst` (a `Poll<Result<T, JoinError>>`) if it is ready, else
    /// registers the waker.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` is dropped; `output_taken` says whether it already read the output.
    pub(super) drop_join_handle: unsafe fn(NonNull<Header>, bool),
    /// Runtime shutdown: cancel the task if nobody is polling it.
    pub(super) shutdown: unsafe fn(NonNull<Header>),
}

/// The whole allocation.
#[repr(C)]
pub(super) struct Cell<F: Future, S> {
    pub(super) header: Header,
    pub(super) scheduler: S,
    pub(super) stage: UnsafeCell<Stage<F>>,
    pub(super) join_waker: UnsafeCell<Option<Waker>>,
}

/// The future, the output, or (after rule 3) nothing; the state word says which.
pub(super) union Stage<F: Future> {
    pub(super) future: ManuallyDrop<F>,
    pub(super) output: ManuallyDrop<super::Result<F::Output>>,
    pub(super) consumed: (),
}

impl<F: Future, S> Cell<F, S> {
    pub(super) fn new(future: F, scheduler: S, vtable: &'static Vtable) -> Self {
        Cell {
            header: Header {
                state: State::new(),
                queue_next: AtomicPtr::new(std::ptr::null_mut()),
                vtable,
                owned: UnsafeCell::new(OwnedLinks {
                    prev: None,
                    next: None,
                }),
            },
            scheduler,
            stage: UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future),
            }),
            join_waker: UnsafeCell::new(None),
        }
    }
}

/// What a task costs beyond its future: used by the size test and `__bench::task_overhead`.
#[cfg(not(loom))]
pub(crate) const fn overhead<F: Future, S>() -> usize {
    std::mem::size_of::<Cell<F, S>>() - std::mem::size_of::<F>()
}

impl<F: Future> Stage<F> {
    /// # Safety
    /// The caller holds `RUNNING` and the stage holds the future (rule 1).
    pub(super) unsafe fn drop_future(&mut self) {
        // SAFETY: rule 1 — the stage holds the future and we have exclusive access.
        unsafe { ManuallyDrop::drop(&mut self.future) };
        self.consumed = ();
    }

    /// # Safety
    /// The future was dropped (or never stored) and the caller holds `RUNNING` (rule 2).
    pub(super) unsafe fn store_output(&mut self, output: super::Result<F::Output>) {
        self.output = ManuallyDrop::new(output);
    }

    /// # Safety
    /// `COMPLETE` is set and the state word picked the caller to consume the output (rule 3).
    pub(super) unsafe fn take_output(&mut self) -> super::Result<F::Output> {
        // SAFETY: rule 3 — the output is present and nobody else will read it.
        let output = unsafe { ManuallyDrop::take(&mut self.output) };
        self.consumed = ();
        output
    }
}

/// `Err(JoinError)` from a panic payload or a cancellation.
pub(super) fn cancelled_or_panicked(panic: Option<Box<dyn std::any::Any + Send>>) -> JoinError {
    match panic {
        Some(payload) => JoinError::panic(payload),
        None => JoinError::cancelled(),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn header_is_five_words() {
        assert_eq!(
            std::mem::size_of::<Header>(),
            5 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn header_is_the_first_field() {
        let cell = Cell::new(async {}, (), &STUB_VTABLE);
        let base = &cell as *const Cell<_, ()> as usize;
        assert_eq!(&cell.header as *const Header as usize, base);
    }
}

// === the injector's stub node ===

/// The vtable of a header that is not a task: the injector's stub is never run or woken.
static STUB_VTABLE: Vtable = Vtable {
    poll: |_| unreachable!("the stub is never polled"),
    schedule: |_| unreachable!("the stub is never scheduled"),
    dealloc: |_| unreachable!("the stub is freed by its queue"),
    try_read_output: |_, _, _| unreachable!(),
    drop_join_handle: |_, _| unreachable!(),
    shutdown: |_| unreachable!(),
};

impl Header {
    /// A header that belongs to no task: the injector's stub node.
    pub(crate) fn stub() -> NonNull<Header> {
        let header = Box::new(Header {
            state: State::new(),
            queue_next: AtomicPtr::new(std::ptr::null_mut()),
            vtable: &STUB_VTABLE,
            owned: UnsafeCell::new(OwnedLinks {
                prev: None,
                next: None,
            }),
        });
        NonNull::from(Box::leak(header))
    }

    /// # Safety
    /// `stub` came from [`Header::stub`] and is no longer reachable.
    pub(crate) unsafe fn free_stub(stub: NonNull<Header>) {
        // SAFETY: the caller's contract: it was leaked from a Box by `stub`.
        drop(unsafe { Box::from_raw(stub.as_ptr()) });
    }
}
