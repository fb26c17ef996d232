//! The timer entry: the intrusive node a [`Sleep`](super::Sleep) embeds, and its state word.
//!
//! One `TimerEntry` lives inside each `Sleep`, pinned with it. While registered it is linked into
//! one list of the wheel (a slot, the overflow list or the pending list) through [`Links`], and
//! its [`Location`] names that list.
//!
//! The entry holds the sleep's deadline, once: as signed nanoseconds since the driver's origin
//! (driver.rs, "Time base"). The `Sleep` turns it back into the `Instant` it was given; the wheel
//! turns it into the tick the entry is due at ([`TimerEntry::when`]).
//!
//! # The state word
//!
//! | state          | meaning                                   | set by                          |
//! |----------------|-------------------------------------------|---------------------------------|
//! | `UNREGISTERED` | not in the wheel (new, reset or cancelled) | the owner, under the wheel lock |
//! | `REGISTERED`   | linked into the wheel                     | the owner, under the wheel lock |
//! | `FIRED`        | due (or shut down); never linked again     | the firer under the lock, or the owner |
//!
//! Transitions: `UNREGISTERED -> REGISTERED` (register), `REGISTERED -> UNREGISTERED` (cancel,
//! reset), `REGISTERED -> FIRED` (fire, by any thread that drives the wheel), `UNREGISTERED ->
//! FIRED` (the owner found the deadline passed, or the driver shut down), `FIRED -> UNREGISTERED`
//! (reset).
//!
//! # Safety
//!
//! 1. `links` and `location` are read and written only under the wheel lock.
//! 2. `waker` is written only by the owner (the `Sleep`) and only under the wheel lock; the firer
//!    reads it only under the wheel lock; the owner may read it at any time. So every write is
//!    ordered with every read by the lock or by program order, and two reads may overlap.
//! 3. The firer's last access to an entry is the `Release` store of `FIRED`, made while it still
//!    holds the lock. An owner that loads `FIRED` with `Acquire` may therefore drop or reuse the
//!    entry without taking the lock: no other thread will touch it again.
//! 4. Only the owner and the firer-under-lock write the state word, and a `REGISTERED` entry is
//!    changed only under the lock; an owner that loads `REGISTERED` must take the lock and load
//!    again before acting on it.
//! 5. A `REGISTERED` entry is never moved or freed: its owner is pinned and cancels it (rule 4)
//!    before its memory goes away.
//! 6. `deadline` is written only by the owner, and only while the entry is not `REGISTERED`; the
//!    wheel reads it only while the entry is linked, under the lock. So a write never overlaps a
//!    read by another thread: the owner unlinked the entry under the lock (rule 4) or saw `FIRED`
//!    with `Acquire` (rule 3) before writing. The owner may read it at any time.
//!
//! # Layout
//!
//! 48 bytes on 64-bit targets, in `#[repr(C)]` order: the state word and the 3-byte location share
//! the first 8 bytes (the location would otherwise cost 8 more, as padding inside the links), then
//! the two links, the deadline and the waker. `a_sleep_is_small_and_allocation_free` in
//! `tests.rs` pins it: the entry is most of a `Sleep`, which is the whole per-timer memory.

use std::marker::PhantomPinned;
use std::ptr::NonNull;
use std::task::Waker;

use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::loom::UnsafeCell;

/// Not in the wheel: never registered, cancelled, or reset.
pub(super) const UNREGISTERED: u32 = 0;
/// Linked into the wheel; only a holder of the wheel lock may change it.
pub(super) const REGISTERED: u32 = 1;
/// The deadline passed (or the driver shut down). Never coexists with a link into the wheel.
pub(super) const FIRED: u32 = 2;

/// Which list of the wheel an entry is linked into. Guarded by the wheel lock (rule 1); 3 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Location {
    /// In no list.
    Nowhere,
    /// In slot `slot` of level `level`.
    Slot { level: u8, slot: u8 },
    /// In the far-future overflow list.
    Overflow,
    /// In the list the wheel is currently cascading or firing.
    Pending,
}

/// The intrusive links of an entry, owned by the wheel (rule 1).
#[derive(Debug)]
pub(super) struct Links {
    pub(super) prev: Option<NonNull<TimerEntry>>,
    pub(super) next: Option<NonNull<TimerEntry>>,
}

/// Nanoseconds per tick of the wheel (1 ms).
pub(super) const NANOS_PER_TICK: u64 = 1_000_000;

/// A timer node, embedded in a `Sleep` and pinned with it. The field order is the layout (see
/// "Layout" above).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct TimerEntry {
    state: AtomicU32,
    /// The list `links` threads the entry through (rule 1).
    location: UnsafeCell<Location>,
    links: UnsafeCell<Links>,
    /// Nanoseconds since the driver's origin; negative before it (rule 6).
    deadline: UnsafeCell<i64>,
    waker: UnsafeCell<Option<Waker>>,
    _pinned: PhantomPinned,
}

// SAFETY: the raw links and the location are touched only under the wheel lock (rule 1), the
// waker and deadline cells follow rules 2 and 6, the state is atomic; a `Waker` is `Send + Sync`.
// So an entry may be shared with and reached from the thread that drives the wheel.
unsafe impl Send for TimerEntry {}
// SAFETY: as for `Send`: every shared access is either atomic or serialised by the wheel lock.
unsafe impl Sync for TimerEntry {}

// === impl TimerEntry ===

impl TimerEntry {
    /// An unregistered entry due at `deadline` nanoseconds since the driver's origin.
    pub(super) fn new(deadline: i64) -> TimerEntry {
        TimerEntry {
            state: AtomicU32::new(UNREGISTERED),
            location: UnsafeCell::new(Location::Nowhere),
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
            }),
            deadline: UnsafeCell::new(deadline),
            waker: UnsafeCell::new(None),
            _pinned: PhantomPinned,
        }
    }

    /// The state as the owner sees it.
    pub(super) fn state(&self) -> u32 {
        // Acquire pairs with the Release store in `fire`: seeing FIRED means the firer is done
        // with the entry (rule 3).
        self.state.load(Ordering::Acquire)
    }

    /// Sets the state from the owner (`UNREGISTERED`, `FIRED` without the wheel) or from under the
    /// lock (`REGISTERED`, `UNREGISTERED` on cancel).
    pub(super) fn set_state(&self, state: u32) {
        // Relaxed: every other thread that reads this value reads it under the wheel lock, which
        // orders it (rule 4); the owner reads its own writes in program order.
        self.state.store(state, Ordering::Relaxed);
    }

    /// The deadline, in nanoseconds since the driver's origin. Read by the owner at any time, and
    /// by the wheel (through [`when`](Self::when)) under the lock while the entry is linked.
    pub(super) fn deadline(&self) -> i64 {
        self.deadline.with(|deadline| {
            // SAFETY: only the owner writes the deadline, never while another thread may read it
            // (rule 6); the owner reads its own writes in program order.
            unsafe { *deadline }
        })
    }

    /// Moves the deadline of an entry that is not registered.
    ///
    /// # Safety
    /// The caller is the owner, and the entry is not `REGISTERED` (rule 6).
    pub(super) unsafe fn set_deadline(&self, deadline: i64) {
        self.deadline.with_mut(|stored| {
            // SAFETY: the entry is in no list, so no other thread reads the deadline (rule 6).
            unsafe { *stored = deadline }
        });
    }

    /// The tick the entry is due at: its deadline rounded up to the next whole millisecond, so
    /// that it never fires early; tick 0 (already due) for a deadline at or before the origin.
    pub(super) fn when(&self) -> u64 {
        u64::try_from(self.deadline()).map_or(0, |nanos| nanos.div_ceil(NANOS_PER_TICK))
    }

    /// Does the stored waker wake the same task as `waker`? Called by the owner, lock-free.
    pub(super) fn will_wake(&self, waker: &Waker) -> bool {
        self.waker.with(|stored| {
            // SAFETY: the owner may read the waker at any time (rule 2): the only writer is the
            // owner itself.
            unsafe { &*stored }
                .as_ref()
                .is_some_and(|stored| stored.will_wake(waker))
        })
    }

    /// Stores a clone of `waker` and returns the previous one, to be dropped outside the lock.
    ///
    /// # Safety
    /// The caller is the owner and holds the wheel lock (rule 2).
    pub(super) unsafe fn replace_waker(&self, waker: &Waker) -> Option<Waker> {
        self.waker.with_mut(|stored| {
            // SAFETY: the owner holds the lock, so no firer reads concurrently, and the owner is
            // not reading (rule 2).
            unsafe { (*stored).replace(waker.clone()) }
        })
    }

    /// Marks a just-unlinked entry `FIRED` and returns its waker to wake outside the lock.
    ///
    /// # Safety
    /// The caller holds the wheel lock and has just removed the `REGISTERED` `entry` from the
    /// wheel; the entry is alive (rule 5). The caller never touches it again (rule 3).
    pub(super) unsafe fn fire(entry: NonNull<TimerEntry>) -> Option<Waker> {
        // SAFETY: registered entries are alive while linked or being unlinked under the lock
        // (rule 5).
        let entry = unsafe { entry.as_ref() };
        debug_assert_eq!(entry.state.load(Ordering::Relaxed), REGISTERED);
        let waker = entry.waker.with(|stored| {
            let guard = AbortOnPanic;
            // SAFETY: we hold the lock, so the owner is not writing (rule 2).
            let waker = unsafe { &*stored }.clone();
            std::mem::forget(guard);
            waker
        });
        // Release pairs with the Acquire in `state`: the waker read above happens before the
        // owner drops the entry (rule 3). This is the last access to the entry.
        entry.state.store(FIRED, Ordering::Release);
        waker
    }

    /// Runs `f` on the links of `entry`.
    ///
    /// # Safety
    /// The caller holds the wheel lock (rule 1), `entry` is alive (rule 5), and no other borrow of
    /// the same entry's links is live.
    pub(super) unsafe fn with_links<R>(
        entry: NonNull<TimerEntry>,
        f: impl FnOnce(&mut Links) -> R,
    ) -> R {
        // SAFETY: the entry is alive (caller's contract, rule 5).
        let entry = unsafe { entry.as_ref() };
        entry.links.with_mut(|links| {
            // SAFETY: the lock makes this the only access to the links (rule 1).
            f(unsafe { &mut *links })
        })
    }

    /// The list `entry` is linked into.
    ///
    /// # Safety
    /// The caller holds the wheel lock (rule 1) and `entry` is alive (rule 5).
    pub(super) unsafe fn location(entry: NonNull<TimerEntry>) -> Location {
        // SAFETY: the entry is alive (caller's contract, rule 5).
        let entry = unsafe { entry.as_ref() };
        entry.location.with(|location| {
            // SAFETY: the lock orders this read after every write (rule 1).
            unsafe { *location }
        })
    }

    /// Records the list `entry` is now linked into.
    ///
    /// # Safety
    /// The caller holds the wheel lock (rule 1) and `entry` is alive (rule 5).
    pub(super) unsafe fn set_location(entry: NonNull<TimerEntry>, location: Location) {
        // SAFETY: the entry is alive (caller's contract, rule 5).
        let entry = unsafe { entry.as_ref() };
        entry.location.with_mut(|stored| {
            // SAFETY: the lock makes this the only access to the location (rule 1).
            unsafe { *stored = location }
        });
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        // An explicit, checked write access: under loom this is where a missing happens-before
        // edge from a concurrent `fire` (rule 3) shows up as a race.
        self.waker.with_mut(|stored| {
            // SAFETY: we own the entry; it is not registered (the owner cancelled it or saw FIRED
            // with Acquire), so no firer can read the waker (rules 3 and 5).
            drop(unsafe { (*stored).take() })
        });
    }
}

/// Aborts the process if dropped during a panic: a `Waker::clone` that panics under the wheel
/// lock would otherwise leave an entry unlinked but still `REGISTERED`.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        std::process::abort();
    }
}
