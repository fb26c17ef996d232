//! [`AcceptBackoff`]: what an accept loop does when `accept` fails, decided once for every server.
//!
//! The rules it keeps are on the type, where users read them: errors of the process back off,
//! errors of one connection are retried at once, reports come at most once a second.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{TcpListener, TcpStream};

/// The first sleep after a resource error.
const MIN_DELAY: Duration = Duration::from_millis(1);
/// The longest sleep: the worst added latency once resources come back.
const MAX_DELAY: Duration = Duration::from_secs(1);
/// The shortest time between two reports.
const REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Back-off state of one accept loop: sleeps that double while the process is out of
/// descriptors or memory, no sleep for errors that concern a single connection, and error
/// reports at most once a second.
///
/// `accept(2)` fails for two kinds of reasons, and a loop that treats them alike either spins or
/// stalls:
///
/// 1. **The process is out of something** (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`). The
///    listener stays readable (the connection still waits in the backlog), so retrying at once
///    fails again at once: a loop that does so burns a whole core until descriptors come back.
///    The loop sleeps instead, 1 ms at first, doubling on each consecutive failure up to 1 s, and
///    starts again from 1 ms after the next success. Errors nobody classified are treated the
///    same way: a sleep too many costs a little latency, a missing one costs a core.
/// 2. **One connection went bad before it was taken** (`ECONNABORTED`, `ECONNRESET`, and the
///    network errors Linux's `accept(2)` page says to treat like `EAGAIN`). The listener is fine
///    and the next connection may be too: retry at once. Each such error consumes one backlog
///    entry, so the retries are bounded by the backlog.
///
/// Printing every failure would turn an exhausted server into a log flood, so errors are also
/// counted, and [`AcceptBackoff::take_report`] hands the caller a count at most once a second.
///
/// The type is a small state machine with no runtime in it ([`failed`](AcceptBackoff::failed)
/// returns how long to sleep), so a server on any runtime can use it; on tourbillon,
/// [`AcceptBackoff::accept`] is a whole turn of the loop.
///
/// # Examples
///
/// One turn of a server's accept loop on tourbillon (a server repeats it forever):
///
/// ```
/// use tourbillon::net::{AcceptBackoff, TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// # let _client = TcpStream::connect(listener.local_addr()?).await?;
/// let mut backoff = AcceptBackoff::new();
/// let (stream, _peer) = backoff
///     .accept(&listener, |error, count| eprintln!("accept: {error} ({count} errors)"))
///     .await;
/// tourbillon::spawn(async move { drop(stream) });
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
///
/// The same decisions on any runtime:
///
/// ```
/// use std::io;
/// use std::time::{Duration, Instant};
/// use tourbillon::net::AcceptBackoff;
///
/// let mut backoff = AcceptBackoff::new();
/// let emfile = io::Error::from_raw_os_error(libc::EMFILE);
/// assert_eq!(backoff.failed(&emfile), Duration::from_millis(1));
/// assert_eq!(backoff.failed(&emfile), Duration::from_millis(2));
/// let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
/// assert_eq!(backoff.failed(&aborted), Duration::ZERO); // retry at once
/// assert_eq!(backoff.take_report(Instant::now()), Some(3)); // the first report is immediate
/// assert_eq!(backoff.take_report(Instant::now()), None); // then at most once a second
/// backoff.succeeded();
/// assert_eq!(backoff.failed(&emfile), Duration::from_millis(1));
/// ```
#[derive(Debug, Clone)]
pub struct AcceptBackoff {
    min: Duration,
    max: Duration,
    /// The sleep the next resource error gets.
    next: Duration,
    /// Errors since the last report.
    unreported: u64,
    last_report: Option<Instant>,
}

impl AcceptBackoff {
    /// Sleeps of 1 ms doubling to 1 s.
    ///
    /// # Examples
    ///
    /// ```
    /// let backoff = tourbillon::net::AcceptBackoff::new();
    /// # drop(backoff);
    /// ```
    pub fn new() -> AcceptBackoff {
        AcceptBackoff::with_delays(MIN_DELAY, MAX_DELAY)
    }

    /// Sleeps of `min` doubling to `max`.
    ///
    /// # Panics
    /// If `min` is zero or `max < min`: the loop would spin.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    ///
    /// let mut backoff = tourbillon::net::AcceptBackoff::with_delays(
    ///     Duration::from_millis(10),
    ///     Duration::from_millis(15),
    /// );
    /// let enfile = io::Error::from_raw_os_error(libc::ENFILE);
    /// assert_eq!(backoff.failed(&enfile), Duration::from_millis(10));
    /// assert_eq!(backoff.failed(&enfile), Duration::from_millis(15));
    /// ```
    pub fn with_delays(min: Duration, max: Duration) -> AcceptBackoff {
        assert!(!min.is_zero(), "a zero back-off spins");
        assert!(max >= min, "the longest back-off is shorter than the first");
        AcceptBackoff {
            min,
            max,
            next: min,
            unreported: 0,
            last_report: None,
        }
    }

    /// Records an accepted connection: the next resource error sleeps the shortest time again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    ///
    /// let mut backoff = tourbillon::net::AcceptBackoff::new();
    /// let enomem = io::Error::from_raw_os_error(libc::ENOMEM);
    /// backoff.failed(&enomem);
    /// backoff.succeeded();
    /// assert_eq!(backoff.failed(&enomem), Duration::from_millis(1));
    /// ```
    pub fn succeeded(&mut self) {
        self.next = self.min;
    }

    /// Records a failed `accept` and returns how long to sleep before the next one:
    /// [`Duration::ZERO`] for an error that concerned one connection (retry at once), else the
    /// current back-off, which doubles for the next failure up to the maximum.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    ///
    /// let mut backoff = tourbillon::net::AcceptBackoff::new();
    /// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    /// assert_eq!(backoff.failed(&reset), Duration::ZERO);
    /// let enobufs = io::Error::from_raw_os_error(libc::ENOBUFS);
    /// assert!(backoff.failed(&enobufs) > Duration::ZERO);
    /// ```
    pub fn failed(&mut self, error: &io::Error) -> Duration {
        self.unreported += 1;
        if concerns_one_connection(error) {
            return Duration::ZERO;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// The number of errors since the last report, if there were any and the last report is at
    /// least a second before `now` (the first report comes at once). Taking a report resets the
    /// count.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut backoff = tourbillon::net::AcceptBackoff::new();
    /// let start = Instant::now();
    /// assert_eq!(backoff.take_report(start), None); // nothing failed
    /// backoff.failed(&io::Error::from_raw_os_error(libc::EMFILE));
    /// assert_eq!(backoff.take_report(start), Some(1));
    /// backoff.failed(&io::Error::from_raw_os_error(libc::EMFILE));
    /// assert_eq!(backoff.take_report(start + Duration::from_millis(500)), None);
    /// assert_eq!(backoff.take_report(start + Duration::from_secs(1)), Some(1));
    /// ```
    pub fn take_report(&mut self, now: Instant) -> Option<u64> {
        if self.unreported == 0 {
            return None;
        }
        if let Some(last) = self.last_report {
            if now.saturating_duration_since(last) < REPORT_INTERVAL {
                return None;
            }
        }
        self.last_report = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }

    /// Accepts the next connection from `listener`, whatever fails meanwhile: per-connection
    /// errors are retried at once, resource errors after a back-off sleep. `report` is called
    /// with the latest error and the count since the last report, at most once a second.
    ///
    /// # Panics
    /// Outside a tourbillon runtime (the sleeps need its timers).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{AcceptBackoff, TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_stream, peer) = AcceptBackoff::new().accept(&listener, |_, _| {}).await;
    /// assert_eq!(peer, client.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn accept(
        &mut self,
        listener: &TcpListener,
        mut report: impl FnMut(&io::Error, u64),
    ) -> (TcpStream, SocketAddr) {
        loop {
            match listener.accept().await {
                Ok(accepted) => {
                    self.succeeded();
                    return accepted;
                }
                Err(error) => {
                    let delay = self.failed(&error);
                    if let Some(count) = self.take_report(Instant::now()) {
                        report(&error, count);
                    }
                    if !delay.is_zero() {
                        crate::time::sleep(delay).await;
                    }
                }
            }
        }
    }
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `error` concerns the connection being accepted rather than the process (case 2 of
/// [`AcceptBackoff`]).
fn concerns_one_connection(error: &io::Error) -> bool {
    match error.kind() {
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset => true,
        _ => matches!(
            error.raw_os_error(),
            Some(
                libc::EPROTO
                    | libc::ENETDOWN
                    | libc::ENOPROTOOPT
                    | libc::EHOSTDOWN
                    | libc::ENONET
                    | libc::EHOSTUNREACH
                    | libc::EOPNOTSUPP
                    | libc::ENETUNREACH
            )
        ),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn resource_errors_double_to_the_cap_and_reset_on_success() {
        let mut backoff = AcceptBackoff::new();
        let mut delays = Vec::new();
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            for _ in 0..4 {
                delays.push(backoff.failed(&io::Error::from_raw_os_error(errno)));
            }
        }
        let millis: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(
            millis,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000, 1000, 1000, 1000]
        );
        backoff.succeeded();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert_eq!(backoff.failed(&emfile), MIN_DELAY);
    }

    #[test]
    fn per_connection_errors_never_sleep_nor_reset_the_backoff() {
        let mut backoff = AcceptBackoff::new();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        backoff.failed(&emfile);
        for errno in [
            libc::ECONNABORTED,
            libc::ECONNRESET,
            libc::EPROTO,
            libc::ENETDOWN,
        ] {
            assert_eq!(
                backoff.failed(&io::Error::from_raw_os_error(errno)),
                Duration::ZERO
            );
        }
        assert_eq!(backoff.failed(&emfile), 2 * MIN_DELAY);
    }

    #[test]
    fn unknown_errors_back_off() {
        let mut backoff = AcceptBackoff::new();
        assert_eq!(backoff.failed(&io::Error::other("strange")), MIN_DELAY);
    }

    #[test]
    fn reports_come_at_most_once_a_second_and_count_every_error() {
        let mut backoff = AcceptBackoff::new();
        let start = Instant::now();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let mut reported = 0;
        // One error a millisecond for 3 s: reports at 0 s, 1 s and 2 s, then the rest.
        let mut reports = 0;
        for ms in 0..3000u64 {
            backoff.failed(&emfile);
            if let Some(count) = backoff.take_report(start + Duration::from_millis(ms)) {
                reported += count;
                reports += 1;
            }
        }
        assert_eq!(reports, 3);
        reported += backoff
            .take_report(start + Duration::from_secs(10))
            .unwrap();
        assert_eq!(reported, 3000);
    }
}
