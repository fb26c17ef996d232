//! [`Sleep`]: a future that completes at a deadline, and its constructors.
//!
//! A `Sleep` embeds its [`TimerEntry`]: no allocation per timer. It registers lazily, on the
//! first poll that finds the deadline still ahead, so creating and dropping a `Sleep` that was
//! never polled (a `timeout` whose future finished first) costs no lock and no wheel entry.
//!
//! | entry state    | `poll`                                                   | `drop`           |
//! |----------------|----------------------------------------------------------|------------------|
//! | `UNREGISTERED` | `Ready` if the deadline passed, else register (lock)     | nothing          |
//! | `REGISTERED`   | `Pending` if the stored waker `will_wake`, else swap it (lock) | cancel (lock, O(1)) |
//! | `FIRED`        | `Ready`                                                  | nothing          |

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::driver::Handle;
use super::entry::{TimerEntry, FIRED, REGISTERED, UNREGISTERED};

/// Waits until `duration` has elapsed.
///
/// The sleep completes no earlier than `duration` after this call, at a 1 ms granularity (the
/// deadline is rounded up to the next millisecond of the runtime's clock). A duration too large
/// to represent as an `Instant` sleeps for about 30 years (as tokio's does); any other that ends
/// more than about 292 years after the runtime started sleeps until then (see [`sleep_until`]).
///
/// # Panics
///
/// Outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// tourbillon::block_on(async {
///     let start = Instant::now();
///     tourbillon::time::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let now = Instant::now();
    sleep_until(
        now.checked_add(duration)
            .unwrap_or_else(|| super::far_future(now)),
    )
}

/// Waits until `deadline` is reached; completes at once if it has already passed.
///
/// A deadline more than 2^63 nanoseconds (about 292 years) after the runtime started is clamped
/// to that instant, and one as far before it to that one: [`Sleep::deadline`] then returns the
/// clamped instant, and the sleep behaves the same (pending for centuries, or due at once). Every
/// other deadline is kept exactly.
///
/// # Panics
///
/// Outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// tourbillon::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     tourbillon::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(super::current_handle(), deadline)
}

/// A future that completes at its deadline. Created by [`sleep`] and [`sleep_until`].
///
/// `Sleep` is `!Unpin` (its timer entry is linked into the wheel in place): `.await` it directly,
/// or pin it (`std::pin::pin!`, `Box::pin`) to poll it by hand or keep it across loop turns.
///
/// If the runtime shuts down while a `Sleep` is pending, it completes at once; a `Sleep` polled
/// after its runtime shut down completes at once too, even before its deadline: no driver is left
/// to fire it, and completing is better than hanging forever.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// tourbillon::block_on(async {
///     let sleep = tourbillon::time::sleep(Duration::from_millis(5));
///     let mut sleep = std::pin::pin!(sleep);
///     (&mut sleep).await;
///     assert!(sleep.is_elapsed());
/// });
/// ```
#[must_use = "a Sleep does nothing unless polled or `.await`ed"]
pub struct Sleep {
    handle: Handle,
    /// Structurally pinned: the wheel points at it while it is registered. It also holds the
    /// deadline, on `handle`'s time base.
    entry: TimerEntry,
}

// === impl Sleep ===

impl Sleep {
    /// A sleep on the timer driver behind `handle` (the loom models pass their own).
    pub(crate) fn new(handle: Handle, deadline: Instant) -> Sleep {
        let entry = TimerEntry::new(handle.nanos_since_origin(deadline));
        Sleep { handle, entry }
    }

    /// The instant this sleep completes at (or after).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// tourbillon::block_on(async {
    ///     let deadline = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(tourbillon::time::sleep_until(deadline).deadline(), deadline);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.handle.instant_at_nanos(self.entry.deadline())
    }

    /// Has this sleep completed (as seen by its last poll, or fired since)?
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tourbillon::block_on(async {
    ///     let sleep = tourbillon::time::sleep(Duration::from_secs(60));
    ///     assert!(!sleep.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.entry.state() == FIRED
    }

    /// Moves the deadline to `deadline`, whether or not this sleep has completed. The sleep is
    /// pending again (unless `deadline` has passed) and re-registers on its next poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// tourbillon::block_on(async {
    ///     let mut sleep = std::pin::pin!(tourbillon::time::sleep(Duration::from_secs(60)));
    ///     let soon = Instant::now() + Duration::from_millis(5);
    ///     sleep.as_mut().reset(soon);
    ///     sleep.await;
    ///     assert!(Instant::now() >= soon);
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        if self.entry.state() == REGISTERED {
            self.handle.cancel(self.as_ref().entry());
        }
        let nanos = self.handle.nanos_since_origin(deadline);
        // SAFETY: we own the entry, and it is not registered: `cancel` unlinked it, or it was
        // unregistered or `FIRED` already (entry rule 6).
        unsafe { self.entry.set_deadline(nanos) };
        // The owner of an unregistered (or fired) entry may reset its state (entry rule 4).
        self.entry.set_state(UNREGISTERED);
    }

    fn entry(self: Pin<&Self>) -> Pin<&TimerEntry> {
        // SAFETY: `entry` is structurally pinned: `Sleep` is `!Unpin` through it, never moves it
        // out, and its `Drop` cancels it in place.
        unsafe { self.map_unchecked(|sleep| &sleep.entry) }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.into_ref();
        match this.entry.state() {
            FIRED => Poll::Ready(()),
            REGISTERED if this.entry.will_wake(cx.waker()) => Poll::Pending,
            REGISTERED => this.handle.update_waker(this.entry(), cx.waker()),
            _ => {
                if this.deadline() <= Instant::now() {
                    this.entry.set_state(FIRED);
                    return Poll::Ready(());
                }
                // SAFETY: the entry is pinned inside `self`, and `Sleep::drop` (and `reset`)
                // cancel it on the same handle before it can go away.
                unsafe { this.handle.register(this.entry(), cx.waker()) }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Acquire (inside `state`) pairs with the Release in `fire`: `FIRED` means the firer is
        // done with the entry (entry rule 3); `REGISTERED` must be re-checked under the lock.
        if self.entry.state() == REGISTERED {
            // SAFETY: `self` is pinned (it is `!Unpin` and was polled through a `Pin`, the only way
            // to register), and this is its destructor: the entry has not moved.
            let this = unsafe { Pin::new_unchecked(&*self) };
            self.handle.cancel(this.entry());
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("is_elapsed", &self.is_elapsed())
            .finish()
    }
}
