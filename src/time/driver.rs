//! The timer driver: the wheel behind one lock, the clock, and the park-timeout handshake.
//!
//! The runtime calls [`Handle::before_park`] / [`Handle::after_park`] around blocking in the
//! reactor and [`Handle::process`] on its non-blocking turns; `Sleep` registers, re-wakes and
//! cancels its entry here.
//!
//! # Time base
//!
//! Time is measured from `origin`, the `Instant` captured in [`Handle::new`]. An entry keeps its
//! deadline as an `i64` of nanoseconds since `origin`, negative before it: 8 bytes instead of an
//! `Instant`'s 16, and exact, so `Sleep::deadline` gives back the very `Instant` it was given.
//! The range is ±2^63 ns, about ±292 years around `origin`; a deadline beyond it is clamped to
//! its end ([`Handle::nanos_since_origin`]), which for a sleep makes no difference ("never", or
//! "already due").
//!
//! A tick is 1 ms since `origin`. A deadline becomes the tick it falls in, rounded *up*
//! (`TimerEntry::when`); the current time becomes its tick rounded *down*. An entry fires when
//! `now_tick >= when`, i.e. when `now >= origin + when ms >= deadline`: never early.
//!
//! # Rules
//!
//! 1. One `Mutex` guards the wheel, the armed park deadline and the shutdown flag. Only O(1) work
//!    happens under it, plus one `Waker::clone` per fired entry; wakers are called, and replaced
//!    wakers dropped, only after it is released (a wake may re-enter the runtime and the timer).
//! 2. `next_wake` mirrors, without the lock, a lower bound of the wheel's next expiration, so a
//!    busy worker's `process` costs one atomic load when nothing is due. Every insert lowers it
//!    under the lock; each full `process` recomputes it; a cancel leaves it (too low is harmless:
//!    one pointless lock).
//! 3. `parked_until` is `Some(tick)` exactly while a thread is (about to be) blocked in the reactor
//!    with that timeout (`u64::MAX`: no timeout). An insert whose expiration is earlier calls
//!    `unpark` once and lowers it; since both happen under the lock, an insert either precedes
//!    `before_park` (which then sees it) or sees the armed value: no timer is lost to the race.
//!    At most one thread parks in the reactor at a time (it owns the `Driver`).
//! 4. After `shutdown`, the wheel is empty and stays empty: every registration completes at once.
//!
//! # Why one lock
//!
//! The lock is taken when a `Sleep` is first polled while pending, when it is re-polled with a
//! different waker, when a registered `Sleep` is dropped or reset, and when timers are due; never
//! on the busy path of `process` (rule 2), never for a `Sleep` dropped unpolled or already due
//! when first polled. Every critical section is O(1) per entry. On the two-core machines this
//! runtime is measured on, contention for it is negligible next to the task queues; a sharded
//! wheel per worker (as tokio adopted in 2024 for many-core machines) would add a second level of
//! "earliest deadline" bookkeeping to the park handshake for no measurable gain here.

use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::PoisonError;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::entry::{TimerEntry, FIRED, REGISTERED, UNREGISTERED};
use super::wheel::{Expired, Wheel};
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::loom::sync::{Arc, Mutex, MutexGuard};

/// Called when a newly inserted deadline is earlier than the one a parked thread waits for.
pub(crate) type Unpark = Box<dyn Fn() + Send + Sync>;

/// `next_wake` when nothing is pending.
const NO_WAKE: u64 = u64::MAX;

/// Wakers collected under the lock before it is released (rule 1).
const WAKE_BATCH: usize = 32;

/// Shared side of the timer driver: cheap to clone, usable from every thread.
#[derive(Clone)]
pub(crate) struct Handle {
    inner: Arc<Inner>,
}

struct Inner {
    origin: Instant,
    /// Rule 2.
    next_wake: AtomicU64,
    locked: Mutex<Locked>,
    unpark: Unpark,
}

struct Locked {
    /// Boxed: 3 KiB of slot heads that would otherwise be moved around on the stack.
    wheel: Box<Wheel>,
    /// Rule 3.
    parked_until: Option<u64>,
    /// Rule 4.
    is_shutdown: bool,
}

// === impl Handle ===

impl Handle {
    pub(crate) fn new(unpark: Unpark) -> Handle {
        Handle {
            inner: Arc::new(Inner {
                origin: Instant::now(),
                next_wake: AtomicU64::new(NO_WAKE),
                locked: Mutex::new(Locked {
                    wheel: Box::new(Wheel::new()),
                    parked_until: None,
                    is_shutdown: false,
                }),
                unpark,
            }),
        }
    }

    /// A thread is about to block in the reactor: returns the earliest pending deadline (the park
    /// timeout) and remembers it, so that an insert of an earlier deadline calls `unpark`.
    pub(crate) fn before_park(&self) -> Option<Instant> {
        let mut locked = self.lock();
        if locked.is_shutdown {
            return None;
        }
        let next = locked.wheel.next_expiration();
        locked.parked_until = Some(next.unwrap_or(u64::MAX));
        next.map(|tick| self.instant_at(tick))
    }

    /// The parked thread woke up: forget the armed deadline and fire every timer due at `now`.
    /// Returns how many fired.
    pub(crate) fn after_park(&self, now: Instant) -> usize {
        let locked = {
            let mut locked = self.lock();
            locked.parked_until = None;
            locked
        };
        self.fire_due(self.tick_floor(now), locked)
    }

    /// Fires every timer whose deadline is at or before `now` (a non-blocking reactor turn).
    /// Costs one atomic load when nothing is due (rule 2). Returns how many fired.
    pub(crate) fn process(&self, now: Instant) -> usize {
        let now = self.tick_floor(now);
        // Relaxed: a hint (rule 2). A stale, too-late value only defers the firing to the next
        // turn; the lock taken below orders everything else.
        if now < self.inner.next_wake.load(Ordering::Relaxed) {
            return 0;
        }
        self.fire_due(now, self.lock())
    }

    /// Called once when the runtime shuts down, after every task is dropped: fires every pending
    /// entry, and every later registration completes at once (rule 4).
    pub(crate) fn shutdown(&self) {
        let mut locked = self.lock();
        locked.is_shutdown = true;
        locked.parked_until = None;
        let mut wakes = WakeList::new();
        while let Some(entry) = locked.wheel.drain_one() {
            // SAFETY: just unlinked under the lock; linked entries are alive (entry rule 5).
            wakes.push(unsafe { TimerEntry::fire(entry) });
            if wakes.is_full() {
                drop(locked);
                wakes.wake_all();
                locked = self.lock();
            }
        }
        // Relaxed: written under the lock; a reader that sees the old value takes the lock.
        self.inner.next_wake.store(NO_WAKE, Ordering::Relaxed);
        drop(locked);
        wakes.wake_all();
    }

    // --- the clock ---

    /// `instant` as the nanoseconds since the origin that an entry stores (negative before it),
    /// clamped to the `i64` range: about 292 years either side of the origin.
    pub(super) fn nanos_since_origin(&self, instant: Instant) -> i64 {
        let origin = self.inner.origin;
        match instant.checked_duration_since(origin) {
            Some(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            None => i64::try_from(origin.duration_since(instant).as_nanos())
                .map_or(i64::MIN, |before| -before),
        }
    }

    /// The instant `nanos` after the origin (before it when negative): the exact inverse of
    /// [`nanos_since_origin`](Self::nanos_since_origin), for every value that it returns.
    pub(super) fn instant_at_nanos(&self, nanos: i64) -> Instant {
        let offset = Duration::from_nanos(nanos.unsigned_abs());
        // Neither can overflow: `nanos` came from `nanos_since_origin` of a real instant, and
        // lies between the origin and that instant (clamping only moves towards the origin).
        if nanos >= 0 {
            self.inner.origin + offset
        } else {
            self.inner.origin - offset
        }
    }

    /// The last whole tick at `now`.
    fn tick_floor(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.inner.origin);
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn instant_at(&self, tick: u64) -> Instant {
        self.inner
            .origin
            .checked_add(Duration::from_millis(tick))
            .unwrap_or_else(|| super::far_future(self.inner.origin))
    }

    // --- entries (called by `Sleep`) ---

    /// Registers an unregistered `entry` (its deadline on this handle's time base), waking `waker`
    /// when it fires. `Ready` if it is already due or the driver is shut down (then the entry is
    /// `FIRED`).
    ///
    /// # Safety
    /// The caller owns `entry` and cancels it (with [`Handle::cancel`], on this handle) before the
    /// entry is dropped or its memory reused; the pin keeps it from moving (entry rule 5).
    pub(super) unsafe fn register(&self, entry: Pin<&TimerEntry>, waker: &Waker) -> Poll<()> {
        debug_assert_eq!(entry.state(), UNREGISTERED);
        let mut locked = self.lock();
        if locked.is_shutdown {
            entry.set_state(FIRED);
            return Poll::Ready(());
        }
        let pointer = NonNull::from(entry.get_ref());
        // SAFETY: the caller's contract keeps the entry alive and pinned while linked; it is
        // unregistered, so not linked; we hold the lock.
        let expiration = match unsafe { locked.wheel.insert(pointer) } {
            Ok(expiration) => expiration,
            Err(Expired) => {
                entry.set_state(FIRED);
                return Poll::Ready(());
            }
        };
        // SAFETY: we are the owner and hold the lock (entry rule 2).
        let old_waker = unsafe { entry.replace_waker(waker) };
        entry.set_state(REGISTERED);
        // Relaxed: written under the lock (rule 2); lock-free readers only use it as a hint.
        if expiration < self.inner.next_wake.load(Ordering::Relaxed) {
            self.inner.next_wake.store(expiration, Ordering::Relaxed);
        }
        let must_unpark = match locked.parked_until {
            Some(armed) if expiration < armed => {
                locked.parked_until = Some(expiration);
                true
            }
            _ => false,
        };
        drop(locked);
        drop(old_waker);
        if must_unpark {
            (self.inner.unpark)();
        }
        Poll::Pending
    }

    /// Replaces the waker of a registered `entry`; `Ready` if it fired meanwhile.
    pub(super) fn update_waker(&self, entry: Pin<&TimerEntry>, waker: &Waker) -> Poll<()> {
        let locked = self.lock();
        // Under the lock the state is stable (entry rule 4).
        if entry.state() == FIRED {
            return Poll::Ready(());
        }
        // SAFETY: the owner calls this, and holds the lock (entry rule 2).
        let old_waker = unsafe { entry.replace_waker(waker) };
        drop(locked);
        drop(old_waker);
        Poll::Pending
    }

    /// Unlinks `entry` if it is still registered (it may have fired meanwhile). O(1).
    pub(super) fn cancel(&self, entry: Pin<&TimerEntry>) {
        let mut locked = self.lock();
        // Under the lock the state is stable (entry rule 4).
        if entry.state() == REGISTERED {
            // SAFETY: a registered entry is alive and linked into this handle's wheel: `register`
            // is the only way in, and the owner calls `cancel` on the same handle.
            unsafe { locked.wheel.remove(NonNull::from(entry.get_ref())) };
            entry.set_state(UNREGISTERED);
        }
    }

    // --- internals ---

    /// The instant tick 0 stands for.
    #[cfg(test)]
    pub(super) fn origin(&self) -> Instant {
        self.inner.origin
    }

    /// Is the wheel lock free right now? (Tests check that wakers run outside it.)
    #[cfg(test)]
    pub(super) fn lock_is_free(&self) -> bool {
        self.inner.locked.try_lock().is_ok()
    }

    /// Is any entry linked into the wheel?
    #[cfg(any(test, loom))]
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().wheel.next_expiration().is_none()
    }

    fn lock(&self) -> MutexGuard<'_, Locked> {
        // No code that can panic runs under the lock while the wheel is inconsistent (a panicking
        // `Waker::clone` aborts), so a poisoned lock still guards a consistent wheel.
        self.inner
            .locked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Fires everything due at tick `now`, releasing the lock for each batch of wakeups (rule 1).
    /// Returns how many fired.
    fn fire_due<'a>(&'a self, now: u64, mut locked: MutexGuard<'a, Locked>) -> usize {
        let mut wakes = WakeList::new();
        let mut fired = 0;
        while let Some(entry) = locked.wheel.poll(now) {
            fired += 1;
            // SAFETY: `poll` just unlinked this registered entry under the lock; linked entries
            // are alive (entry rule 5).
            wakes.push(unsafe { TimerEntry::fire(entry) });
            if wakes.is_full() {
                drop(locked);
                wakes.wake_all();
                locked = self.lock();
            }
        }
        let next = locked.wheel.next_expiration().unwrap_or(NO_WAKE);
        // Relaxed: written under the lock (rule 2); lock-free readers only use it as a hint.
        self.inner.next_wake.store(next, Ordering::Relaxed);
        drop(locked);
        wakes.wake_all();
        fired
    }
}

/// Up to [`WAKE_BATCH`] wakers, woken after the lock is released.
struct WakeList {
    wakers: [Option<Waker>; WAKE_BATCH],
    len: usize,
}

impl WakeList {
    fn new() -> WakeList {
        WakeList {
            wakers: std::array::from_fn(|_| None),
            len: 0,
        }
    }

    fn push(&mut self, waker: Option<Waker>) {
        if waker.is_some() {
            self.wakers[self.len] = waker;
            self.len += 1;
        }
    }

    fn is_full(&self) -> bool {
        self.len == WAKE_BATCH
    }

    fn wake_all(&mut self) {
        for waker in &mut self.wakers[..self.len] {
            if let Some(waker) = waker.take() {
                waker.wake();
            }
        }
        self.len = 0;
    }
}
