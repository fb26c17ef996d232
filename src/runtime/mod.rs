//! The runtime: what a user builds, enters and drops.
//!
//! - [`Builder`] picks the scheduler (multi-thread or current-thread) and its settings.
//! - [`Runtime`] owns the worker threads and the blocking pool; dropping it shuts down.
//! - [`Handle`] is a cheap, clonable reference to a runtime: spawn from anywhere with it.
//! - `context`: the thread-local "current runtime".
//! - `metrics`: [`RuntimeMetrics`], which reads the schedulers' and the driver's counters.
//! - `trace` (feature `trace`): `Runtime::trace`, the per-worker event rings as Chrome
//!   trace-event JSON.
//!
//! # Shutdown
//!
//! Dropping a runtime (or [`Runtime::shutdown_timeout`]):
//! 1. tells the workers to stop after their current poll, and joins them;
//! 2. closes the owned-task list and cancels every task in it — queued, idle or woken —
//!    dropping each future exactly once, on this thread, with the runtime still current (so
//!    destructors that need a handle find one);
//! 3. closes and drains the injector, so a waker that fires afterwards (from any thread) finds
//!    a completed task and does nothing;
//! 4. shuts down the reactor and timers, then the blocking pool.
//!
//! The scheduler's shared state lives until the last task reference (a stray `Waker`) is
//! dropped, so a late wake never touches freed memory.

mod blocking;
mod builder;
pub(crate) mod context;
mod handle;
pub(crate) mod metrics;
#[cfg(feature = "trace")]
pub(crate) mod trace;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::RuntimeMetrics;

use crate::task::JoinHandle;
use std::future::Future;
use std::time::{Duration, Instant};

/// A tourbillon runtime: a scheduler, its worker threads, a reactor, timers, and a blocking pool.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let task = tourbillon::spawn(async { 1 + 1 });
///     task.await.unwrap()
/// });
/// assert_eq!(out, 2);
/// ```
///
/// # Panics
///
/// Dropping a runtime waits for its workers and blocking calls, so it panics, as tokio's does,
/// when the dropping thread itself drives a runtime (a task, or code inside `block_on`): it
/// could wait for itself. Before the panic it shuts the runtime down without waiting, so no
/// thread is left running. Use [`Runtime::shutdown_background`] there instead.
pub struct Runtime {
    handle: Handle,
    /// Worker threads (empty for the current-thread scheduler).
    workers: Vec<std::thread::JoinHandle<()>>,
    /// Disconnects when every worker thread has left its loop. In a mutex only so that
    /// `Runtime` is `Sync` (a receiver is not); shutdown is its one user.
    workers_exited: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    shut_down: bool,
}

impl Runtime {
    /// A multi-thread runtime with one worker per CPU.
    ///
    /// # Errors
    /// If the reactor cannot be created or a worker thread cannot be spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { "ready" }), "ready");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    pub(crate) fn from_parts(
        handle: Handle,
        workers: Vec<std::thread::JoinHandle<()>>,
        workers_exited: std::sync::mpsc::Receiver<()>,
    ) -> Runtime {
        Runtime {
            handle,
            workers,
            workers_exited: std::sync::Mutex::new(workers_exited),
            shut_down: false,
        }
    }

    /// Runs `future` to completion on the calling thread, with this runtime current, and
    /// returns its output. Spawned tasks run on the workers (multi-thread) or on this thread
    /// (current-thread) meanwhile.
    ///
    /// # Panics
    /// If called from a thread that is already driving a runtime (a worker, or inside another
    /// `block_on`): blocking there would stall the tasks it is meant to run.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(async { "done" }), "done");
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task onto this runtime. See [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let handle = rt.spawn(async { 7 });
    /// assert_eq!(rt.block_on(handle).unwrap(), 7);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool. See [`crate::task::spawn_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let sum = rt.spawn_blocking(|| (1..=100u32).sum::<u32>());
    /// assert_eq!(rt.block_on(sum).unwrap(), 5050);
    /// ```
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(func)
    }

    /// A handle to this runtime, to spawn onto it from elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { "from a plain thread" }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), "from a plain thread");
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime the current one on this thread until the guard drops. See
    /// [`Handle::enter`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let sleep = {
    ///     let _guard = rt.enter();
    ///     tourbillon::time::sleep(Duration::from_millis(1))
    /// };
    /// rt.block_on(sleep);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Statistics about this runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 1);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts the runtime down, waiting at most `timeout` for worker threads and blocking calls
    /// to return. Tasks still running after that (a poll that never returns) are left to their
    /// threads; every other task is cancelled as on drop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts the runtime down without waiting: the workers stop after their current poll,
    /// every other task is cancelled as on drop, and blocking calls still running keep their
    /// threads until they return. The same as `shutdown_timeout(Duration::ZERO)`; unlike a
    /// drop, it may be called from inside a runtime (from a task, or inside `block_on`).
    ///
    /// # Examples
    ///
    /// ```
    /// let outer = tourbillon::Builder::new_current_thread().build().unwrap();
    /// let inner = tourbillon::Runtime::new().unwrap();
    /// outer.block_on(async move {
    ///     inner.spawn(std::future::pending::<()>());
    ///     // `drop(inner)` here would panic: it would block a thread that runs tasks.
    ///     inner.shutdown_background();
    /// });
    /// ```
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        // Waiting for the workers and the blocking pool from a thread that drives a runtime
        // (a worker, even one of this runtime, or a thread inside `block_on`) could wait for
        // itself, and would stall the tasks that thread runs: tokio refuses with a panic, and
        // so do we, after starting a shutdown that needs no waiting, so nothing hangs and the
        // threads still exit. Not while unwinding: a second panic would abort.
        let refuse_to_wait = timeout != Some(Duration::ZERO) && context::is_in_runtime();
        let timeout = if refuse_to_wait {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        // `None` for a timeout too large to add (`Duration::MAX`): no deadline then.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if let handle::Scheduler::MultiThread(scheduler) = &self.handle.scheduler {
            scheduler.begin_shutdown();
            if self.wait_for_workers(deadline) {
                for worker in self.workers.drain(..) {
                    let _ = worker.join();
                }
            }
        }
        {
            // Destructors of the cancelled futures may look for the runtime.
            let _current = context::set_current(&self.handle);
            match &self.handle.scheduler {
                handle::Scheduler::MultiThread(scheduler) => scheduler.finish_shutdown(),
                handle::Scheduler::CurrentThread(scheduler) => {
                    crate::scheduler::current_thread::Handle::shutdown(scheduler)
                }
            }
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        self.handle.blocking.shutdown(left);
        if refuse_to_wait && !std::thread::panicking() {
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed. This happens \
                 when a runtime is dropped from within an asynchronous context (a task, or \
                 `block_on`). The runtime was shut down without waiting; use \
                 `Runtime::shutdown_background` to do that on purpose."
            );
        }
    }

    /// `true` when every worker has left its loop before `deadline` (`None`: no deadline).
    fn wait_for_workers(&self, deadline: Option<Instant>) -> bool {
        use std::sync::mpsc::RecvTimeoutError;
        let workers_exited = self.workers_exited.lock().unwrap();
        loop {
            let received = match deadline {
                None => workers_exited
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    workers_exited.recv_timeout(left)
                }
            };
            match received {
                Ok(()) => continue,
                Err(RecvTimeoutError::Disconnected) => return true,
                Err(RecvTimeoutError::Timeout) => return false,
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
        #[cfg(feature = "trace")]
        trace::write_at_drop(&self.handle);
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .finish()
    }
}

/// Spawns a task onto the current runtime. The task starts running at once, on some worker;
/// the returned [`JoinHandle`] yields its output (dropping the handle detaches the task).
///
/// # Panics
/// Outside a runtime (outside `block_on` and tasks): there is nowhere to run the task.
///
/// # Examples
///
/// ```
/// tourbillon::block_on(async {
///     let handle = tourbillon::spawn(async { "hello" });
///     assert_eq!(handle.await.unwrap(), "hello");
/// });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::with_current(|handle| handle.spawn(future)) {
        Ok(join) => join,
        Err(e) => panic!("`tourbillon::spawn` called outside a runtime: {e}"),
    }
}

/// Runs a blocking closure on a thread of the current runtime's blocking pool, so it does not
/// stall the workers. Awaiting the handle yields the closure's return value.
///
/// # Panics
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// tourbillon::block_on(async {
///     let sum = tourbillon::task::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap();
///     assert_eq!(sum, 55);
/// });
/// ```
pub fn spawn_blocking<F, R>(func: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::with_current(|handle| handle.spawn_blocking(func)) {
        Ok(join) => join,
        Err(e) => panic!("`tourbillon::task::spawn_blocking` called outside a runtime: {e}"),
    }
}

/// Builds a default multi-thread runtime, runs `future` on it, and drops the runtime.
///
/// # Panics
/// If the runtime cannot be built, or when called from inside a runtime.
///
/// # Examples
///
/// ```
/// let n = tourbillon::block_on(async { 40 + 2 });
/// assert_eq!(n, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    // Refuse before building a runtime we could not use.
    drop(context::enter_runtime());
    let runtime = Runtime::new().expect("failed to build the tourbillon runtime");
    runtime.block_on(future)
}
