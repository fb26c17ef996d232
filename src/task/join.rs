//! `JoinHandle`: the awaitable, abortable owner of a task's output.

use super::raw::RawTask;
use super::AbortHandle;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`](super::JoinError) if the task panicked
/// or was aborted. Dropping it *detaches* the task: the task keeps running, and its output is
/// dropped when it finishes.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let handle = tourbillon::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct JoinHandle<T> {
    /// `None` once the output has been read: the reference is already given back.
    raw: Option<RawTask>,
    _output: PhantomData<T>,
}

// SAFETY: the JoinHandle hands out a `T` (so it needs `T: Send` to cross threads) and otherwise
// acts only through the task's atomic state word.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` allows only `abort` and `is_finished`, which are atomic operations.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(super) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw: Some(raw),
            _output: PhantomData,
        }
    }

    /// Cancels the task. If it is idle, a worker drops its future promptly; if it is being
    /// polled, the future is dropped when that poll returns. Awaiting the handle then yields a
    /// `JoinError` whose [`is_cancelled`](super::JoinError::is_cancelled) is `true` — unless the
    /// task had already completed, in which case its output is kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = tourbillon::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(raw) = self.raw {
            raw.remote_abort();
        }
    }

    /// Has the task finished (completed, panicked or been cancelled)?
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::spawn(std::future::pending::<()>());
    ///     assert!(!handle.is_finished());
    ///     handle.abort();
    ///     while !handle.is_finished() {
    ///         tourbillon::task::yield_now().await;
    ///     }
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.is_none_or(RawTask::is_complete)
    }

    /// A handle that can cancel this task from anywhere, without owning its output. It keeps
    /// working after this `JoinHandle` is dropped or awaited.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     drop(handle); // detaches the task; the AbortHandle can still cancel it
    ///     abort.abort();
    ///     while !abort.is_finished() {
    ///         tourbillon::task::yield_now().await;
    ///     }
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.raw)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = super::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let raw = self
            .raw
            .expect("`JoinHandle` polled after it returned `Poll::Ready`");
        // Awaiting many finished tasks in a row must not starve the others on this thread:
        // each poll spends the coop budget, as an I/O operation does (tokio's does too).
        std::task::ready!(crate::task::coop::poll_proceed(cx));
        let mut output = Poll::Pending;
        // SAFETY: `output` is a `Poll<Result<T, JoinError>>` and `T` is this task's output type
        // (the JoinHandle was made with the task).
        unsafe { raw.try_read_output(&mut output as *mut _ as *mut (), cx.waker()) };
        if output.is_ready() {
            self.raw = None;
            raw.drop_join_handle(true);
        }
        output
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            raw.drop_join_handle(false);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
