//! Tasks: one allocation per spawn, one atomic word of state, and the handles that share it.
//!
//! A task is a `Cell` (core.rs) holding a header, the scheduler it belongs to, its future (and
//! later its output), and the `JoinHandle`'s waker. Several handles point at the same cell, each
//! owning one reference counted in the state word:
//!
//! | handle          | made by                | gives its reference back when             |
//! |-----------------|------------------------|-------------------------------------------|
//! | owned list      | spawn                  | the task completes, or shutdown pops it   |
//! | `JoinHandle`    | spawn                  | it is dropped (or reads the output)       |
//! | `Notified`      | spawn, a wake          | a worker runs it (it becomes the running reference) |
//! | `Waker`         | `clone` in a poll      | it is dropped, or woken by value          |
//! | `AbortHandle`   | `JoinHandle::abort_handle` | it is dropped                         |
//!
//! An `AbortHandle` is counted like a `Waker` clone and has no bit of its own: its `abort` is
//! the `JoinHandle`'s (`transition_to_notified_and_cancel`). A `JoinSet` (join_set.rs) is a
//! set of `JoinHandle`s, each polled with a waker of its own that reports which one finished.
//!
//! # Rules
//!
//! 1. **The future is touched only by the holder of `RUNNING`**, which a thread gets from
//!    `transition_to_running` (popping a `Notified`) or `transition_to_shutdown`. There is one
//!    such thread at a time, so polling and dropping the future need no lock.
//! 2. **The join-waker slot is handed over by `JOIN_WAKER`.** While the bit is clear, only the
//!    `JoinHandle` writes the slot (and only while it holds `JOIN_INTEREST`). It sets the bit to
//!    publish the waker; from then until `COMPLETE`, only the completer may read it. To replace
//!    the waker the `JoinHandle` must first clear the bit, which fails once `COMPLETE` is set.
//!    After `COMPLETE`, the completer wakes the waker and clears the bit; whoever of completer
//!    and `JoinHandle` is last (the `JOIN_INTEREST` bit decides) drops it.
//! 3. **A wake during a poll is never lost.** The waker sets `NOTIFIED` on the running task;
//!    `transition_to_idle` sees it and turns the running reference into a queue entry.
//! 4. **A task is in at most one run queue**, because `NOTIFIED` is set by the wake that
//!    creates the entry and cleared only by the worker that takes it out. So one intrusive
//!    `next` link per task suffices for the injector.
//! 5. **The last reference frees the cell** (`ref_dec` returns `true` to exactly one caller),
//!    and the owned list keeps a reference until completion, so the output is always consumed
//!    before the cell is freed (core.rs rule 4).
//! 6. **A panic never unwinds through a transition.** Polling and dropping the future, dropping
//!    the output and waking the join waker all run under `catch_unwind`; a panicking poll
//!    becomes `JoinError::Panic`.
//!
//! # Layering
//!
//! The task machinery (everything above except `JoinSet`) is the bottom of the crate: it
//! imports no scheduler, driver or runtime, and reaches a scheduler only through the
//! `Schedule` trait. Two lines reach up to `crate::runtime`, both for the public
//! `tourbillon::task` module, whose spawning functions are the runtime's by definition:
//!
//! - `pub use crate::runtime::spawn_blocking` (beside `pub use crate::spawn`): a re-export of
//!   the public API, so users find the spawners where tokio keeps them. Moving the definition
//!   here would not remove the dependency: it needs the current runtime's blocking pool.
//! - `JoinSet` (join_set.rs) spawns onto the current runtime, or onto a runtime's `Handle`
//!   that `JoinSet::spawn_on` takes as its public parameter. It is a user of the task
//!   handles, not part of the machinery, and nothing below the runtime uses it.

mod abort;
pub(crate) mod coop;
mod core;
mod error;
mod harness;
mod join;
mod join_set;
mod list;
mod raw;
mod state;
mod waker;

#[cfg(not(loom))]
pub(crate) use self::core::overhead;
pub(crate) use self::core::Header;
pub use abort::AbortHandle;
pub use error::JoinError;
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub(crate) use list::{OwnedTasks, TaskList};
pub(crate) use raw::RawTask;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

/// A task's result: its output, or why there is none.
///
/// # Examples
///
/// ```
/// tourbillon::block_on(async {
///     let result: tourbillon::task::Result<u8> = tourbillon::spawn(async { 1 }).await;
///     assert_eq!(result.unwrap(), 1);
/// });
/// ```
pub type Result<T> = std::result::Result<T, JoinError>;

pub use crate::runtime::spawn_blocking;
pub use crate::spawn;

/// Where a task's wakes go. Implemented by each scheduler's shared handle.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// A wake made the task runnable: put it on a run queue.
    fn schedule(&self, task: Notified<Self>);

    /// The task woke itself during its own poll: queue it behind other work.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// The task was just spawned and waits for its first poll: by default queued like a wake.
    fn spawned(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// The poll that just returned `Pending` had an operation refused by its coop budget
    /// (`coop`): the task yields. Nothing by default; the runtime's schedulers count it.
    fn budget_forced_yield(&self) {}

    /// The task completed: remove it from the owned list. `true` if it was there (the caller
    /// then owns the list's reference).
    fn release(&self, task: RawTask) -> bool;
}

/// A run-queue entry: one reference to a task that is `NOTIFIED`.
pub(crate) struct Notified<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<fn(S)>,
}

// SAFETY: a Notified is a reference to a `Send` task, moved between queues and workers.
unsafe impl<S> Send for Notified<S> {}

impl<S: Schedule> Notified<S> {
    pub(super) fn from_raw(raw: RawTask) -> Notified<S> {
        Notified {
            raw,
            _scheduler: PhantomData,
        }
    }

    /// Polls the task, consuming this entry.
    pub(crate) fn run(self) {
        let raw = self.into_raw();
        raw.poll();
    }

    /// The task's id in metrics and traces: its address, unique among live tasks.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        self.raw.header_ptr().as_ptr() as usize
    }

    /// Gives up the reference without dropping it, e.g. to link the task into a queue.
    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Takes back an entry made by [`Notified::into_raw`].
    ///
    /// # Safety
    /// `ptr` came from `into_raw` of a `Notified<S>` and is used once.
    pub(crate) unsafe fn from_header(ptr: NonNull<Header>) -> Notified<S> {
        // SAFETY: the caller owns the reference `into_raw` gave up.
        Notified::from_raw(unsafe { RawTask::from_raw(ptr) })
    }
}

impl<S> Drop for Notified<S> {
    fn drop(&mut self) {
        // A queue entry dropped without running (a queue drained at shutdown).
        self.raw.drop_reference();
    }
}

/// Allocates a task, gives its owned-list reference to `bind` and hands it to `scheduler` for
/// its first poll.
///
/// If the runtime is shutting down, `bind` refuses the task (returns `false`): it is cancelled
/// right here and its `JoinHandle` reports that.
pub(crate) fn spawn_task<F, S>(
    future: F,
    scheduler: &S,
    bind: impl FnOnce(RawTask) -> bool,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule + Clone,
{
    let raw = RawTask::new(future, scheduler.clone());
    let join = JoinHandle::new(raw);
    let notified = Notified::from_raw(raw);
    if bind(raw) {
        scheduler.spawned(notified);
    } else {
        // The list refused its reference: use it to cancel the task right here.
        raw.shutdown();
        drop(notified);
    }
    join
}

/// Yields once to the scheduler, letting other tasks run before this one continues.
///
/// # Examples
///
/// ```
/// tourbillon::block_on(async {
///     for _ in 0..3 {
///         tourbillon::task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    struct YieldNow {
        yielded: bool,
    }

    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.yielded {
                return Poll::Ready(());
            }
            self.yielded = true;
            // The task is RUNNING, so this only sets NOTIFIED; the harness re-queues it
            // behind other work when the poll ends (rule 3).
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    YieldNow { yielded: false }.await
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn task_overhead_beyond_the_future_is_at_most_64_bytes() {
        // The scheduler handle is one pointer, like an `Arc`.
        type Sched = std::sync::Arc<()>;
        let overhead = super::core::overhead::<std::future::Ready<[u64; 8]>, Sched>();
        assert!(overhead <= 64, "per-task overhead is {overhead} bytes");
        // A future as small as the `Err(JoinError)` it may become (two words) costs no more:
        // the output shares the stage with the future.
        let overhead = super::core::overhead::<std::future::Ready<[u64; 2]>, Sched>();
        assert!(overhead <= 64, "small-future overhead is {overhead} bytes");
    }

    #[test]
    fn a_join_error_result_is_two_words() {
        assert_eq!(
            std::mem::size_of::<super::Result<()>>(),
            2 * std::mem::size_of::<usize>()
        );
    }
}
