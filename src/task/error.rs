//! `JoinError`: why a task produced no value.

use std::any::Any;
use std::fmt;

/// A task did not produce its output: it was cancelled, or it panicked.
///
/// # When a panicking task's future is dropped
///
/// tourbillon drops the future of a task whose poll panicked *after* the panic was caught,
/// under a `catch_unwind` of its own; tokio drops it during the unwind. The difference is
/// deliberate: a destructor that panics in turn is then caught and reported (the first panic
/// is kept) instead of aborting the process, so one bad task cannot take the runtime down.
/// Only a destructor that checks `std::thread::panicking()` can tell: here it reads `false`.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = tourbillon::spawn(async { panic!("boom") });
///     let err = handle.await.unwrap_err();
///     assert!(err.is_panic());
/// });
/// ```
pub struct JoinError {
    /// The panic payload, or a boxed [`Cancelled`] marker. One fat pointer (16 bytes, and
    /// `Result<(), JoinError>` too, through the pointer's niche): the error shares the task's
    /// stage slot with the future, so its size is paid by every task with a small future.
    payload: Box<dyn Any + Send + 'static>,
}

/// The payload of a cancelled task's error. Zero-sized: boxing it allocates nothing.
struct Cancelled;

// SAFETY: `Sync` lets a `&JoinError` cross threads, and through it the payload, which is only
// `Send`. A shared reference reaches the payload in two ways only: `Any::type_id`, which reads
// no payload data (`Any` has one blanket impl, so no payload can override it), and
// `downcast_ref` to `&str` or `String`, which succeeds only when the payload is one of those
// `Sync` types. Everything else takes the error by value. (tokio's `SyncWrapper` makes the same
// argument.)
unsafe impl Sync for JoinError {}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            payload: Box::new(Cancelled),
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError { payload }
    }

    /// Was the task cancelled (by `JoinHandle::abort` or runtime shutdown)?
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     let error = handle.await.unwrap_err();
    ///     assert!(error.is_cancelled() && !error.is_panic());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.payload.is::<Cancelled>()
    }

    /// Did the task panic?
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let error = tourbillon::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert!(error.is_panic() && !error.is_cancelled());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        !self.is_cancelled()
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicked (check [`JoinError::is_panic`] first).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tourbillon::block_on(async {
    ///     tourbillon::spawn(async { panic!("boom") }).await.unwrap_err()
    /// });
    /// let payload = error.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// // Or carry the panic on: std::panic::resume_unwind(payload)
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task's error")
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     let error = handle.await.unwrap_err();
    ///     // A cancelled task has no panic payload: the error comes back.
    ///     let error = error.try_into_panic().unwrap_err();
    ///     assert!(error.is_cancelled());
    /// });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        if self.is_panic() {
            Ok(self.payload)
        } else {
            Err(self)
        }
    }

    fn panic_message(&self) -> Option<String> {
        if self.is_cancelled() {
            return None;
        }
        // Only `Sync` payload types are read through `&self` (see the `Sync` impl).
        let message = (self.payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| self.payload.downcast_ref::<String>().cloned());
        Some(message.unwrap_or_else(|| "<non-string payload>".to_string()))
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic_message() {
            None => f.write_str("task was cancelled"),
            Some(message) => write!(f, "task panicked: {message}"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic_message() {
            None => f.write_str("JoinError::Cancelled"),
            Some(message) => write!(f, "JoinError::Panic({message:?})"),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(error: JoinError) -> std::io::Error {
        std::io::Error::other(error)
    }
}
