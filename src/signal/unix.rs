//! Unix signals: [`signal`] makes a [`Signal`] listener for one [`SignalKind`].
//!
//! Listeners are cheap (one duplicated descriptor each); any number may listen for the same
//! signal, in any number of runtimes, and each hears every signal raised after its `signal()`
//! returned (several raised close together may coalesce into one `recv`).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::UnixStream;
use std::task::{ready, Context, Poll};

use super::registry::{globals, Globals, Slot};
use crate::io::AsyncFd;

/// Which signal to listen for: a named constructor for the common ones, or any number with
/// [`from_raw`](Self::from_raw).
///
/// # Examples
///
/// ```
/// use tourbillon::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::terminate(), SignalKind::from_raw(libc::SIGTERM));
/// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

/// A listener for one signal, from [`signal`]. Every signal raised after it was created is
/// heard by [`recv`](Self::recv).
///
/// Dropping the listener stops listening; the OS handler stays installed for the rest of the
/// process (it only records the signal), so the signal's default action (for example,
/// terminating on `SIGTERM`) no longer happens once any listener was made for it.
///
/// # Examples
///
/// ```
/// use tourbillon::signal::unix::{signal, SignalKind};
///
/// # tourbillon::block_on(async {
/// let mut usr1 = signal(SignalKind::user_defined1())?;
/// // SAFETY (of the example): raising a signal has no memory-safety preconditions.
/// unsafe { libc::raise(libc::SIGUSR1) };
/// assert_eq!(usr1.recv().await, Some(()));
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct Signal {
    globals: &'static Globals,
    slot: &'static Slot,
    /// This listener's duplicate of the self-pipe's read end (registry rule 2).
    receiver: AsyncFd<UnixStream>,
    /// The generation last reported by `recv` (registry rule 4).
    seen: u64,
    /// This listener's waker key in the signal's waiters.
    key: Option<usize>,
}

/// Starts listening for `kind`: installs the process's handler for it (once per process) and
/// registers a listener with the current runtime. A signal raised after this returns is never
/// lost.
///
/// # Errors
/// The signal cannot be handled (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, or a
/// number out of range), the OS refused the handler, descriptors ran out, or the runtime has
/// shut down.
///
/// # Panics
/// Outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use tourbillon::signal::unix::{signal, SignalKind};
///
/// # tourbillon::block_on(async {
/// let mut hangups = signal(SignalKind::hangup())?;
/// // SAFETY (of the example): raising a signal has no memory-safety preconditions.
/// unsafe { libc::raise(libc::SIGHUP) };
/// hangups.recv().await;
///
/// assert!(signal(SignalKind::from_raw(libc::SIGKILL)).is_err());
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let globals = globals()?;
    let slot = globals.slot(kind.0)?;
    let receiver = AsyncFd::new(globals.receiver()?)?;
    // Registry rule 5: the handler is installed, so every signal from now on bumps the
    // generation past this one.
    let seen = slot.event().generation;
    Ok(Signal {
        globals,
        slot,
        receiver,
        seen,
        key: None,
    })
}

// === impl SignalKind ===

impl SignalKind {
    /// Any signal by number (`libc::SIGWINCH`, a real-time signal, ...). [`signal`] rejects
    /// the ones that cannot be handled.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::from_raw(libc::SIGINT), SignalKind::interrupt());
    /// ```
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGINT`: the terminal's interrupt key (Ctrl-C).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to terminate (what `kill` and service managers send).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal hung up; daemons often take it as "reload the configuration".
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGUSR1`: meaning defined by the program.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: meaning defined by the program.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

// === impl Signal ===

impl Signal {
    /// Waits for the signal: completes once for every signal raised since the previous `recv`
    /// (or since [`signal`] returned); several raised in between may complete it only once.
    ///
    /// Returns `None` instead of waiting once the runtime the listener was made in has shut
    /// down: its reactor will never wake it again.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::signal::unix::{signal, SignalKind};
    ///
    /// # tourbillon::block_on(async {
    /// // Two listeners of one signal: both hear it.
    /// let mut first = signal(SignalKind::user_defined1())?;
    /// let mut second = signal(SignalKind::user_defined1())?;
    /// // SAFETY (of the example): raising a signal has no memory-safety preconditions.
    /// unsafe { libc::raise(libc::SIGUSR1) };
    /// assert_eq!(first.recv().await, Some(()));
    /// assert_eq!(second.recv().await, Some(()));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the signal: [`recv`](Self::recv) for callers that write their own futures.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use tourbillon::signal::unix::{signal, SignalKind};
    ///
    /// # tourbillon::block_on(async {
    /// let mut usr2 = signal(SignalKind::user_defined2())?;
    /// // SAFETY (of the example): raising a signal has no memory-safety preconditions.
    /// unsafe { libc::raise(libc::SIGUSR2) };
    /// assert_eq!(poll_fn(|cx| usr2.poll_recv(cx)).await, Some(()));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        loop {
            // Registry rule 4: compare, and register for the next broadcast, under one lock.
            {
                let mut event = self.slot.event();
                if event.generation != self.seen {
                    self.seen = event.generation;
                    return Poll::Ready(Some(()));
                }
                event.waiters.set_shared(&mut self.key, cx.waker());
            }
            // Registry rule 3: if the self-pipe is readable, drain it and broadcast ourselves.
            let Ok(mut guard) = ready!(self.receiver.poll_read_ready(cx)) else {
                return Poll::Ready(None);
            };
            let globals = self.globals;
            match guard.try_io(|receiver| globals.drain_and_broadcast(receiver.get_ref())) {
                // Drained to `WouldBlock`: readiness cleared; compare again, then wait.
                Err(_would_block) => {}
                // Cannot happen for a socket pair that lives as long as the process; stop
                // rather than spin.
                Ok(_) => return Poll::Ready(None),
            }
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.slot.event().waiters.remove_shared(key);
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}
