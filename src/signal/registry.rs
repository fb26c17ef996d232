//! The process-wide half of signal handling: one OS handler per signal, one self-pipe, and a
//! generation counter per signal that listeners compare against.
//!
//! # How a signal travels
//!
//! 1. **Handler** (installed once per signal, through `signal-hook-registry`, which chains any
//!    handler installed before it): sets the signal's `pending` flag, then writes one byte to
//!    the write end of a Unix socket pair. Both are async-signal-safe: an atomic store and
//!    `write(2)`. The byte may be dropped if the socket buffer is full; the flag is not.
//! 2. **Reactor**: every listener ([`Signal`](super::unix::Signal)) registers its own
//!    duplicate of the read end with the reactor of its runtime, as an
//!    [`AsyncFd`](crate::io::AsyncFd). The byte makes each of them readable.
//! 3. **Drain, then broadcast** ([`Globals::drain_and_broadcast`]): a listener whose duplicate
//!    is readable reads the socket empty, then takes every `pending` flag; for each one it
//!    finds set it bumps that signal's generation and wakes its listeners, in every runtime.
//!    Which listener drains does not matter: whoever reads a byte takes the flags after it.
//! 4. **Listener**: it remembers the generation it last saw; a larger one means at least one
//!    signal arrived since. Several signals between two `recv`s coalesce into one, as in tokio.
//!
//! # Why no signal is lost
//!
//! 5. A listener's generation starts at the value current when `signal()` returns, and the
//!    handler is installed before that. A signal raised later sets `pending` *before* its byte
//!    is written. The byte is read by some drain, and that drain's flag swap comes after the
//!    read, so it sees the flag (or an earlier swap, also after the store, already took it and
//!    broadcast). A broadcast bumps the generation under the signal's lock and wakes every
//!    waker registered under it; a listener compares and registers under the same lock.
//! 6. A listener that polls before any broadcast drains the pipe itself: a new registration
//!    counts as readable, so its first poll always reads. So a signal raised before any
//!    listener polls is delivered at the first poll, even in a runtime whose reactor never
//!    saw the edge.
//! 7. The reactor is edge-triggered and a duplicate of a socket another listener has just
//!    drained may report nothing: that listener has broadcast, which is what matters.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::Waker;

use crate::io::DirectionWaiters;

/// Everything the process shares about signals.
pub(super) struct Globals {
    /// Written by the handlers (rule 1).
    sender: UnixStream,
    /// Read by whichever listener drains (rule 3); each listener registers a duplicate.
    receiver: UnixStream,
    /// One per signal number, `0..=SIGRTMAX`.
    slots: Box<[Slot]>,
}

/// The state of one signal number.
pub(super) struct Slot {
    /// Set by the handler, taken by a drain (rules 1 and 3).
    pending: AtomicBool,
    /// Whether the OS handler is installed; the lock serializes installation.
    installed: Mutex<bool>,
    event: Mutex<Event>,
}

/// What listeners compare against and wait on (rule 4).
pub(super) struct Event {
    /// How many broadcasts this signal has had.
    pub(super) generation: u64,
    /// The wakers of waiting listeners, one key per listener.
    pub(super) waiters: DirectionWaiters,
}

static GLOBALS: OnceLock<io::Result<Globals>> = OnceLock::new();

/// The process's signal state, created on first use.
///
/// # Errors
/// Creating the socket pair failed (once failed, every call reports it).
pub(super) fn globals() -> io::Result<&'static Globals> {
    match GLOBALS.get_or_init(Globals::new) {
        Ok(globals) => Ok(globals),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

impl Globals {
    fn new() -> io::Result<Globals> {
        let (sender, receiver) = UnixStream::pair()?;
        // Non-blocking on both ends: a full buffer must not block a handler (the flag still
        // records the signal), and the reactor drives the read end.
        sender.set_nonblocking(true)?;
        receiver.set_nonblocking(true)?;
        let slots = (0..=libc::SIGRTMAX())
            .map(|_| Slot {
                pending: AtomicBool::new(false),
                installed: Mutex::new(false),
                event: Mutex::new(Event {
                    generation: 0,
                    waiters: DirectionWaiters::default(),
                }),
            })
            .collect();
        Ok(Globals {
            sender,
            receiver,
            slots,
        })
    }

    /// The slot of `signum`, with its OS handler installed.
    ///
    /// # Errors
    /// `signum` is out of range or one that cannot be handled (`SIGKILL`, `SIGSTOP`, `SIGILL`,
    /// `SIGFPE`, `SIGSEGV`), or the OS refused the handler.
    pub(super) fn slot(&'static self, signum: libc::c_int) -> io::Result<&'static Slot> {
        let slot = usize::try_from(signum)
            .ok()
            .filter(|_| signum > 0 && !signal_hook_registry::FORBIDDEN.contains(&signum))
            .and_then(|index| self.slots.get(index))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("signal {signum} cannot be listened for"),
                )
            })?;
        let mut installed = lock(&slot.installed);
        if !*installed {
            let action = move || {
                // SeqCst: the flag must be visible to whoever reads the byte written next
                // (rule 5). The edge between them is the socket, which the memory model cannot
                // see; SeqCst here and on the drain's swap, with the syscalls between, is the
                // strongest promise the language offers.
                slot.pending.store(true, SeqCst);
                // A full buffer drops the byte: a wake is already queued, and the flag is set.
                let _ = (&self.sender).write(&[1]);
            };
            // SAFETY: `action` is async-signal-safe, as `register` requires: an atomic store and
            // one `write(2)` on a non-blocking socket (std's `write` on a `UnixStream` is the
            // bare syscall: no allocation, no lock), and it cannot panic. `signum` is not
            // forbidden (checked above), so `register` does not panic either.
            unsafe { signal_hook_registry::register(signum, action) }?;
            *installed = true;
        }
        Ok(slot)
    }

    /// A duplicate of the read end, for one listener to register (rule 2).
    ///
    /// # Errors
    /// `dup` failed (out of descriptors).
    pub(super) fn receiver(&self) -> io::Result<UnixStream> {
        self.receiver.try_clone()
    }

    /// Rule 3: reads the socket empty, then broadcasts every pending signal. Returns the
    /// `WouldBlock` that proves the socket drained (for `AsyncFd`'s readiness), or another error.
    pub(super) fn drain_and_broadcast(&self, receiver: &UnixStream) -> io::Result<()> {
        let mut buf = [0u8; 128];
        let result = loop {
            match (&*receiver).read(&mut buf) {
                Ok(0) => break Ok(()), // the sender lives as long as the process: not reached
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        self.broadcast();
        result
    }

    fn broadcast(&self) {
        let mut wake_list = Vec::new();
        for slot in self.slots.iter() {
            // SeqCst: pairs with the handler's store (rule 5).
            if slot.pending.swap(false, SeqCst) {
                let mut event = lock(&slot.event);
                event.generation += 1;
                event.waiters.take_all(&mut wake_list);
            }
        }
        wake_list.into_iter().for_each(Waker::wake);
    }
}

impl Slot {
    /// The event state of this signal, locked.
    pub(super) fn event(&self) -> MutexGuard<'_, Event> {
        lock(&self.event)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held (wakers are woken after release), so a
    // poisoned lock still holds consistent state.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
