//! The injector: the run queue every thread may push to and every worker may pop from.
//!
//! # Algorithm
//!
//! Dmitry Vyukov's intrusive MPSC queue ("Intrusive MPSC node-based queue", 1024cores.net),
//! linked through each task header's `queue_next`, made multi-consumer by a consumer token:
//! a worker that wants to pop takes the token with a try-lock, pops a batch, and releases it.
//! A worker that finds the token taken gets [`Pop::Busy`] and looks elsewhere (its local
//! queue, stealing) instead of waiting. Producers never wait: a push is one `swap` on `tail`
//! and one store into the old tail's link.
//!
//! Between those two steps of a push the queue is briefly *inconsistent*: the new node is the
//! tail but not yet reachable from the head. A consumer that meets this returns
//! [`Pop::Inconsistent`]; the producer finishes within a few instructions.
//!
//! A stub node (a header no task owns) keeps the list non-empty, so push never touches head.
//!
//! # Length
//!
//! `len` counts the tasks pushed and not yet popped. Producers add *after* linking and
//! consumers subtract after unlinking, so `len > 0` implies a task is (or is about to be)
//! reachable, and `is_empty` costs one load. (A consumer may take a task before its producer
//! has counted it: the counter then wraps briefly below zero, which `len` reports as 0.)
//! Every reader that must not miss an increment reads it after a `SeqCst` fence that pairs
//! with one after the increment (the idle protocol's, idle.rs, and "Closing" below).
//!
//! # Closing
//!
//! At shutdown the runtime closes the queue and drains it. A producer that pushes after the
//! close (a waker firing on a foreign thread) sees `closed` after its push and drains the queue
//! itself. If another thread holds the consumer token at that moment, that thread drains
//! instead: every token holder checks `closed` after releasing the token.
//!
//! These are store-then-load ("Dekker") pairs: a producer counts its task in `len`, then reads
//! `closed` and tries the token; the closer sets `closed`, then reads `len`; a token holder
//! releases the token, then reads `closed` and `len`. Each side puts a `SeqCst` fence between
//! its write and its reads ([`drain_if_closed`](Injector::drain_if_closed) starts with it, and
//! every one of those writes is followed by a call). The fences are totally ordered, so of any
//! two sides the one whose fence comes second sees the other's write: the producer's try-lock
//! succeeds, or the holder's (or closer's) check sees the task. No task reference is stranded.
//!
//! The fence runs in the shipped code, not only under loom, so the program loom checks is the
//! one that ships. loom models `SeqCst` *accesses* as `AcqRel` and only `SeqCst` *fences* as a
//! total order: it can check a pair ordered by fences, not one ordered by `SeqCst` accesses
//! alone (it reports false lost wake-ups there, and a fence added for loom only would hide any
//! weakening of the real accesses). Removing or weakening the fence on any side fails
//! `loom-tests/tests/injector.rs` `close_vs_push_vs_pop` (loom-tests/README.md, mutations
//! F1-F3, F6). It costs one `lock or` on the stack (LLVM's `SeqCst` fence on x86-64) per push
//! and per batch pop.
//!
//! With the fences in place the accesses to `len`, `closed` and the token would be correct
//! `Relaxed` (the token's `Acquire`/`Release` aside, which hand `head` over), and such a build
//! passes the models. They stay `SeqCst`: on x86-64 that costs nothing (the RMWs are locked
//! either way, the loads are plain loads; only the token's release store becomes an `xchg`),
//! and loom explores `SeqCst` accesses as `AcqRel`, whose synchronisation keeps the models'
//! state spaces small: with `Relaxed` here and in idle.rs, `idle::spawn_vs_two_workers_parking`
//! grew from 141k to 1.98M interleavings (9 s to 368 s).

use crate::loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};
use crate::loom::UnsafeCell;
use crate::task::{Header, Notified, Schedule};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

pub(crate) struct Injector<S: 'static> {
    /// Producers swap themselves in here.
    tail: CachePadded<AtomicPtr<Header>>,
    /// The consumer's end; only the holder of `consumer` touches it.
    head: CachePadded<UnsafeCell<NonNull<Header>>>,
    /// The consumer token: `true` while a worker pops.
    consumer: AtomicBool,
    len: CachePadded<AtomicUsize>,
    closed: AtomicBool,
    /// The stub's storage: a header no task owns.
    stub: NonNull<Header>,
    _tasks: PhantomData<Notified<S>>,
}

/// The outcome of a pop that found nothing to return.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pop<T> {
    Task(T),
    Empty,
    /// Another worker holds the consumer token.
    Busy,
    /// A producer is between its two steps; retry shortly.
    Inconsistent,
}

// SAFETY: the queue holds `Notified` references (Send); all shared fields are atomics, and
// `head` is only touched by the holder of the consumer token.
unsafe impl<S> Send for Injector<S> {}
// SAFETY: through `&Injector` producers touch only atomics (`tail`, a node's link, `len`), and
// `head` only by the thread holding the consumer token, which excludes every other consumer.
unsafe impl<S> Sync for Injector<S> {}

impl<S: Schedule> Injector<S> {
    pub(crate) fn new() -> Injector<S> {
        let stub = crate::task::Header::stub();
        Injector {
            tail: CachePadded::new(AtomicPtr::new(stub.as_ptr())),
            head: CachePadded::new(UnsafeCell::new(stub)),
            consumer: AtomicBool::new(false),
            len: CachePadded::new(AtomicUsize::new(0)),
            closed: AtomicBool::new(false),
            stub,
            _tasks: PhantomData,
        }
    }

    /// Tasks pushed and not yet popped. A caller that must not miss a push fences first (see
    /// "Length" in the module docs).
    pub(crate) fn len(&self) -> usize {
        // SeqCst: see "Closing" (the fences order it; `SeqCst` is free here).
        let len = self.len.load(SeqCst);
        // A consumer can take a task after its producer linked it but before that producer
        // added it to `len`, so the counter briefly wraps below zero. Report that as empty:
        // the producer's own increment (and its idle check) follows. Unclamped, `usize::MAX`
        // would reach the multi-thread scheduler's `len / workers + 1` and overflow (a
        // debug-build panic with one worker); loom-tests/tests/injector.rs asserts the bound.
        if len > isize::MAX as usize {
            0
        } else {
            len
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&self, task: Notified<S>) {
        let node = task.into_raw().header_ptr();
        self.push_chain(node, node, 1);
    }

    /// Pushes many tasks with one `swap`: they are linked to each other first.
    pub(crate) fn push_batch(&self, tasks: impl IntoIterator<Item = Notified<S>>) {
        let mut iter = tasks.into_iter();
        let Some(first) = iter.next() else { return };
        let first = first.into_raw().header_ptr();
        let mut last = first;
        let mut count = 1;
        for task in iter {
            let node = task.into_raw().header_ptr();
            // Relaxed: the chain is private until `push_chain` publishes it with a Release.
            // SAFETY: `last` is a task we own a reference to and have not published.
            unsafe { last.as_ref() }
                .queue_next
                .store(node.as_ptr(), Relaxed);
            last = node;
            count += 1;
        }
        self.push_chain(first, last, count);
    }

    fn push_chain(&self, first: NonNull<Header>, last: NonNull<Header>, count: usize) {
        // SAFETY: `last` is a task we own a reference to; nobody else links it until published.
        unsafe { last.as_ref() }
            .queue_next
            .store(ptr::null_mut(), Relaxed);
        // AcqRel: Release publishes the chain's contents (and its tasks) to the consumer that
        // follows the link; Acquire orders us after the previous producer, whose node we write.
        let prev = self.tail.swap(last.as_ptr(), AcqRel);
        // Release: pairs with the Acquire load of `queue_next` in `pop_inner`.
        // SAFETY: `prev` stays alive: a node is only popped once its `next` is non-null, which
        // happens right here, so it cannot have been freed before this store.
        unsafe { &*prev }.queue_next.store(first.as_ptr(), Release);
        // SeqCst: the fence in `drain_if_closed` (and the idle protocol's, in our caller's
        // `notify_parked`) orders it against the readers that must see it; see "Closing" for
        // the `SeqCst`.
        self.len.fetch_add(count, SeqCst);
        self.drain_if_closed();
    }

    /// Pops one task.
    pub(crate) fn pop(&self) -> Pop<Notified<S>> {
        let mut popped = None;
        match self.pop_batch(1, |task| popped = Some(task)) {
            Pop::Task(_) => Pop::Task(popped.expect("pop_batch reported one task")),
            Pop::Empty => Pop::Empty,
            Pop::Busy => Pop::Busy,
            Pop::Inconsistent => Pop::Inconsistent,
        }
    }

    /// Pops up to `max` tasks into `sink` under one token. Returns how many, or why none.
    /// `sink` may push to this queue: a push never needs the token.
    pub(crate) fn pop_batch(&self, max: usize, mut sink: impl FnMut(Notified<S>)) -> Pop<usize> {
        if self.is_empty() {
            return Pop::Empty;
        }
        let Some(token) = self.try_consume() else {
            return Pop::Busy;
        };
        let mut taken = 0;
        let outcome = loop {
            if taken == max {
                break Pop::Task(taken);
            }
            match self.pop_inner() {
                Pop::Task(task) => {
                    sink(task);
                    taken += 1;
                }
                Pop::Empty if taken == 0 => break Pop::Empty,
                Pop::Inconsistent if taken == 0 => break Pop::Inconsistent,
                _ => break Pop::Task(taken),
            }
        };
        token.release();
        self.drain_if_closed();
        outcome
    }

    fn try_consume(&self) -> Option<ConsumerToken<'_, S>> {
        // Acquire: pairs with the Release in `ConsumerToken::release`/`drop`, so we see the
        // head the previous consumer left. In `drain_if_closed` the fence before it orders it
        // against a token holder's release ("Closing", which says why `SeqCst`).
        self.consumer
            .compare_exchange(false, true, SeqCst, SeqCst)
            .ok()
            .map(|_| ConsumerToken { queue: self })
    }

    /// Vyukov's pop. The caller holds the consumer token.
    fn pop_inner(&self) -> Pop<Notified<S>> {
        self.head.with_mut(|head_slot| {
            // SAFETY: only the token holder touches `head`.
            let head_slot = unsafe { &mut *head_slot };
            let mut head = *head_slot;
            // Acquire: pairs with the Release store of `queue_next` in `push_chain`.
            // SAFETY: `head` is the stub or a task the queue holds a reference to.
            let mut next = unsafe { head.as_ref() }.queue_next.load(Acquire);
            if head == self.stub {
                let Some(n) = NonNull::new(next) else {
                    return Pop::Empty;
                };
                *head_slot = n;
                head = n;
                // SAFETY: `n` is a queued task.
                next = unsafe { n.as_ref() }.queue_next.load(Acquire);
            }
            if let Some(n) = NonNull::new(next) {
                *head_slot = n;
                return Pop::Task(self.take(head));
            }
            // `head` is the last node we can see. If it is not the tail, a producer is
            // between its swap and its link.
            if self.tail.load(Acquire) != head.as_ptr() {
                return Pop::Inconsistent;
            }
            // Re-append the stub so `head` gets a successor and can be taken.
            self.push_stub();
            // SAFETY: `head` is still linked (only the token holder, us, unlinks), so the task
            // it belongs to holds its queue reference and the header is live.
            next = unsafe { head.as_ref() }.queue_next.load(Acquire);
            match NonNull::new(next) {
                Some(n) => {
                    *head_slot = n;
                    Pop::Task(self.take(head))
                }
                None => Pop::Inconsistent,
            }
        })
    }

    fn push_stub(&self) {
        // SAFETY: the stub lives as long as the queue; only the token holder re-appends it.
        unsafe { self.stub.as_ref() }
            .queue_next
            .store(ptr::null_mut(), Relaxed);
        // AcqRel / Release: as in `push_chain`.
        let prev = self.tail.swap(self.stub.as_ptr(), AcqRel);
        // SAFETY: as in `push_chain`.
        unsafe { &*prev }
            .queue_next
            .store(self.stub.as_ptr(), Release);
    }

    fn take(&self, node: NonNull<Header>) -> Notified<S> {
        // SeqCst: see "Closing" (the task itself came through the Acquire of its link).
        self.len.fetch_sub(1, SeqCst);
        // SAFETY: every non-stub node was pushed from `Notified::into_raw` of this `S`.
        unsafe { Notified::from_header(node) }
    }

    /// Closes the queue and drops every task in it (runtime shutdown).
    pub(crate) fn close_and_drain(&self) {
        // SeqCst: the fence in `drain_if_closed` orders it ("Closing" says why `SeqCst`).
        self.closed.store(true, SeqCst);
        self.drain_if_closed();
    }

    /// After a push or a pop: if the queue is closed, drop what is in it. If another thread
    /// holds the consumer token, it does this when it lets go (see "Closing").
    fn drain_if_closed(&self) {
        loop {
            // Each caller reaches here right after its write: a push's `len` increment, a token
            // release, or `close`'s store. This fence separates it from the reads below: the
            // middle of each Dekker pair in "Closing".
            fence(SeqCst);
            // Ordered by the fence (SeqCst: see "Closing"). The raw counter, not `is_empty`:
            // while it is wrapped below zero (see `len`) a producer has yet to count a task it
            // linked, and it may miss `closed`, so we drain.
            if !(self.closed.load(SeqCst) && self.len.load(SeqCst) != 0) {
                return;
            }
            let Some(token) = self.try_consume() else {
                return;
            };
            let mut dropped = false;
            while let Pop::Task(task) = self.pop_inner() {
                drop(task);
                dropped = true;
            }
            token.release();
            if !dropped {
                // `len` says a task is there, yet none is reachable: a producer is between its
                // swap and its link (`Inconsistent`), or between its link and its count. Its own
                // check of `closed` is not sure to come after ours, so we do not leave the drain
                // to it: retry until it has finished. A busy-wait needs the hint; under loom it is
                // a yield, without which loom-tests/tests/injector.rs `close_vs_push_vs_pop`
                // spins forever.
                crate::loom::hint::spin_loop();
            }
        }
    }
}

impl<S> Drop for Injector<S> {
    fn drop(&mut self) {
        // The runtime drains the queue before dropping it; tasks left here would leak.
        debug_assert!(
            self.len.load(Relaxed) == 0 || std::thread::panicking(),
            "injector dropped with queued tasks"
        );
        // SAFETY: the stub was allocated by `Header::stub` and nothing points at it any more.
        unsafe { crate::task::Header::free_stub(self.stub) };
    }
}

/// The consumer token. `release` lets go of it; dropping it instead (a panic in `pop_batch`'s
/// sink) lets go too, without the closed check.
struct ConsumerToken<'a, S: 'static> {
    queue: &'a Injector<S>,
}

impl<S> ConsumerToken<'_, S> {
    /// Lets go of the token. The caller then calls `drain_if_closed` (its fence is this
    /// store's half of the "Closing" pair).
    fn release(self) {
        // Release: pairs with the Acquire in `try_consume`, so the next consumer sees our
        // `head`. SeqCst: see "Closing".
        self.queue.consumer.store(false, SeqCst);
        std::mem::forget(self);
    }
}

impl<S: 'static> Drop for ConsumerToken<'_, S> {
    fn drop(&mut self) {
        // Only if `sink` panicked in `pop_batch`. As in `release`.
        self.queue.consumer.store(false, SeqCst);
    }
}
