//! Parking a worker thread: a futex-style token per worker.
//!
//! # The token model
//!
//! As in crossbeam-utils' `Parker` and `std::thread::park`: each worker has one token that is
//! either available (`NOTIFIED`) or not. `unpark` makes it available; `park` consumes it,
//! blocking until it is there. An `unpark` that comes before the `park` is therefore never
//! lost, and two `unpark`s before one `park` wake it once.
//!
//! The state is one `AtomicU32`:
//!
//! | state           | meaning                                                    |
//! |-----------------|------------------------------------------------------------|
//! | `EMPTY`         | running, no token                                          |
//! | `NOTIFIED`      | the token is available                                     |
//! | `PARKED`        | blocked in `futex_wait` on this word                       |
//! | `PARKED_DRIVER` | blocked in the reactor: `unpark` must wake the reactor     |
//!
//! `unpark` is a `swap` to `NOTIFIED`, not a CAS: whatever the state was, the token is now
//! available, and the old value tells us whom to wake. The parker loops on the state after
//! waking, because futexes wake spuriously.
//!
//! On Linux the block is `futex(FUTEX_WAIT_PRIVATE)` on the state word itself, so the kernel
//! rechecks "still `PARKED`?" atomically with going to sleep. Elsewhere, and under loom, a
//! `Mutex`/`Condvar` pair plays the kernel's part.

use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Duration;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = 2;
const PARKED_DRIVER: u32 = 3;

/// Spins before blocking: a wake-up often arrives within microseconds under load, and a
/// futex round trip costs two syscalls and a context switch.
const SPINS: u32 = if crate::loom::IS_LOOM { 0 } else { 64 };

pub(crate) struct Parker {
    state: AtomicU32,
    #[cfg(not(all(target_os = "linux", not(loom))))]
    fallback: fallback::Sleeper,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicU32::new(EMPTY),
            #[cfg(not(all(target_os = "linux", not(loom))))]
            fallback: fallback::Sleeper::new(),
        }
    }

    /// Consumes the token without blocking. `true` if it was there.
    fn try_consume(&self) -> bool {
        // Acquire: pairs with the Release swap in `unpark`: we see what the unparker wrote.
        self.state
            .compare_exchange(NOTIFIED, EMPTY, Acquire, Relaxed)
            .is_ok()
    }

    /// Blocks until the token is available, then consumes it.
    // SPINS is 0 under loom (a spin only multiplies interleavings there).
    #[allow(clippy::reversed_empty_ranges)]
    pub(crate) fn park(&self) {
        for _ in 0..SPINS {
            if self.try_consume() {
                return;
            }
            crate::loom::hint::spin_loop();
        }
        if self
            .state
            .compare_exchange(EMPTY, PARKED, Acquire, Relaxed)
            .is_err()
        {
            // It was NOTIFIED: consume it. Acquire: as in `try_consume`.
            let prev = self.state.swap(EMPTY, Acquire);
            debug_assert_eq!(prev, NOTIFIED);
            return;
        }
        loop {
            self.wait_while_parked();
            if self.try_consume() {
                return;
            }
            // Spurious wake-up: the state is still PARKED.
        }
    }

    /// Like `park`, but blocks in the reactor: I/O, timers, or `unpark` end the wait. Returns
    /// after one reactor turn even without the token (the caller rechecks for work): the I/O
    /// events of that turn, or `None` if the token was there and it did not turn.
    pub(crate) fn park_driver(
        &self,
        driver: &mut Driver,
        handle: &DriverHandle,
        timeout: Option<Duration>,
    ) -> Option<usize> {
        if self.try_consume() {
            return None;
        }
        // Acquire on failure too: we then consume the token.
        if self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, Acquire, Acquire)
            .is_err()
        {
            self.state.swap(EMPTY, Acquire);
            return None;
        }
        let events = driver.park(handle, timeout);
        // Consume the token if an unpark came, or just leave PARKED_DRIVER. Acquire: pairs
        // with the Release swap in `unpark`.
        self.state.swap(EMPTY, Acquire);
        Some(events)
    }

    /// Makes the token available, waking the parked thread if there is one. Returns whether
    /// it found the thread blocked (and so made a futex wake or a reactor unpark).
    pub(crate) fn unpark(&self, driver: &DriverHandle) -> bool {
        // Release: pairs with the Acquire in `park`/`try_consume`: the woken thread sees what
        // we did before (e.g. the task we pushed).
        match self.state.swap(NOTIFIED, Release) {
            EMPTY | NOTIFIED => false,
            PARKED => {
                self.wake_parked();
                true
            }
            PARKED_DRIVER => {
                driver.unpark();
                true
            }
            state => unreachable!("invalid parker state {state}"),
        }
    }
}

#[cfg(all(target_os = "linux", not(loom)))]
impl Parker {
    fn wait_while_parked(&self) {
        // SAFETY: futex(2) with FUTEX_WAIT_PRIVATE reads the u32 at a valid, aligned address
        // (an AtomicU32 has u32's layout) and sleeps only while it still equals PARKED.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                PARKED,
                std::ptr::null::<libc::timespec>(),
            );
        }
    }

    fn wake_parked(&self) {
        // SAFETY: FUTEX_WAKE only uses the address as a key; it need not stay valid after.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                1,
            );
        }
    }
}

#[cfg(not(all(target_os = "linux", not(loom))))]
impl Parker {
    fn wait_while_parked(&self) {
        self.fallback
            .wait_while(|| self.state.load(Acquire) == PARKED);
    }

    fn wake_parked(&self) {
        self.fallback.notify();
    }
}

#[cfg(not(all(target_os = "linux", not(loom))))]
mod fallback {
    use crate::loom::sync::{Condvar, Mutex};

    /// The kernel's part of a futex: "sleep while the condition holds", checked under a lock
    /// that `notify` also takes, so a notify between the check and the sleep is not lost.
    pub(super) struct Sleeper {
        lock: Mutex<()>,
        condvar: Condvar,
    }

    impl Sleeper {
        pub(super) fn new() -> Sleeper {
            Sleeper {
                lock: Mutex::new(()),
                condvar: Condvar::new(),
            }
        }

        pub(super) fn wait_while(&self, condition: impl Fn() -> bool) {
            let guard = self.lock.lock().unwrap();
            if condition() {
                drop(self.condvar.wait(guard).unwrap());
            }
        }

        pub(super) fn notify(&self) {
            drop(self.lock.lock().unwrap());
            self.condvar.notify_one();
        }
    }
}
