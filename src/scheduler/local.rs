//! The worker's local run queue: a fixed ring that its owner pushes to and pops from, and that
//! other workers steal half of when they run dry.
//!
//! # Algorithm
//!
//! The ring of tokio's multi-thread scheduler (itself a relative of the Chase–Lev deque, but
//! FIFO for the owner). `tail` is written only by the owner. `head` packs two 32-bit indices:
//! `real`, the next slot to pop, and `steal`, the first slot a thief is still copying out. When
//! `steal != real` a steal is in flight: the slots in `steal..real` are being read by the thief
//! and must not be overwritten, so the owner treats them as still occupied.
//!
//! Indices are 32-bit and wrap; the ring is far smaller than 2^32, so comparisons with
//! `wrapping_sub` are exact (tokio moved from 16-bit indices after an ABA bug).
//!
//! # Which edges the orderings carry
//!
//! Only the owner writes a ring's slots (a thief writes into its *own* ring). Three edges:
//!
//! 1. **Slot contents, owner to thief**: the owner writes a slot, then stores `tail` with
//!    Release; a thief loads `tail` with Acquire before it reads any slot below it.
//! 2. **Slot reuse, thief to owner**: a thief finishes reading its claimed slots, then moves
//!    `steal` up with a Release CAS; the owner loads `head` with Acquire before it writes a
//!    slot, and treats `steal..real` as occupied until then.
//! 3. **`real` never runs ahead of a thief's `tail`**: every CAS that moves `real` (the owner's
//!    pop, a thief's claim) is a Release, and a thief loads `head` with Acquire before it
//!    loads `tail`. So the `tail` a thief reads is at least the `real` it read, and
//!    `tail - real` cannot wrap. With those CASes `Relaxed` (they claim slots by atomicity
//!    alone, so the weakening looks harmless) a thief can pair a new `real` with an old
//!    `tail` and try to steal 2^31 tasks: loom-tests/tests/worker_local.rs
//!    `steal_vs_pop_of_lifo_displaced_task` fails that way (mutation row W7 of
//!    loom-tests/README.md). tokio uses the same orderings.
//!
//! # Overflow
//!
//! When the owner pushes onto a full ring it moves half the ring plus the new task to the
//! injector in one batch (one `swap`), so a burst of spawns costs one injector operation per
//! `CAPACITY / 2` tasks.
//!
//! # Handles
//!
//! [`Local`] is the owner's handle (push, pop; not `Sync`); [`Steal`] is shared with the other
//! workers (steal half, length).

use super::injector::Injector;
use crate::loom::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use crate::loom::sync::Arc;
use crate::loom::UnsafeCell;
use crate::task::{Notified, Schedule};
use crossbeam_utils::CachePadded;
use std::mem::MaybeUninit;

/// Slots per ring: tokio's 256, shrunk to 4 under loom so models stay small.
pub(crate) const CAPACITY: usize = if crate::loom::IS_LOOM { 4 } else { 256 };
const MASK: u32 = CAPACITY as u32 - 1;

struct Inner<S: 'static> {
    /// `(steal << 32) | real`.
    head: CachePadded<AtomicU64>,
    /// Written only by the owner.
    tail: CachePadded<AtomicU32>,
    buffer: Box<[UnsafeCell<MaybeUninit<Notified<S>>>]>,
}

/// The owner's end.
pub(crate) struct Local<S: 'static> {
    inner: Arc<Inner<S>>,
}

/// The thieves' end.
pub(crate) struct Steal<S: 'static> {
    inner: Arc<Inner<S>>,
}

// SAFETY: slots are handed between threads only through the head/tail protocol below, and the
// tasks they hold are `Send`.
unsafe impl<S> Send for Inner<S> {}
// SAFETY: through `&Inner` a thread reads or writes a slot only after claiming it with a CAS on
// `head` (thieves) or owning it by the ring's indices (the owner, the only writer of `tail`).
unsafe impl<S> Sync for Inner<S> {}

pub(crate) fn new<S: Schedule>() -> (Local<S>, Steal<S>) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(Inner {
        head: CachePadded::new(AtomicU64::new(0)),
        tail: CachePadded::new(AtomicU32::new(0)),
        buffer,
    });
    (
        Local {
            inner: inner.clone(),
        },
        Steal { inner },
    )
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    ((steal as u64) << 32) | real as u64
}

impl<S: Schedule> Inner<S> {
    /// The owner's view of `tail`: it is the only writer, so a relaxed load is exact.
    fn owner_tail(&self) -> u32 {
        self.tail.load(Relaxed)
    }

    /// # Safety
    /// The slot is free: the caller is the owner and the index is outside `steal..tail`.
    unsafe fn write(&self, index: u32, task: Notified<S>) {
        self.buffer[(index & MASK) as usize].with_mut(|slot| {
            // SAFETY: the caller's contract: nobody else reads or writes this slot now.
            unsafe { (*slot).write(task) };
        });
    }

    /// # Safety
    /// The slot holds a task that the caller has claimed by moving `head`.
    unsafe fn read(&self, index: u32) -> Notified<S> {
        self.buffer[(index & MASK) as usize]
            // SAFETY: the caller's contract: the slot is initialised and claimed by us alone.
            .with(|slot| unsafe { (*slot).assume_init_read() })
    }

    fn len(&self) -> u32 {
        // Acquire on both: pairs with the owner's Release store of `tail` and the CAS on
        // `head`; the result is a hint for stealing and metrics.
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real)
    }
}

// === impl Local ===

impl<S: Schedule> Local<S> {
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// Pushes a task; on a full ring moves half of it, plus `task`, to `injector`. Returns
    /// whether the ring was full (the task went to the injector).
    pub(crate) fn push_back_or_overflow(
        &mut self,
        mut task: Notified<S>,
        injector: &Injector<S>,
    ) -> bool {
        let tail = loop {
            // Acquire: pairs with the thieves' and the owner's CAS on `head`, so we see
            // which slots they have finished reading.
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            let tail = self.inner.owner_tail();
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                break tail;
            }
            if steal != real {
                // A thief is emptying the ring right now; don't wait for it.
                injector.push(task);
                return true;
            }
            match self.push_overflow(task, real, tail, injector) {
                Ok(()) => return true,
                // A thief moved `head` under us: there may be room now.
                Err(back) => task = back,
            }
        };
        // SAFETY: `tail - steal < CAPACITY`, so slot `tail` is outside `steal..tail`.
        unsafe { self.inner.write(tail, task) };
        // Release: publishes the slot to thieves (pairs with their Acquire load of `tail`).
        self.inner.tail.store(tail.wrapping_add(1), Release);
        false
    }

    fn push_overflow(
        &mut self,
        task: Notified<S>,
        head: u32,
        tail: u32,
        injector: &Injector<S>,
    ) -> Result<(), Notified<S>> {
        const HALF: u32 = (CAPACITY / 2) as u32;
        assert_eq!(
            tail.wrapping_sub(head),
            CAPACITY as u32,
            "overflow of a non-full ring"
        );
        let prev = pack(head, head);
        let next = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        // Claim the oldest half as if stealing it. Release: we only read slots we already
        // own; Relaxed on failure: we retry from a fresh Acquire load.
        if self
            .inner
            .head
            .compare_exchange(prev, next, Release, Relaxed)
            .is_err()
        {
            return Err(task);
        }
        let inner = &self.inner;
        let claimed = (0..HALF).map(|i| {
            // SAFETY: the CAS claimed slots `head..head + HALF`, all initialised.
            unsafe { inner.read(head.wrapping_add(i)) }
        });
        injector.push_batch(claimed.chain(std::iter::once(task)));
        Ok(())
    }

    /// Pops the oldest task.
    pub(crate) fn pop(&mut self) -> Option<Notified<S>> {
        // Acquire: pairs with the thieves' CAS on `head` (as in `push_back_or_overflow`).
        let mut head = self.inner.head.load(Acquire);
        let index = loop {
            let (steal, real) = unpack(head);
            if real == self.inner.owner_tail() {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // With no steal in flight, both indices move together.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            // AcqRel: Release publishes the new `real` after every `tail` store before it, so a
            // thief that sees this `real` also sees a `tail` at least as large (edge 3 of the
            // module docs); Acquire as above.
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS moved `real` past `index`, claiming that slot for us alone.
        Some(unsafe { self.inner.read(index) })
    }
}

impl<S> Drop for Local<S> {
    fn drop(&mut self) {
        // The worker drains its queue before exiting; a task left here would leak.
        if !std::thread::panicking() {
            let (_, real) = unpack(self.inner.head.load(Acquire));
            debug_assert_eq!(real, self.inner.tail.load(Acquire), "local queue not empty");
        }
    }
}

// === impl Steal ===

impl<S: Schedule> Steal<S> {
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// Steals half of this queue into `dst` (the thief's own, empty-enough queue) and returns
    /// one of the stolen tasks to run right away.
    pub(crate) fn steal_into(&self, dst: &mut Local<S>) -> Option<Notified<S>> {
        let dst_tail = dst.inner.owner_tail();
        // Acquire: pairs with the CASes on the destination's head by its own thieves.
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            // Our own queue is half full: no room to receive half of another.
            return None;
        }
        let n = self.steal_into_inner(dst, dst_tail);
        if n == 0 {
            return None;
        }
        // Run the last stolen task now; publish the rest.
        let n = n - 1;
        let ret_index = dst_tail.wrapping_add(n);
        // SAFETY: we copied `n + 1` tasks into `dst_tail..`; the last one is not yet published.
        let task = unsafe { dst.inner.read(ret_index) };
        if n > 0 {
            // Release: publishes the stolen slots (pairs with thieves' Acquire of `tail`).
            dst.inner.tail.store(dst_tail.wrapping_add(n), Release);
        }
        Some(task)
    }

    fn steal_into_inner(&self, dst: &mut Local<S>, dst_tail: u32) -> u32 {
        // Acquire: pairs with the owner's and other thieves' Release CAS on `head`, so the
        // `tail` loaded next is at least the `real` seen here (edge 3 of the module docs).
        let mut prev = self.inner.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(prev);
            if steal != real {
                // Another thief is at work.
                return 0;
            }
            // Acquire: pairs with the owner's Release store of `tail`: the slots up to it are
            // initialised.
            let tail = self.inner.tail.load(Acquire);
            let available = tail.wrapping_sub(real);
            let n = available - available / 2;
            if n == 0 {
                return 0;
            }
            let next = pack(steal, real.wrapping_add(n));
            // AcqRel: claims `real..real + n` for reading. Release passes on edge 3 (the `tail`
            // we loaded is at least the new `real`) to the next thief; Acquire as above.
            match self
                .inner
                .head
                .compare_exchange(prev, next, AcqRel, Acquire)
            {
                Ok(_) => break (real, n),
                Err(actual) => prev = actual,
            }
        };
        assert!(n as usize <= CAPACITY / 2, "steal of {n} tasks");
        for i in 0..n {
            // SAFETY: slots `first..first + n` are claimed by our CAS (the owner will not
            // overwrite them while `steal` lags), and `dst`'s slots from its tail are free
            // (it is at most half full, checked by the caller).
            unsafe {
                let task = self.inner.read(first.wrapping_add(i));
                dst.inner.write(dst_tail.wrapping_add(i), task);
            }
        }
        // Done reading: move `steal` up to `real`, giving the slots back to the owner.
        let mut prev = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(prev);
            let next = pack(real, real);
            // AcqRel: Release tells the owner our reads are finished (pairs with its Acquire
            // of `head` before reusing the slots).
            match self
                .inner
                .head
                .compare_exchange(prev, next, AcqRel, Acquire)
            {
                Ok(_) => return n,
                Err(actual) => {
                    // The owner popped meanwhile; `steal` is still ours.
                    assert_eq!(unpack(actual).0, first);
                    prev = actual;
                }
            }
        }
    }
}

impl<S> Clone for Steal<S> {
    fn clone(&self) -> Self {
        Steal {
            inner: self.inner.clone(),
        }
    }
}

#[cfg(all(test, not(loom)))]
#[path = "queue_proptests.rs"]
mod proptests;
