//! The blocking pool: threads for `spawn_blocking`, created on demand and retired when idle.
//!
//! A blocking call is wrapped in a task (the same cell, state word and `JoinHandle` as any
//! other) whose future runs the closure on its first and only poll. The pool's scheduler is a
//! queue behind a mutex: blocking work is measured in milliseconds, so a lock per call costs
//! nothing that matters, and it keeps this module simple.

use super::context;
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::task::{JoinHandle, Notified, OwnedTasks, RawTask, Schedule};
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

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self.func.take().expect("a blocking task runs once");
        let _current = context::set_current(&self.handle);
        Poll::Ready(func())
    }
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, thread_name: String) -> BlockingPool {
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

    /// Cancels queued calls and waits up to `timeout` for running ones to return.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.inner.state.lock().unwrap().shutdown = true;
        self.inner.condvar.notify_all();
        self.inner.owned.close_and_shutdown_all();
        let mut state = self.inner.state.lock().unwrap();
        state.queue.clear();
        while state.num_threads > 0 {
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
        for thread in threads {
            let _ = thread.join();
        }
    }

    fn run_thread(&self) {
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
        state.threads.retain(|t| !t.is_finished());
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name(self.inner.thread_name.clone())
            .spawn(move || pool.run_thread());
        match spawned {
            Ok(thread) => state.threads.push(thread),
            Err(_) => {
                // Out of threads: the call waits for a running thread to pick it up.
                state.num_threads -= 1;
            }
        }
    }

    fn release(&self, task: RawTask) -> bool {
        self.inner.owned.remove(task)
    }
}
