//! [`timeout`]: race a future against a [`Sleep`].
//!
//! The inner future is polled first, so a future that is ready at once never registers a timer,
//! and the sleep is polled only while the future is pending (the sleep registers lazily).

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep, sleep_until, Sleep};

/// Requires `future` to complete within `duration`.
///
/// Awaits to `Ok(output)` if the future completes first, or `Err(Elapsed)` once `duration` has
/// passed (the future is then dropped when the `Timeout` is). The future gets the last word: if
/// it is ready on the poll that also finds the deadline passed, its output wins.
///
/// # Errors
///
/// [`Elapsed`] if the deadline passes before the future completes.
///
/// # Panics
///
/// Outside a tourbillon runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tourbillon::time::{sleep, timeout};
///
/// tourbillon::block_on(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     let slow = sleep(Duration::from_secs(60));
///     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: sleep(duration),
    }
}

/// Requires `future` to complete before `deadline`; see [`timeout`].
///
/// # Errors
///
/// [`Elapsed`] if the deadline passes before the future completes.
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
///     let deadline = Instant::now() + Duration::from_secs(5);
///     assert_eq!(tourbillon::time::timeout_at(deadline, async { 7 }).await, Ok(7));
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: sleep_until(deadline),
    }
}

/// A future with a deadline. Created by [`timeout`] and [`timeout_at`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// tourbillon::block_on(async {
///     let timed: tourbillon::time::Timeout<_> =
///         tourbillon::time::timeout(Duration::from_secs(5), async { "in time" });
///     assert_eq!(timed.await, Ok("in time"));
/// });
/// ```
#[must_use = "a Timeout does nothing unless polled or `.await`ed"]
#[derive(Debug)]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

/// The error of a [`Timeout`] whose deadline passed first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// tourbillon::block_on(async {
///     let never = std::future::pending::<()>();
///     let error = tourbillon::time::timeout(Duration::from_millis(1), never).await.unwrap_err();
///     assert_eq!(error.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

// === impl Timeout ===

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tourbillon::block_on(async {
    ///     let timed = tourbillon::time::timeout(Duration::from_secs(5), std::future::ready(3));
    ///     assert_eq!(timed.get_ref().clone().await, 3);
    /// });
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Gives the inner future back, dropping the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tourbillon::block_on(async {
    ///     let timed = tourbillon::time::timeout(Duration::from_millis(1), async { 9 });
    ///     // Without its deadline, the future runs to completion however long it takes.
    ///     assert_eq!(timed.into_inner().await, 9);
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    fn project(self: Pin<&mut Self>) -> (Pin<&mut F>, Pin<&mut Sleep>) {
        // SAFETY: both fields are structurally pinned: `Timeout` is `Unpin` only if both are, has
        // no `Drop` impl, and never moves them out while pinned (`into_inner` takes it unpinned).
        unsafe {
            let this = self.get_unchecked_mut();
            (
                Pin::new_unchecked(&mut this.future),
                Pin::new_unchecked(&mut this.sleep),
            )
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (future, sleep) = self.project();
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        sleep.poll(cx).map(|()| Err(Elapsed(())))
    }
}

// === impl Elapsed ===

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}
