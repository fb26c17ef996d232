//! Asynchronous signal handling: [`ctrl_c`], and any Unix signal through [`unix::signal`].
//!
//! The OS handler for a signal is installed once per process, through `signal-hook-registry`
//! (so handlers other libraries install through it are chained, not replaced), the first time
//! a listener for that signal is made. It records the signal and writes one byte to a socket
//! pair; listeners drive the socket's read end with the reactor, so a signal wakes waiting
//! tasks in every runtime of the process. `registry` has the rules.

mod registry;
pub mod unix;

use std::io;

/// Waits for Ctrl-C (`SIGINT`).
///
/// The listener is registered when the returned future is first polled: a `SIGINT` raised
/// before that is not seen by it. From then on, the process no longer terminates on `SIGINT`.
/// To listen from before the first poll, or more than once, use
/// [`unix::signal(SignalKind::interrupt())`](unix::signal).
///
/// # Errors
/// As [`unix::signal`].
///
/// # Panics
/// Outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::Poll;
///
/// # tourbillon::block_on(async {
/// let mut ctrl_c = pin!(tourbillon::signal::ctrl_c());
/// // Poll once so the listener exists, then press "Ctrl-C".
/// let first = std::future::poll_fn(|cx| Poll::Ready(ctrl_c.as_mut().poll(cx).is_pending()));
/// assert!(first.await);
/// // SAFETY (of the example): raising a signal has no memory-safety preconditions.
/// unsafe { libc::raise(libc::SIGINT) };
/// ctrl_c.await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    interrupts.recv().await;
    Ok(())
}
