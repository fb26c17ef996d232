//! The I/O driver: the blocking [`Driver`] and its shared [`Handle`].
//!
//! # Registrations
//!
//! A registration's mio token is its index in a slab of `Arc<ScheduledIo>` kept by the shared
//! state. Sockets hold a second `Arc` to the same `ScheduledIo`.
//!
//! 1. **Only the driver frees a slot.** Dropping a socket deregisters its source and queues the
//!    slot on `released`; the driver frees queued slots at the start of its next turn. By then
//!    every event collected before the deregistration has been dispatched (a turn dispatches all
//!    it collects), and no later poll reports the token (poller rule 4). So an in-flight event
//!    never reaches a *new* registration that reused the slot; at worst it sets readiness on an
//!    orphaned `ScheduledIo` that nobody reads. (The slab is safe Rust: a stale token could never
//!    touch freed memory; this rule keeps it from even waking the wrong task.)
//! 2. A registration whose OS registration failed never had events in flight: its slot is freed
//!    at once.
//! 3. [`Handle::shutdown`] sets `is_shutdown` under the slab lock, then marks every live
//!    registration `SHUTDOWN` and wakes its waiters. A registration that got in before the lock
//!    is marked; one that comes after is refused with [`runtime_gone`]. Nothing is freed there:
//!    the slab goes when the last `Handle` does, and sockets hold handles, so a socket that
//!    outlives its runtime still deregisters through a valid registrar.
//!
//! # Parking protocol: a cheap `unpark`
//!
//! `park` is one atomic word: `EMPTY`, `PARKED` (the driver is, or is about to be, blocked in a
//! poll with a timeout) or `NOTIFIED` (an unpark came while nobody was blocked). It is the
//! token protocol of a thread parker, with the eventfd write as the only syscall:
//!
//! 4. [`Handle::unpark`] swaps in `NOTIFIED`; only if it took `PARKED` out does it write the
//!    `mio::Waker` (the eventfd). Unparks while the driver is busy cost one swap, no syscall.
//! 5. A blocking turn CASes `EMPTY → PARKED` before it polls. If it finds `NOTIFIED` it consumes
//!    it and polls without blocking. After the poll it swaps back to `EMPTY`.
//! 6. No wakeup is lost: all transitions are read-modify-writes of one word, so they are totally
//!    ordered. An unpark ordered before the driver's CAS makes the CAS fail (rule 5); one ordered
//!    after it sees `PARKED` and wakes the poll (rule 4). A wake that lands after the poll
//!    returned leaves an eventfd edge that makes the next poll return early: spurious, harmless.
//! 7. Non-blocking turns (`Some(ZERO)`) leave the word alone: they cannot miss a wakeup, and a
//!    pending `NOTIFIED` stays for the next blocking turn (at worst one spurious return).

use std::io;
use std::task::Waker;
use std::time::Duration;

use super::poller::{MioPoller, MioRegistrar, Poller, Registrar};
use super::scheduled_io::ScheduledIo;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use crate::loom::sync::{Arc, Mutex, MutexGuard};

/// The blocking half of the reactor: whoever holds it may block in [`Driver::turn`].
pub(crate) struct Driver<P: Poller = MioPoller> {
    poller: P,
    shared: Arc<Shared<P::Registrar>>,
    /// Wakers collected by a dispatch, woken after every lock is released (kept for its capacity).
    wake_list: Vec<Waker>,
}

/// The shared half of the reactor: registers sources, wakes the driver, shuts it down.
pub(crate) struct Handle<R: Registrar = MioRegistrar> {
    shared: Arc<Shared<R>>,
}

struct Shared<R> {
    registrar: R,
    park: Park,
    registrations: Mutex<Registrations>,
}

#[derive(Default)]
struct Registrations {
    /// Index = mio token. `None` marks a free slot.
    slots: Vec<Option<Arc<ScheduledIo>>>,
    free: Vec<usize>,
    /// Deregistered slots, freed by the driver at its next turn (rule 1).
    released: Vec<usize>,
    is_shutdown: bool,
}

/// The park word: `EMPTY`, `PARKED` or `NOTIFIED` (rules 4-7). Every transition is here.
struct Park(AtomicUsize);

/// No blocked turn, no pending notification.
const EMPTY: usize = 0;
/// A turn is blocked in the poller, or about to be; set and cleared by the driver only.
const PARKED: usize = 1;
/// An unpark came while no turn was blocked; consumed by the next blocking turn.
const NOTIFIED: usize = 2;

/// What a turn about to block does (rule 5).
#[must_use = "a turn that found a notification must not block"]
enum Parking {
    /// `EMPTY → PARKED`: block; an unpark will wake the poller.
    Parked,
    /// A notification was pending and is consumed: poll without blocking.
    Notified,
}

/// Whether an unpark must write the poller's waker (rule 4).
#[must_use = "an unpark that found the driver parked must wake the poller"]
#[derive(PartialEq, Eq)]
enum WakePoller {
    Yes,
    No,
}

/// The error every operation returns once the runtime that owned the reactor is gone.
pub(crate) fn runtime_gone() -> io::Error {
    io::Error::other("the tourbillon runtime this I/O resource belongs to has shut down")
}

// === impl Driver ===

impl Driver {
    /// A new reactor on mio, dispatching at most `max_events` events per turn.
    ///
    /// # Errors
    /// The OS refused to create the poll instance or its waker.
    pub(crate) fn new(max_events: usize) -> io::Result<(Driver, Handle)> {
        let (poller, registrar) = MioPoller::new(max_events)?;
        Ok(Driver::with_poller(poller, registrar))
    }
}

impl<P: Poller> Driver<P> {
    /// A reactor on any event source (a scripted fake under loom).
    pub(crate) fn with_poller(
        poller: P,
        registrar: P::Registrar,
    ) -> (Driver<P>, Handle<P::Registrar>) {
        let shared = Arc::new(Shared {
            registrar,
            park: Park(AtomicUsize::new(EMPTY)),
            registrations: Mutex::new(Registrations::default()),
        });
        let handle = Handle {
            shared: shared.clone(),
        };
        let driver = Driver {
            poller,
            shared,
            wake_list: Vec::new(),
        };
        (driver, handle)
    }

    /// Blocks for at most `timeout` (`None`: until an event or [`Handle::unpark`];
    /// `Some(ZERO)`: not at all), then sets the readiness of every source that reported an event
    /// and wakes the tasks waiting on it.
    ///
    /// # Panics
    /// If the OS poll fails with anything but `EINTR` (a bad poll fd: a bug, not a condition).
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> usize {
        self.free_released();

        let mut timeout = timeout;
        let parked = match timeout {
            Some(Duration::ZERO) => false, // rule 7
            _ => match self.shared.park.transition_to_parked() {
                Parking::Parked => true,
                Parking::Notified => {
                    timeout = Some(Duration::ZERO);
                    false
                }
            },
        };

        let shared = &*self.shared;
        let wake_list = &mut self.wake_list;
        let mut registrations: Option<MutexGuard<'_, Registrations>> = None;
        let mut events = 0;
        let result = self.poller.poll(timeout, |token, ready| {
            // Poller rule 3: called after the wait, so taking the lock here never blocks a
            // registering thread for the length of a poll.
            let registrations = registrations.get_or_insert_with(|| shared.lock_registrations());
            if let Some(Some(io)) = registrations.slots.get(token) {
                io.set_readiness(ready);
                io.wake(ready, wake_list);
                events += 1;
            }
        });
        drop(registrations);

        if parked {
            self.shared.park.transition_to_empty();
        }
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reactor poll failed: {e}"),
        }
        self.wake_list.drain(..).for_each(Waker::wake);
        events
    }

    /// Rule 1: frees the slots deregistered since the last turn.
    fn free_released(&mut self) {
        let mut registrations = self.shared.lock_registrations();
        let Registrations {
            slots,
            free,
            released,
            ..
        } = &mut *registrations;
        for token in released.drain(..) {
            slots[token] = None;
            free.push(token);
        }
    }
}

// === impl Handle ===

impl<R: Registrar> Handle<R> {
    /// Registers `source` for read and write readiness. Returns its token and its readiness.
    ///
    /// # Errors
    /// The runtime has shut down ([`runtime_gone`]), or the OS refused the registration.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
    ) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let token = {
            let mut registrations = self.shared.lock_registrations();
            if registrations.is_shutdown {
                return Err(runtime_gone());
            }
            let token = match registrations.free.pop() {
                Some(token) => token,
                None => {
                    registrations.slots.push(None);
                    registrations.slots.len() - 1
                }
            };
            registrations.slots[token] = Some(io.clone());
            token
        };
        if let Err(e) = self.shared.registrar.register(source, token) {
            // Rule 2: no event can be in flight for a failed registration.
            let mut registrations = self.shared.lock_registrations();
            registrations.slots[token] = None;
            registrations.free.push(token);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Deregisters `source` and hands its slot to the driver to free (rule 1).
    ///
    /// # Errors
    /// The OS refused the deregistration; the slot is released all the same.
    pub(crate) fn deregister(
        &self,
        source: &mut impl mio::event::Source,
        token: usize,
    ) -> io::Result<()> {
        let result = self.shared.registrar.deregister(source, token);
        self.shared.lock_registrations().released.push(token);
        result
    }

    /// How many slots hold a registration (live, or released and not yet freed by a turn).
    #[cfg(loom)]
    pub(crate) fn registrations(&self) -> usize {
        self.shared
            .lock_registrations()
            .slots
            .iter()
            .flatten()
            .count()
    }

    /// Wakes the thread blocked in [`Driver::turn`], or makes its next blocking turn return at
    /// once. Costs a syscall only when a turn is blocked (rule 4).
    pub(crate) fn unpark(&self) {
        if self.shared.park.notify() == WakePoller::Yes {
            // A failed eventfd write means the counter is saturated: a wake is already pending.
            let _ = self.shared.registrar.wake();
        }
    }

    /// Called once when the runtime shuts down: every current waiter is woken and every later
    /// operation on the reactor fails with [`runtime_gone`] (rule 3). Never panics.
    pub(crate) fn shutdown(&self) {
        let mut wake_list = Vec::new();
        {
            let mut registrations = self.shared.lock_registrations();
            registrations.is_shutdown = true;
            for io in registrations.slots.iter().flatten() {
                io.shutdown(&mut wake_list);
            }
        }
        wake_list.into_iter().for_each(Waker::wake);
        self.unpark();
    }
}

impl<R: Registrar> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

// === impl Park ===

impl Park {
    /// Rule 5: a turn is about to block.
    fn transition_to_parked(&self) -> Parking {
        // Relaxed: parking publishes nothing; a failed CAS is followed by the swap below, which
        // does the synchronizing.
        match self.0.compare_exchange(EMPTY, PARKED, Relaxed, Relaxed) {
            Ok(_) => Parking::Parked,
            Err(_) => {
                // Only `NOTIFIED` can be there: one driver, and it leaves `PARKED` behind only
                // while it polls. Acquire: pairs with the Release swap of every `notify` since
                // the last consume (a chain of swaps is one release sequence), so the work they
                // published is visible when this turn returns.
                self.0.swap(EMPTY, Acquire);
                Parking::Notified
            }
        }
    }

    /// Rule 5: the blocking poll has returned.
    fn transition_to_empty(&self) {
        // Acquire: pairs with the Release swap of any `notify` that came while the turn was
        // parked, so the work it published is visible when this turn returns.
        self.0.swap(EMPTY, Acquire);
    }

    /// Rule 4: records an unpark; says whether a turn is blocked and must be woken.
    fn notify(&self) -> WakePoller {
        // Release: pairs with the Acquire swaps in `transition_to_parked` and
        // `transition_to_empty`, so what the caller published before unparking (a queued task)
        // is visible to the woken driver.
        match self.0.swap(NOTIFIED, Release) {
            PARKED => WakePoller::Yes,
            _ => WakePoller::No,
        }
    }
}

// === impl Shared ===

impl<R> Shared<R> {
    fn lock_registrations(&self) -> MutexGuard<'_, Registrations> {
        // Nothing panics while the lock is held (wakers are woken after it is released), and
        // the slab stays consistent at every step, so a poisoned lock is still usable.
        self.registrations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
