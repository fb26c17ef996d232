//! [`RuntimeMetrics`]: the public reading of the counters in `crate::metrics`, which the
//! schedulers and the driver write (that module's docs say who writes which, and how).

use super::handle::Scheduler;
use super::Handle;
use crate::metrics::{DriverMetrics, SchedulerMetrics, WorkerMetrics};
use std::time::Duration;

impl Handle {
    pub(crate) fn scheduler_metrics(&self) -> &SchedulerMetrics {
        match &self.scheduler {
            Scheduler::MultiThread(s) => &s.metrics,
            Scheduler::CurrentThread(s) => &s.metrics,
        }
    }
}

/// Counts of what a runtime's scheduler, reactor and timers have done, for tests, dashboards
/// and the performance study. Cheap to clone; each call reads the live counters.
///
/// Counters are cumulative (they never go down) and per worker where the name says so, with
/// workers numbered `0..num_workers()`. The current-thread scheduler has one worker, index 0:
/// the thread inside `block_on`. The names are tokio's where tokio has one.
///
/// # Examples
///
/// ```
/// let rt = tourbillon::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// rt.block_on(async {
///     for _ in 0..10 {
///         tourbillon::spawn(async {}).await.unwrap();
///     }
/// });
/// let metrics = rt.metrics();
/// let polls: u64 = (0..metrics.num_workers()).map(|i| metrics.worker_poll_count(i)).sum();
/// assert!(polls >= 10);
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn scheduler(&self) -> &SchedulerMetrics {
        self.handle.scheduler_metrics()
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        self.scheduler().worker(worker)
    }

    fn driver(&self) -> &DriverMetrics {
        &self.handle.driver().metrics
    }

    /// Worker threads (1 for the current-thread scheduler).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 1);
    /// ```
    pub fn num_workers(&self) -> usize {
        match &self.handle.scheduler {
            Scheduler::MultiThread(s) => s.num_workers(),
            Scheduler::CurrentThread(_) => 1,
        }
    }

    /// Tasks spawned and not yet completed (blocking calls not included).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.metrics().num_alive_tasks(), 1);
    /// # drop(task);
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        match &self.handle.scheduler {
            Scheduler::MultiThread(s) => s.owned.alive(),
            Scheduler::CurrentThread(s) => s.alive(),
        }
    }

    /// Tasks waiting in the injector, the queue shared by all workers that takes remote
    /// spawns and wakes and each ring's overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.spawn(async {}); // from outside `block_on`: into the injector
    /// assert_eq!(rt.metrics().global_queue_depth(), 1);
    /// ```
    pub fn global_queue_depth(&self) -> usize {
        match &self.handle.scheduler {
            Scheduler::MultiThread(s) => s.injector_len(),
            Scheduler::CurrentThread(s) => s.injector_len(),
        }
    }

    /// Tasks spawned or woken from a thread that is not one of this runtime's workers (they go
    /// through the injector).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.spawn(async {});
    /// assert_eq!(rt.metrics().remote_schedule_count(), 1);
    /// ```
    pub fn remote_schedule_count(&self) -> u64 {
        self.scheduler().remote_schedule.get()
    }

    /// Times a task's I/O was refused because its poll spent its cooperative budget, so it
    /// yielded although its I/O was ready.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// assert_eq!(rt.metrics().budget_forced_yield_count(), 0);
    /// ```
    pub fn budget_forced_yield_count(&self) -> u64 {
        self.scheduler().budget_forced_yield.get()
    }

    /// I/O events the reactor delivered to registered sockets.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let accept = tourbillon::spawn(async move { listener.accept().await.map(drop) });
    ///     // The accept finds no connection and waits for the reactor's event.
    ///     tourbillon::time::sleep(std::time::Duration::from_millis(1)).await;
    ///     let _client = tourbillon::net::TcpStream::connect(addr).await.unwrap();
    ///     accept.await.unwrap().unwrap();
    /// });
    /// assert!(rt.metrics().io_driver_ready_count() > 0);
    /// ```
    pub fn io_driver_ready_count(&self) -> u64 {
        self.driver().events.get()
    }

    /// Turns of the reactor (blocking or not); with [`io_driver_ready_count`] this gives the
    /// events per turn.
    ///
    /// [`io_driver_ready_count`]: RuntimeMetrics::io_driver_ready_count
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert!(rt.metrics().reactor_turn_count() > 0);
    /// ```
    pub fn reactor_turn_count(&self) -> u64 {
        self.driver().turns.get()
    }

    /// Timers that fired (a `sleep`, `timeout` or `interval` deadline passed).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert_eq!(rt.metrics().timers_fired_count(), 1);
    /// ```
    pub fn timers_fired_count(&self) -> u64 {
        self.driver().timers_fired.get()
    }

    /// Times a thread asked to unpark a sleeping worker (multi-thread; 0 for current-thread,
    /// whose one thread is woken through the reactor).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// let m = rt.metrics();
    /// assert!(m.worker_wake_count() <= m.worker_wake_request_count());
    /// ```
    pub fn worker_wake_request_count(&self) -> u64 {
        self.scheduler().wake_requests.get()
    }

    /// Of [`worker_wake_request_count`], the unparks that found the worker blocked and woke it
    /// with a futex wake or a reactor unpark (a syscall each).
    ///
    /// [`worker_wake_request_count`]: RuntimeMetrics::worker_wake_request_count
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Runtime::new().unwrap();
    /// assert!(rt.metrics().worker_wake_count() <= rt.metrics().worker_wake_request_count());
    /// ```
    pub fn worker_wake_count(&self) -> u64 {
        self.scheduler().wakes_made.get()
    }

    /// Times worker `worker` parked (went to sleep for want of work).
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](RuntimeMetrics::num_workers), as every
    /// `worker_*` method.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert!(rt.metrics().worker_park_count(0) > 0);
    /// ```
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).park.get()
    }

    /// Times worker `worker` woke from parking.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert!(rt.metrics().worker_unpark_count(0) > 0);
    /// ```
    pub fn worker_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).unpark.get()
    }

    /// Task polls on worker `worker`.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::spawn(async {}).await.unwrap() });
    /// assert_eq!(rt.metrics().worker_poll_count(0), 1);
    /// ```
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).poll.get()
    }

    /// Polls on worker `worker` of a task taken from its LIFO slot (the task its running task
    /// just woke). Always 0 for current-thread, which has no LIFO slot.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().worker_lifo_hit_count(0), 0);
    /// ```
    pub fn worker_lifo_hit_count(&self, worker: usize) -> u64 {
        self.worker(worker).lifo_hits.get()
    }

    /// Tasks worker `worker` stole from other workers.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().worker_steal_count(0), 0); // nobody to steal from
    /// ```
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steal.get()
    }

    /// Steals by worker `worker` that took at least one task (each takes up to half the
    /// victim's queue).
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().worker_steal_operations(0), 0);
    /// ```
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations.get()
    }

    /// Tasks worker `worker` scheduled into its own queue (or LIFO slot): spawned or woken by
    /// code running on it.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::spawn(async {}).await.unwrap() });
    /// assert_eq!(rt.metrics().worker_local_schedule_count(0), 1);
    /// ```
    pub fn worker_local_schedule_count(&self, worker: usize) -> u64 {
        self.worker(worker).local_schedule.get()
    }

    /// Times worker `worker`'s queue was full, so it moved half of it to the injector. Always
    /// 0 for current-thread, whose queue grows.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.metrics().worker_overflow_count(0), 0);
    /// ```
    pub fn worker_overflow_count(&self, worker: usize) -> u64 {
        self.worker(worker).overflow.get()
    }

    /// Injector pops by worker `worker` that moved a batch of tasks into its queue besides the
    /// one it ran.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// for _ in 0..3 {
    ///     rt.spawn(async {});
    /// }
    /// rt.block_on(async {});
    /// assert!(rt.metrics().worker_injector_batch_count(0) <= 1);
    /// ```
    pub fn worker_injector_batch_count(&self, worker: usize) -> u64 {
        self.worker(worker).injector_batches.get()
    }

    /// Tasks waiting in worker `worker`'s own queue now (multi-thread); for current-thread,
    /// its queue's length at its last reactor turn.
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.metrics().worker_local_queue_depth(0), 0);
    /// ```
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        match &self.handle.scheduler {
            Scheduler::MultiThread(s) => s.local_queue_len(worker),
            Scheduler::CurrentThread(_) => self.worker(worker).queue_depth.get() as usize,
        }
    }

    /// Time worker `worker` spent not parked, summed over its finished busy periods (the
    /// current one counts once it parks).
    ///
    /// # Panics
    /// If `worker` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::time::sleep(std::time::Duration::from_millis(1)).await });
    /// let busy = rt.metrics().worker_total_busy_duration(0);
    /// assert!(busy < std::time::Duration::from_secs(60));
    /// ```
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.worker(worker).total_busy_duration()
    }
}
