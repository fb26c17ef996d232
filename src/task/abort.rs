//! `AbortHandle`: the right to cancel a task, without the right to its output.
//!
//! An `AbortHandle` owns one reference to the task, counted in the state word like a `Waker`
//! clone's: it keeps the cell alive, never the output (the output is consumed by the
//! `JoinHandle` or at completion, core.rs rule 3, whatever the `AbortHandle` does). So it needs
//! no bit of its own: `abort` is the same transition as `JoinHandle::abort`
//! (`transition_to_notified_and_cancel`), and dropping the handle is a plain reference drop.

use super::raw::RawTask;
use std::fmt;

/// Cancels a task from anywhere, without owning its output.
///
/// Made by [`JoinHandle::abort_handle`](super::JoinHandle::abort_handle) and
/// [`JoinSet::spawn`](super::JoinSet::spawn). Unlike the `JoinHandle`, it can be shared
/// between threads freely (it is `Send + Sync` whatever the task's output), and dropping it
/// does nothing to the task.
///
/// # Examples
///
/// ```
/// tourbillon::block_on(async {
///     let handle = tourbillon::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     std::thread::spawn(move || abort.abort()).join().unwrap();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    /// `None` when made from a `JoinHandle` that already returned the output: the task is
    /// finished and there is nothing to cancel.
    raw: Option<RawTask>,
}

impl AbortHandle {
    /// Takes a new reference to `raw`'s task (the caller holds one, so the cell is alive).
    pub(super) fn new(raw: Option<RawTask>) -> AbortHandle {
        if let Some(raw) = raw {
            raw.ref_inc();
        }
        AbortHandle { raw }
    }

    /// Cancels the task, as [`JoinHandle::abort`](super::JoinHandle::abort) does: its future is
    /// dropped promptly if it is idle, or when its current poll returns. A task that already
    /// completed keeps its output. Aborting twice is the same as aborting once.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let mut set = tourbillon::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(raw) = self.raw {
            raw.remote_abort();
        }
    }

    /// Has the task finished (completed, panicked or been cancelled)? After an `abort`, this
    /// turns `true` once a worker has dropped the future, not at once.
    ///
    /// # Examples
    ///
    /// ```
    /// tourbillon::block_on(async {
    ///     let handle = tourbillon::spawn(async { 1 });
    ///     let abort = handle.abort_handle();
    ///     assert_eq!(handle.await.unwrap(), 1);
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.is_none_or(RawTask::is_complete)
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            raw.drop_reference();
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
