//! `JoinSet`: a set of spawned tasks, joined in the order they finish.
//!
//! # How `join_next` finds a finished task without polling every handle
//!
//! The set keeps its tasks' `JoinHandle`s in a slab (a `Vec` of slots and a free list), and a
//! *ready list* of slot numbers shared with one waker per entry:
//!
//! ```text
//!  JoinSet                                   a worker completing task k
//!  ├── slots: [h0, h1, —, h3, ...]           │ wakes h_k's join waker = EntryWaker { slot: k }
//!  ├── free:  [2]                            │   └─ locks the ready list, pushes k,
//!  └── ready: Arc<Mutex<ReadyList>> ◄────────┘      takes the waiting waker, unlocks, wakes it
//!              ├── slots: [k, ...]
//!              └── waiter: join_next's waker
//! ```
//!
//! Each `JoinHandle` is polled with its entry's own waker, so the task's completion wakes that
//! waker (mod.rs rule 2), which pushes the entry's slot onto the ready list and wakes the task
//! waiting in `join_next`. `join_next` pops slots and polls only those handles: a join costs
//! O(1) whatever the size of the set. A new entry starts on the ready list, because its first
//! poll is what gives its waker to the task.
//!
//! # Rules
//!
//! 1. **A slot on the ready list is a hint, not a promise.** It may name an entry whose task is
//!    still running (its first poll), or a slot already joined and reused by a later task. Polling
//!    such a handle returns `Pending` and re-registers the same waker, which is harmless; the
//!    ready list is never trusted to say "finished".
//! 2. **Each entry is pushed at most twice**: once at insertion, once by its task's completion
//!    (a join waker is woken once, and every poll of a handle passes the same waker, so it is
//!    never replaced). So all the `join_next` calls of a set's life pop at most twice as many
//!    slots as tasks were spawned, each in O(1). (The completion push may come after the entry
//!    was joined, if `join_next` saw `COMPLETE` before the completer woke the waker: rule 1.)
//! 3. **Wakers run outside the lock.** The entry waker takes the waiting waker out of the list
//!    and wakes it after unlocking, so a waker that re-enters the set cannot deadlock.
//!
//! The lock is std's `Mutex`, not the loom facade's: the set uses only the task's public
//! protocol (the `JoinHandle` and its waker), which the task's loom models check, and
//! `std::task::Wake` needs std's `Arc`.

use super::{AbortHandle, JoinHandle};
use crate::runtime::Handle;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// A set of tasks spawned on the runtime, awaited in the order they complete.
///
/// [`spawn`](JoinSet::spawn) adds a task; [`join_next`](JoinSet::join_next) waits for any of
/// them to finish and returns its result. Dropping the set aborts every task still in it.
///
/// # Examples
///
/// ```
/// use tourbillon::task::JoinSet;
///
/// tourbillon::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(result) = set.join_next().await {
///         total += result.unwrap();
///     }
///     assert_eq!(total, 285);
/// });
/// ```
pub struct JoinSet<T> {
    /// The handles, by slot; `None` is a free slot, listed in `free`.
    slots: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    ready: Arc<Ready>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    /// An `EntryWaker` for this slot: the waker every poll of `handle` passes.
    waker: Waker,
}

/// The slots whose handles may be ready, and the waker of the task waiting in `join_next`.
#[derive(Default)]
struct Ready {
    list: Mutex<ReadyList>,
}

#[derive(Default)]
struct ReadyList {
    slots: VecDeque<usize>,
    waiter: Option<Waker>,
}

/// The join waker of one entry: on wake, it puts its slot on the ready list.
struct EntryWaker {
    ready: Arc<Ready>,
    slot: usize,
}

// === impl JoinSet ===

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = tourbillon::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            ready: Arc::default(),
        }
    }

    /// The number of tasks in the set: spawned and not yet returned by `join_next` (finished
    /// tasks count until they are joined).
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     set.spawn(async {});
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 2);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Is the set empty?
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     assert!(!set.is_empty());
    ///     set.join_next().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Aborts every task in the set. They stay in it: `join_next` returns each one's result,
    /// a cancellation error unless the task completed first.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.abort_all();
    ///     while let Some(result) = set.join_next().await {
    ///         assert!(result.unwrap_err().is_cancelled());
    ///     }
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for entry in self.slots.iter().flatten() {
            entry.handle.abort();
        }
    }

    /// Waits for any task of the set to finish and returns its result, or `None` if the set is
    /// empty. Cancel-safe: if this future is dropped, no result is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<super::Result<T>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The poll-based form of [`JoinSet::join_next`]: `Ready(None)` if the set is empty,
    /// `Ready(Some(result))` for a finished task (removed from the set), else `Pending` with
    /// `cx`'s waker registered for the next completion.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     set.spawn(async { 7 });
    ///     let result = poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(result.unwrap().unwrap(), 7);
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<super::Result<T>>> {
        loop {
            let slot = {
                let mut list = self.ready.lock();
                match list.slots.pop_front() {
                    Some(slot) => slot,
                    None if self.is_empty() => return Poll::Ready(None),
                    None => {
                        // Under the lock, so a completion after our pop sees this waker.
                        if !list
                            .waiter
                            .as_ref()
                            .is_some_and(|w| w.will_wake(cx.waker()))
                        {
                            list.waiter = Some(cx.waker().clone());
                        }
                        return Poll::Pending;
                    }
                }
            };
            // Rule 1: the slot may be empty, or its task still running.
            let Some(entry) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let mut entry_cx = Context::from_waker(&entry.waker);
            if let Poll::Ready(result) = Pin::new(&mut entry.handle).poll(&mut entry_cx) {
                self.slots[slot] = None;
                self.free.push(slot);
                return Poll::Ready(Some(result));
            }
        }
    }

    /// Aborts every task and waits until all of them have finished, dropping their results.
    /// The set is empty afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Adds a spawned task's handle to a free slot and puts the slot on the ready list, so the
    /// next `join_next` polls it once and its waker reaches the task.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let waker = Waker::from(Arc::new(EntryWaker {
            ready: self.ready.clone(),
            slot,
        }));
        let entry = Some(Entry { handle, waker });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else {
            self.slots[slot] = entry;
        }
        self.ready.lock().slots.push_back(slot);
        abort
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime and adds it to the set. The returned handle can
    /// cancel it; dropping that handle does nothing.
    ///
    /// # Panics
    ///
    /// Outside a tourbillon runtime (as [`crate::spawn`]); use [`JoinSet::spawn_on`] there.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     let abort = set.spawn(async { 3 });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 3);
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on the runtime of `handle` and adds it to the set; works from any
    /// thread, inside a runtime or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let mut set = tourbillon::task::JoinSet::new();
    /// set.spawn_on(async { 4 }, rt.handle());
    /// let result = rt.block_on(set.join_next());
    /// assert_eq!(result.unwrap().unwrap(), 4);
    /// ```
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(future))
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set; the slots' `JoinHandle`s are then dropped, which
    /// detaches the tasks, so each result is dropped wherever its task finishes.
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

// === impl Ready ===

impl Ready {
    fn lock(&self) -> MutexGuard<'_, ReadyList> {
        // A panic while the lock is held can only come from `VecDeque` allocation failure or
        // `Waker::clone`; the list is consistent between any two of our statements, so poison
        // is ignored.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl EntryWaker ===

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiter = {
            let mut list = self.ready.lock();
            list.slots.push_back(self.slot);
            list.waiter.take()
        };
        // Rule 3: outside the lock.
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}
