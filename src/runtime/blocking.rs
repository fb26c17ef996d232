//! The blocking pool: threads for `spawn_blocking`, created on demand and retired when idle.
//!
//! A blocking call is wrapped in a task (the same cell, state word and `JoinHandle` as any
//! other) whose future runs the closure on its first and only poll. The pool's scheduler is a
//! queue behind a mutex: blocking work is measured in milliseconds, so a lock per call costs
//! nothing that matters, and it keeps this module simple.
//!
//! # Every call returns
//!
//! - A thread is started outside the mutex (thread creation takes tens of microseconds, and
//!   callers of `spawn_blocking` on other workers would queue behind it); `num_threads`
//!   counts it from the moment it is promised, so two callers never both start the last one.
//! - If the OS refuses a thread while no thread of the pool is alive, nobody would ever take
//!   the queued calls: each is then polled once on the calling thread in refusal mode, which
//!   panics instead of running the closure, so its `JoinHandle` returns a `JoinError` (a panic
//!   carrying the OS error). With a thread alive, the call just waits its turn.
//! - Shutdown waits for the pool's threads, but never for the thread it runs on (a runtime
//!   dropped inside one of its own blocking calls).

use super::context;
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::task::{JoinHandle, Notified, OwnedTasks, RawTask, Schedule};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long an idle blocking thread waits for work before exiting.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Signals queued work (to idle threads) and thread exits (to shutdown).
    condvar: Condvar,
    owned: OwnedTasks,
    max_threads: usize,
    thread_name: String,
    stack_size: Option<usize>,
}

struct State {
    queue: VecDeque<Notified<BlockingPool>>,
    num_threads: usize,
    num_idle: usize,
    shutdown: bool,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Runs the closure on its first poll, with the spawning runtime as the current one.
struct BlockingTask<F> {
    func: Option<F>,
    handle: super::Handle,
}

impl<F> Unpin for BlockingTask<F> {}

std::thread_local! {
    /// Set while calls that no thread could be started for are polled on the calling thread:
    /// why the thread could not start.
    static REFUSED: RefCell<Option<String>> = const { RefCell::new(None) };

    /// On a pool thread: the address of its pool's `Inner` (an identity, never dereferenced).
    static POOL_OF_THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        if let Some(reason) = REFUSED.with(|r| r.borrow().clone()) {
            panic!("`spawn_blocking`: no thread to run the call: {reason}");
        }
        let func = self.func.take().expect("a blocking task runs once");
        let _current = context::set_current(&self.handle);
        Poll::Ready(func())
    }
}

impl BlockingPool {
    pub(crate) fn new(
        max_threads: usize,
        thread_name: String,
        stack_size: Option<usize>,
    ) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    num_threads: 0,
                    num_idle: 0,
                    shutdown: false,
                    threads: Vec::new(),
                }),
                condvar: Condvar::new(),
                owned: OwnedTasks::new(),
                max_threads,
                thread_name,
                stack_size,
            }),
        }
    }

    pub(crate) fn spawn<F, R>(&self, func: F, handle: &super::Handle) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let future = BlockingTask {
            func: Some(func),
            handle: handle.clone(),
        };
        crate::task::spawn_task(future, self, |task| self.inner.owned.bind(task))
    }

    /// Cancels queued calls and waits up to `timeout` for running ones to return (never for
    /// the calling thread, if it is one of the pool's).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        self.inner.state.lock().unwrap().shutdown = true;
        self.inner.condvar.notify_all();
        self.inner.owned.close_and_shutdown_all();
        let mut state = self.inner.state.lock().unwrap();
        state.queue.clear();
        // Not from `state.threads`: a thread may run its first call before its spawner has
        // recorded its handle there.
        let on_own_thread = POOL_OF_THIS_THREAD
            .try_with(|pool| pool.get() == self.pool_id())
            .unwrap_or(false);
        while state.num_threads > usize::from(on_own_thread) {
            match deadline {
                None => state = self.inner.condvar.wait(state).unwrap(),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        // Running calls keep their threads; they exit when the call returns.
                        return;
                    }
                    state = self.inner.condvar.wait_timeout(state, left).unwrap().0;
                }
            }
        }
        let threads = std::mem::take(&mut state.threads);
        drop(state);
        let me = std::thread::current().id();
        for thread in threads.into_iter().filter(|t| t.thread().id() != me) {
            let _ = thread.join();
        }
    }

    /// Starts a pool thread; `num_threads` already counts it.
    fn start_thread(&self) {
        let mut thread = std::thread::Builder::new().name(self.inner.thread_name.clone());
        if let Some(size) = self.inner.stack_size {
            thread = thread.stack_size(size);
        }
        let pool = self.clone();
        let spawned = thread.spawn(move || pool.run_thread());
        let mut state = self.inner.state.lock().unwrap();
        match spawned {
            Ok(thread) => {
                state.threads.retain(|t| !t.is_finished());
                state.threads.push(thread);
            }
            Err(error) => {
                state.num_threads -= 1;
                if state.num_threads > 0 {
                    // A live thread takes the queued calls in turn.
                    return;
                }
                let refused = std::mem::take(&mut state.queue);
                drop(state);
                REFUSED.with(|r| *r.borrow_mut() = Some(error.to_string()));
                refused.into_iter().for_each(Notified::run);
                REFUSED.with(|r| *r.borrow_mut() = None);
            }
        }
    }

    fn pool_id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    fn run_thread(&self) {
        POOL_OF_THIS_THREAD.with(|pool| pool.set(self.pool_id()));
        let inner = &self.inner;
        let mut state = inner.state.lock().unwrap();
        loop {
            if let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                state = inner.state.lock().unwrap();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.num_idle += 1;
            let (next, timeout) = inner.condvar.wait_timeout(state, KEEP_ALIVE).unwrap();
            state = next;
            state.num_idle -= 1;
            if timeout.timed_out() && state.queue.is_empty() && !state.shutdown {
                break;
            }
        }
        state.num_threads -= 1;
        drop(state);
        inner.condvar.notify_all();
    }
}

impl Schedule for BlockingPool {
    fn schedule(&self, task: Notified<Self>) {
        let mut state = self.inner.state.lock().unwrap();
        if state.shutdown {
            // The owned list cancels the task; this entry is just dropped.
            return;
        }
        state.queue.push_back(task);
        if state.num_idle >= state.queue.len() {
            // An idle thread will take it.
            drop(state);
            self.inner.condvar.notify_one();
            return;
        }
        if state.num_threads >= self.inner.max_threads {
            // Queued until a thread frees up.
            return;
        }
        state.num_threads += 1;
        drop(state);
        self.start_thread();
    }

    fn release(&self, task: RawTask) -> bool {
        self.inner.owned.remove(task)
    }
}
