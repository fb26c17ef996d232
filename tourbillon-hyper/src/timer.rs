//! [`TourbillonTimer`]: hyper's `Timer` on tourbillon's timer wheel.
//!
//! Each hyper sleep is one [`tourbillon::time::Sleep`] in a box (hyper's `Timer` returns
//! `Pin<Box<dyn Sleep>>`), made with the timer's runtime entered so it works on any thread.
//! [`reset`](hyper::rt::Timer::reset) recognises its own sleeps and moves their deadline in
//! place ([`tourbillon::time::Sleep::reset`]): no new box, no new timer entry. hyper resets
//! rather than re-creates on its hot paths (HTTP/2 keep-alive, header read timeouts).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;
use tourbillon::Handle;

/// Sleeps on the timer wheel of the tourbillon runtime it was made in.
///
/// Give it to the hyper builders whose timeouts need a timer (`header_read_timeout`, HTTP/2
/// `keep_alive_interval`, ...): hyper has none of its own.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tourbillon_hyper::TourbillonTimer;
///
/// tourbillon::block_on(async {
///     let mut http1 = hyper::server::conn::http1::Builder::new();
///     http1
///         .timer(TourbillonTimer::new())
///         .header_read_timeout(Duration::from_secs(10));
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TourbillonTimer {
    handle: Handle,
}

pin_project! {
    /// A tourbillon sleep as hyper's `Sleep` (a local type: the orphan rule forbids
    /// implementing hyper's trait on tourbillon's type directly).
    struct TourbillonSleep {
        #[pin]
        sleep: tourbillon::time::Sleep,
    }
}

impl TourbillonTimer {
    /// A timer for the current runtime.
    ///
    /// # Panics
    /// Outside a tourbillon runtime (use [`with_handle`](Self::with_handle) there).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use hyper::rt::Timer;
    /// use tourbillon_hyper::TourbillonTimer;
    ///
    /// tourbillon::block_on(async {
    ///     let start = Instant::now();
    ///     TourbillonTimer::new().sleep(Duration::from_millis(5)).await;
    ///     assert!(start.elapsed() >= Duration::from_millis(5));
    /// });
    /// ```
    pub fn new() -> TourbillonTimer {
        TourbillonTimer::with_handle(Handle::current())
    }

    /// A timer for the runtime behind `handle`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use hyper::rt::Timer;
    /// use tourbillon_hyper::TourbillonTimer;
    ///
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let timer = TourbillonTimer::with_handle(rt.handle().clone());
    /// // Made outside the runtime, awaited inside it.
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// let sleep = timer.sleep_until(deadline);
    /// rt.block_on(sleep);
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn with_handle(handle: Handle) -> TourbillonTimer {
        TourbillonTimer { handle }
    }
}

/// The same as [`TourbillonTimer::new`].
///
/// # Panics
/// Outside a tourbillon runtime.
impl Default for TourbillonTimer {
    fn default() -> TourbillonTimer {
        TourbillonTimer::new()
    }
}

impl hyper::rt::Timer for TourbillonTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let _runtime = self.handle.enter();
        Box::pin(TourbillonSleep {
            sleep: tourbillon::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let _runtime = self.handle.enter();
        Box::pin(TourbillonSleep {
            sleep: tourbillon::time::sleep_until(deadline),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<TourbillonSleep>() {
            Some(ours) => ours.project().sleep.reset(new_deadline),
            // Another timer's sleep: replace it.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl Future for TourbillonSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

impl hyper::rt::Sleep for TourbillonSleep {}
