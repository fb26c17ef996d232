//! `Handle`: a clonable reference to a runtime, and the "no runtime here" error.

use super::blocking::BlockingPool;
use super::context;
use crate::driver::DriverHandle;
use crate::loom::sync::Arc;
use crate::scheduler::{current_thread, multi_thread};
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// A handle to a runtime. Cloning is cheap (two reference counts); it can spawn onto the
/// runtime from any thread, including threads the runtime does not own.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let from_another_thread = std::thread::spawn(move || handle.spawn(async { 5 }))
///     .join()
///     .unwrap();
/// assert_eq!(rt.block_on(from_another_thread).unwrap(), 5);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) scheduler: Scheduler,
    pub(crate) blocking: BlockingPool,
}

#[derive(Clone)]
pub(crate) enum Scheduler {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

/// The runtime made current by [`Handle::enter`] or [`crate::Runtime::enter`], until this
/// guard drops; then the runtime current before it is current again.
///
/// The guard is `!Send`: the thread-local it sets belongs to the thread that made it.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Runtime::new().unwrap();
/// assert!(tourbillon::Handle::try_current().is_err());
/// let guard = rt.enter();
/// assert!(tourbillon::Handle::try_current().is_ok());
/// drop(guard);
/// assert!(tourbillon::Handle::try_current().is_err());
/// ```
///
/// It cannot move to another thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// let rt = tourbillon::Runtime::new().unwrap();
/// assert_send(rt.enter());
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _current: context::SetCurrentGuard,
    /// Borrows the handle (as tokio's does) and makes the guard `!Send` and `!Sync`.
    _handle: PhantomData<(&'a Handle, *const ())>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// [`Handle::try_current`] found no runtime.
///
/// # Examples
///
/// ```
/// let error = tourbillon::Handle::try_current().unwrap_err();
/// assert!(error.is_missing_context());
/// println!("{error}"); // says where a runtime is expected
/// ```
#[derive(Debug)]
pub struct TryCurrentError {
    thread_local_destroyed: bool,
}

impl Handle {
    /// The handle of the runtime this code runs in.
    ///
    /// # Panics
    /// Outside a runtime. Use [`Handle::try_current`] to check instead.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::Handle::current();
    ///     handle.spawn(async {}).await.unwrap();
    /// });
    /// ```
    pub fn current() -> Handle {
        match context::with_current(Handle::clone) {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime this code runs in, or an error outside one.
    ///
    /// # Errors
    /// When called outside a runtime, or while the thread is being torn down.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tourbillon::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(Handle::clone)
    }

    /// Makes this runtime the current one on this thread until the returned guard drops:
    /// meanwhile [`crate::spawn`], [`crate::time::sleep`] and the socket constructors use it,
    /// even on a thread the runtime does not own. Guards nest: dropping one restores the
    /// runtime that was current when it was made (drop them in reverse order of creation).
    ///
    /// Entering does not drive the runtime: tasks run on its workers (multi-thread), or
    /// during a later `block_on` (current-thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     tourbillon::spawn(async { 6 * 7 })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _current: context::set_current(self),
            _handle: PhantomData,
        }
    }

    /// Spawns a task onto this runtime. See [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = handle.spawn(async { 40 + 2 });
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.scheduler {
            Scheduler::MultiThread(s) => multi_thread::Handle::spawn(s, future),
            Scheduler::CurrentThread(s) => current_thread::Handle::spawn(s, future),
        }
    }

    /// Runs a blocking closure on this runtime's blocking pool. See
    /// [`crate::task::spawn_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let read = rt.handle().spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(rt.block_on(read).unwrap());
    /// ```
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.blocking.spawn(func, self)
    }

    /// Runs `future` to completion on this thread with this runtime current. See
    /// [`crate::Runtime::block_on`].
    ///
    /// # Panics
    /// From a thread that already drives a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// // Another thread drives a future with the same runtime current.
    /// let answer = std::thread::spawn(move || {
    ///     handle.block_on(async { tourbillon::spawn(async { 6 * 7 }).await.unwrap() })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(answer, 42);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _in_runtime = context::enter_runtime();
        let _current = context::set_current(self);
        match &self.scheduler {
            Scheduler::CurrentThread(s) => current_thread::Handle::block_on(s, future),
            Scheduler::MultiThread(_) => park_thread_block_on(future),
        }
    }

    /// Statistics about this runtime: see [`RuntimeMetrics`](crate::RuntimeMetrics).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// assert_eq!(rt.handle().metrics().num_workers(), 2);
    /// ```
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        crate::RuntimeMetrics::new(self.clone())
    }

    /// The reactor and timers of this runtime (made current beside it by `context`).
    pub(crate) fn driver(&self) -> &DriverHandle {
        match &self.scheduler {
            Scheduler::MultiThread(s) => &s.driver_handle,
            Scheduler::CurrentThread(s) => &s.driver_handle,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.scheduler {
            Scheduler::MultiThread(_) => "multi_thread",
            Scheduler::CurrentThread(_) => "current_thread",
        };
        f.debug_struct("Handle").field("scheduler", &kind).finish()
    }
}

/// Polls `future` on this thread, sleeping in `thread::park` between wakes (the tasks run on
/// the workers meanwhile).
fn park_thread_block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(crate::loom::thread::Thread);

    impl Wake for ThreadWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Waker::from(std::sync::Arc::new(ThreadWaker(
        crate::loom::thread::current(),
    )));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // The park token makes an unpark between the poll and here return at once; a
        // spurious return only costs a poll.
        crate::loom::thread::park();
    }
}

impl TryCurrentError {
    pub(crate) fn no_context() -> TryCurrentError {
        TryCurrentError {
            thread_local_destroyed: false,
        }
    }

    pub(crate) fn thread_local_destroyed() -> TryCurrentError {
        TryCurrentError {
            thread_local_destroyed: true,
        }
    }

    /// Was the thread's context already destroyed (the thread is exiting)?
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tourbillon::Handle::try_current().unwrap_err();
    /// // An ordinary thread outside any runtime: the context exists, it is just empty.
    /// assert!(!error.is_thread_local_destroyed());
    /// ```
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.thread_local_destroyed
    }

    /// Was the call made outside any runtime?
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tourbillon::Handle::try_current().unwrap_err().is_missing_context());
    /// tourbillon::block_on(async {
    ///     assert!(tourbillon::Handle::try_current().is_ok());
    /// });
    /// ```
    pub fn is_missing_context(&self) -> bool {
        !self.thread_local_destroyed
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.thread_local_destroyed {
            f.write_str(crate::driver::CONTEXT_DESTROYED)
        } else {
            f.write_str(crate::driver::NO_CONTEXT)
        }
    }
}

impl std::error::Error for TryCurrentError {}
