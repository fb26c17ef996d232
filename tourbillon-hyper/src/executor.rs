//! [`TourbillonExecutor`]: hyper's `Executor` on a tourbillon runtime.
//!
//! hyper spawns background work through it: each HTTP/2 stream's handler, and the client
//! connection's driver. The executor holds a [`Handle`] taken when it is made, so the futures go
//! to that runtime whichever thread hyper happens to call `execute` from.

use std::future::Future;

use tourbillon::Handle;

/// Spawns hyper's background futures on the tourbillon runtime it was made in.
///
/// Cloning is cheap (a [`Handle`] clone). Spawned futures are detached: they run to completion
/// (or until the runtime shuts down) whether or not anyone waits for them.
///
/// # Examples
///
/// ```
/// use tourbillon_hyper::TourbillonExecutor;
///
/// let rt = tourbillon::Runtime::new().unwrap();
/// let executor = rt.block_on(async { TourbillonExecutor::new() });
/// let _http2 = hyper::server::conn::http2::Builder::new(executor);
/// ```
#[derive(Clone, Debug)]
pub struct TourbillonExecutor {
    handle: Handle,
}

impl TourbillonExecutor {
    /// An executor for the current runtime.
    ///
    /// # Panics
    /// Outside a tourbillon runtime (use [`with_handle`](Self::with_handle) there, or enter
    /// one with [`tourbillon::Runtime::enter`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use hyper::rt::Executor;
    /// use tourbillon_hyper::TourbillonExecutor;
    ///
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let (done, ran) = std::sync::mpsc::channel();
    /// let executor = {
    ///     let _guard = rt.enter();
    ///     TourbillonExecutor::new()
    /// };
    /// executor.execute(async move { done.send("ran").unwrap() });
    /// assert_eq!(ran.recv().unwrap(), "ran");
    /// ```
    pub fn new() -> TourbillonExecutor {
        TourbillonExecutor::with_handle(Handle::current())
    }

    /// An executor for the runtime behind `handle`.
    ///
    /// # Examples
    ///
    /// ```
    /// use hyper::rt::Executor;
    /// use tourbillon_hyper::TourbillonExecutor;
    ///
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let executor = TourbillonExecutor::with_handle(rt.handle().clone());
    /// let (done, ran) = futures_channel::oneshot::channel();
    /// executor.execute(async move { done.send(7).unwrap() });
    /// assert_eq!(rt.block_on(ran).unwrap(), 7);
    /// ```
    pub fn with_handle(handle: Handle) -> TourbillonExecutor {
        TourbillonExecutor { handle }
    }
}

/// The same as [`TourbillonExecutor::new`].
///
/// # Panics
/// Outside a tourbillon runtime.
impl Default for TourbillonExecutor {
    fn default() -> TourbillonExecutor {
        TourbillonExecutor::new()
    }
}

impl<F> hyper::rt::Executor<F> for TourbillonExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Dropping the JoinHandle detaches the task: it keeps running.
        drop(self.handle.spawn(future));
    }
}
