//! `Builder`: choose a scheduler and its settings, then `build` a `Runtime`.

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::handle::{Handle, Scheduler};
use super::{context, Runtime};
use crate::io::DEFAULT_MAX_EVENTS_PER_TICK;
use crate::scheduler::{current_thread, multi_thread};
use std::io;

/// Configures and builds a [`Runtime`].
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.metrics().num_workers(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    thread_name: String,
    thread_stack_size: Option<usize>,
    max_io_events_per_tick: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

impl Builder {
    /// A work-stealing runtime with a pool of worker threads (one per CPU unless set with
    /// [`Builder::worker_threads`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread().build().unwrap();
    /// assert!(rt.metrics().num_workers() >= 1);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 1);
    /// assert_eq!(rt.block_on(async { tourbillon::spawn(async { 2 }).await.unwrap() }), 2);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            max_blocking_threads: 512,
            thread_name: "tourbillon-worker".to_string(),
            thread_stack_size: None,
            max_io_events_per_tick: DEFAULT_MAX_EVENTS_PER_TICK,
        }
    }

    /// How many worker threads a multi-thread runtime runs. Ignored by the current-thread
    /// runtime. Zero makes [`Builder::build`] fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread()
    ///     .worker_threads(3)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 3);
    /// assert!(tourbillon::Builder::new_multi_thread().worker_threads(0).build().is_err());
    /// ```
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        self.worker_threads = Some(n);
        self
    }

    /// At most this many threads run `spawn_blocking` calls at once (default 512).
    ///
    /// # Panics
    /// If `n` is 0: no blocking call could ever run (tokio panics too).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread()
    ///     .max_blocking_threads(1)
    ///     .build()
    ///     .unwrap();
    /// // With one blocking thread, the calls run one after the other.
    /// let first = rt.spawn_blocking(|| 1);
    /// let second = rt.spawn_blocking(|| 2);
    /// rt.block_on(async {
    ///     assert_eq!(first.await.unwrap() + second.await.unwrap(), 3);
    /// });
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(
            n > 0,
            "max_blocking_threads cannot be 0: a `spawn_blocking` call would never run"
        );
        self.max_blocking_threads = n;
        self
    }

    /// The name of the runtime's threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .thread_name("shop-floor")
    ///     .build()
    ///     .unwrap();
    /// let name = rt.block_on(async {
    ///     tourbillon::spawn(async { std::thread::current().name().map(str::to_owned) })
    ///         .await
    ///         .unwrap()
    /// });
    /// assert_eq!(name.as_deref(), Some("shop-floor"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// The stack size of the runtime's threads (workers and the blocking pool), in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .thread_stack_size(4 * 1024 * 1024)
    ///     .build()
    ///     .unwrap();
    /// // A deep recursion that a small stack could not hold.
    /// fn depth(n: u64) -> u64 {
    ///     let pad = std::hint::black_box([0u8; 512]);
    ///     if n == 0 { u64::from(pad[0]) } else { 1 + depth(n - 1) }
    /// }
    /// let deep = rt.block_on(async { tourbillon::spawn(async { depth(2_000) }).await.unwrap() });
    /// assert_eq!(deep, 2_000);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// At most this many I/O events are dispatched per turn of the reactor (default 64; zero
    /// counts as 1); more wait in the kernel for the next turn. Larger values mean fewer
    /// `epoll_wait` calls when many sockets are ready at once, and, measured under `wrk -c500` on
    /// two workers, a longer latency tail (see PERF.md). tokio has the same setting, default 1024.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .max_io_events_per_tick(256)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(listener.local_addr().unwrap().port() > 0);
    /// });
    /// ```
    pub fn max_io_events_per_tick(&mut self, n: usize) -> &mut Builder {
        // The poller clamps zero to 1, where the events buffer is made.
        self.max_io_events_per_tick = n;
        self
    }

    /// Accepted for tokio compatibility: the reactor and the timers are always enabled.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread()
    ///     .enable_all()
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// ```
    pub fn enable_all(&mut self) -> &mut Builder {
        self
    }

    /// Builds the runtime and starts its worker threads.
    ///
    /// # Errors
    /// `InvalidInput` if `worker_threads(0)` was set; the OS error if the reactor cannot be
    /// created or a thread cannot be spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread().worker_threads(2).build()?;
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let blocking = BlockingPool::new(
            self.max_blocking_threads,
            format!("{}-blocking", self.thread_name),
            self.thread_stack_size,
        );
        let (driver, driver_handle) = Driver::new(self.max_io_events_per_tick)?;
        let (exited_tx, exited_rx) = std::sync::mpsc::channel();
        let mut workers = Vec::new();
        let scheduler = match self.kind {
            Kind::CurrentThread => {
                Scheduler::CurrentThread(current_thread::create(driver, driver_handle))
            }
            Kind::MultiThread => {
                let n = self.num_workers()?;
                let (scheduler, locals) = multi_thread::create(n, driver, driver_handle);
                let handle = Handle {
                    scheduler: Scheduler::MultiThread(scheduler.clone()),
                    blocking: blocking.clone(),
                };
                for (index, local) in locals.into_iter().enumerate() {
                    let worker_handle = handle.clone();
                    let scheduler = scheduler.clone();
                    let exited = exited_tx.clone();
                    let mut thread = std::thread::Builder::new().name(self.thread_name.clone());
                    if let Some(size) = self.thread_stack_size {
                        thread = thread.stack_size(size);
                    }
                    let spawned = thread.spawn(move || {
                        let _in_runtime = context::enter_runtime();
                        let _current = context::set_current(&worker_handle);
                        multi_thread::run_worker(scheduler, index, local);
                        drop(exited);
                    });
                    match spawned {
                        Ok(worker) => workers.push(worker),
                        Err(e) => {
                            // Stop the workers already started, then report.
                            drop(exited_tx);
                            Runtime::from_parts(handle, workers, exited_rx);
                            return Err(e);
                        }
                    }
                }
                Scheduler::MultiThread(scheduler)
            }
        };
        drop(exited_tx);
        let handle = Handle {
            scheduler,
            blocking,
        };
        Ok(Runtime::from_parts(handle, workers, exited_rx))
    }

    fn num_workers(&self) -> io::Result<usize> {
        match self.worker_threads {
            Some(0) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "worker_threads must be at least 1 for a multi-thread runtime",
            )),
            Some(n) => Ok(n),
            None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }
}
