//! Runtime metrics: the counters the schedulers and the driver keep, and [`RuntimeMetrics`],
//! which reads them.
//!
//! # Who writes what
//!
//! | counters | written by | how |
//! |----------|------------|-----|
//! | [`WorkerMetrics`] (one per worker, on its own cache line) | that worker's thread only; for the current-thread scheduler, the thread holding the core | [`Counter`]: relaxed load + store |
//! | [`DriverMetrics`] (reactor turns, events, timers fired) | the thread holding the driver | [`Counter`] |
//! | [`SchedulerMetrics`]'s shared counters (remote schedules, wake requests, futex wakes, budget-forced yields) | any thread | [`SharedCounter`]: relaxed `fetch_add`, off the hot path |
//!
//! Every read is a relaxed load from any thread. The counters publish no data, so no ordering
//! edge is needed: a reader may see a value a little stale, never a torn one. A [`Counter`] has
//! one writer at a time, so a load and a store cannot lose an increment; where the writer
//! changes threads (the driver, the current-thread core) the lock or hand-off that moves the
//! owner also orders its counters.
//!
//! The counters are `std` atomics on purpose, not the loom facade's: they take part in no
//! protocol, and a loom model that saw each of them as a scheduling point would explore
//! interleavings that cannot change any outcome.
//!
//! Busy duration needs the clock: a worker reads it once as it parks and once as it unparks,
//! never per poll.
//!
//! # Measuring what they cost
//!
//! Built with the environment variable `TOURBILLON_METRICS_OFF` set, every counter stays at
//! zero and the park-time clock reads are skipped: `scripts/metrics-overhead.sh` (criterion)
//! and `scripts/metrics-instructions.sh` (callgrind) build both ways to measure the difference
//! (PERF.md). Nothing else sets it.

use super::handle::Scheduler;
use super::Handle;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// `false` only in the build that measures the counters' cost (module docs).
const COUNTING: bool = option_env!("TOURBILLON_METRICS_OFF").is_none();

/// A cumulative count with one writer at a time: a relaxed load and store (two plain `mov`s
/// on x86), no read-modify-write.
#[derive(Default, Debug)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        if COUNTING {
            // Relaxed: one writer (module docs); readers need no edge.
            self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
        }
    }

    #[inline]
    pub(crate) fn incr(&self) {
        self.add(1);
    }

    #[inline]
    pub(crate) fn set(&self, value: u64) {
        if COUNTING {
            // Relaxed: as in `add`.
            self.0.store(value, Relaxed);
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> u64 {
        // Relaxed: a statistic (module docs).
        self.0.load(Relaxed)
    }
}

/// A cumulative count any thread may bump: a relaxed `fetch_add`. Only for events that already
/// cost a contended atomic or a syscall (a remote push, an unpark).
#[derive(Default, Debug)]
pub(crate) struct SharedCounter(AtomicU64);

impl SharedCounter {
    #[inline]
    pub(crate) fn incr(&self) {
        if COUNTING {
            // Relaxed: a statistic (module docs).
            self.0.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn get(&self) -> u64 {
        // Relaxed: a statistic.
        self.0.load(Relaxed)
    }
}

/// One worker's counters, written only by that worker (module docs).
#[derive(Debug)]
pub(crate) struct WorkerMetrics {
    pub(crate) park: Counter,
    pub(crate) unpark: Counter,
    pub(crate) poll: Counter,
    /// Tasks stolen by this worker.
    pub(crate) steal: Counter,
    /// Steals by this worker that took at least one task.
    pub(crate) steal_operations: Counter,
    /// Tasks this worker woke or spawned into its own queue or LIFO slot.
    pub(crate) local_schedule: Counter,
    /// Times this worker's ring was full and moved half its tasks to the injector.
    pub(crate) overflow: Counter,
    /// Polls of a task taken from the LIFO slot.
    pub(crate) lifo_hits: Counter,
    /// Injector pops that also moved tasks into this worker's queue.
    pub(crate) injector_batches: Counter,
    /// The current-thread run queue's length at the last maintenance tick or park (a worker's
    /// ring is read directly instead).
    pub(crate) queue_depth: Counter,
    busy_nanos: Counter,
    /// When the current busy period began, in nanoseconds since [`SchedulerMetrics`]'s epoch.
    busy_since: Counter,
    #[cfg(feature = "trace")]
    pub(crate) trace: crate::runtime::trace::Ring,
}

impl WorkerMetrics {
    /// Counters at zero; the trace ring's (feature `trace`) timestamps count from `epoch`.
    fn new(epoch: Instant) -> WorkerMetrics {
        #[cfg(not(feature = "trace"))]
        let _ = epoch;
        WorkerMetrics {
            park: Counter::default(),
            unpark: Counter::default(),
            poll: Counter::default(),
            steal: Counter::default(),
            steal_operations: Counter::default(),
            local_schedule: Counter::default(),
            overflow: Counter::default(),
            lifo_hits: Counter::default(),
            injector_batches: Counter::default(),
            queue_depth: Counter::default(),
            busy_nanos: Counter::default(),
            busy_since: Counter::default(),
            #[cfg(feature = "trace")]
            trace: crate::runtime::trace::Ring::new(epoch),
        }
    }

    /// The worker is about to park: its busy period ends.
    pub(crate) fn about_to_park(&self, epoch: Instant) {
        if !COUNTING && cfg!(not(feature = "trace")) {
            return;
        }
        self.park.incr();
        let now = nanos_since(epoch);
        self.busy_nanos
            .add(now.saturating_sub(self.busy_since.get()));
        #[cfg(feature = "trace")]
        self.trace
            .record_at(now, crate::runtime::trace::Event::Park);
    }

    /// The worker unparked: a busy period begins.
    pub(crate) fn unparked(&self, epoch: Instant) {
        if !COUNTING && cfg!(not(feature = "trace")) {
            return;
        }
        self.unpark.incr();
        let now = self.busy_from_now(epoch);
        #[cfg(feature = "trace")]
        self.trace
            .record_at(now, crate::runtime::trace::Event::Unpark);
        #[cfg(not(feature = "trace"))]
        let _ = now;
    }

    /// A busy period begins now (a worker starts, a thread enters `block_on`); returns now.
    pub(crate) fn busy_from_now(&self, epoch: Instant) -> u64 {
        let now = nanos_since(epoch);
        self.busy_since.set(now);
        now
    }

    /// About to poll `task` (its id); `queued` tasks wait in this worker's queue.
    #[inline]
    pub(crate) fn poll_start(&self, task: usize, queued: impl FnOnce() -> usize) {
        self.poll.incr();
        #[cfg(feature = "trace")]
        self.trace.record(crate::runtime::trace::Event::PollStart {
            task,
            queued: queued(),
        });
        #[cfg(not(feature = "trace"))]
        let _ = (task, queued);
    }

    /// The poll of `task` returned.
    #[inline]
    pub(crate) fn poll_end(&self, task: usize) {
        #[cfg(feature = "trace")]
        self.trace
            .record(crate::runtime::trace::Event::PollEnd { task });
        #[cfg(not(feature = "trace"))]
        let _ = task;
    }

    /// This worker woke (`is_wake`) or spawned `task` into worker `target`'s queue (its own).
    #[inline]
    pub(crate) fn scheduled_locally(&self, task: usize, target: usize, is_wake: bool) {
        self.local_schedule.incr();
        #[cfg(feature = "trace")]
        self.trace.record(match is_wake {
            true => crate::runtime::trace::Event::Wake { task, target },
            false => crate::runtime::trace::Event::Spawn { task, target },
        });
        #[cfg(not(feature = "trace"))]
        let _ = (task, target, is_wake);
    }

    /// This worker stole `count` tasks from `victim`.
    pub(crate) fn stole(&self, victim: usize, count: usize) {
        self.steal.add(count as u64);
        self.steal_operations.incr();
        #[cfg(feature = "trace")]
        self.trace
            .record(crate::runtime::trace::Event::Steal { victim, count });
        #[cfg(not(feature = "trace"))]
        let _ = victim;
    }

    /// An injector pop moved `count` tasks besides the one to run; `left` remain there.
    pub(crate) fn injector_batch(&self, count: usize, left: impl FnOnce() -> usize) {
        self.injector_batches.incr();
        #[cfg(feature = "trace")]
        self.trace
            .record(crate::runtime::trace::Event::InjectorBatch {
                count,
                left: left(),
            });
        #[cfg(not(feature = "trace"))]
        let _ = (count, left);
    }

    /// This worker turned the reactor, which dispatched `events` I/O events.
    #[inline]
    pub(crate) fn reactor_turned(&self, events: usize) {
        #[cfg(feature = "trace")]
        self.trace
            .record(crate::runtime::trace::Event::ReactorTurn { events });
        #[cfg(not(feature = "trace"))]
        let _ = events;
    }

    fn total_busy_duration(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.get())
    }
}

pub(crate) fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A scheduler's counters: one [`WorkerMetrics`] per worker, and the runtime-wide ones.
#[derive(Debug)]
pub(crate) struct SchedulerMetrics {
    /// Busy periods and trace timestamps count from here.
    pub(crate) epoch: Instant,
    workers: Box<[CachePadded<WorkerMetrics>]>,
    /// Tasks scheduled from a thread that is not one of this runtime's workers.
    pub(crate) remote_schedule: CachePadded<SharedCounter>,
    /// Unparks asked of a sleeping worker's parker.
    pub(crate) wake_requests: SharedCounter,
    /// Of those, the ones that found the worker blocked and woke it (a futex wake or a reactor
    /// unpark); the rest found the token already there or the worker not yet asleep.
    pub(crate) wakes_made: SharedCounter,
    pub(crate) budget_forced_yield: SharedCounter,
}

impl SchedulerMetrics {
    pub(crate) fn new(num_workers: usize) -> SchedulerMetrics {
        let epoch = Instant::now();
        SchedulerMetrics {
            epoch,
            workers: (0..num_workers)
                .map(|_| CachePadded::new(WorkerMetrics::new(epoch)))
                .collect(),
            remote_schedule: CachePadded::default(),
            wake_requests: SharedCounter::default(),
            wakes_made: SharedCounter::default(),
            budget_forced_yield: SharedCounter::default(),
        }
    }

    /// Worker `index`'s counters.
    ///
    /// # Panics
    /// If `index` is not below the number of workers.
    #[inline]
    pub(crate) fn worker(&self, index: usize) -> &WorkerMetrics {
        &self.workers[index]
    }

    #[cfg(feature = "trace")]
    pub(crate) fn workers(&self) -> impl Iterator<Item = &WorkerMetrics> {
        self.workers.iter().map(|w| &**w)
    }

    /// An unpark was requested; `made` if it found the worker blocked.
    pub(crate) fn wake_requested(&self, made: bool) {
        self.wake_requests.incr();
        if made {
            self.wakes_made.incr();
        }
    }
}

/// The reactor's and the timers' counters, written by the thread that holds the driver.
#[derive(Debug, Default)]
pub(crate) struct DriverMetrics {
    pub(crate) turns: Counter,
    /// I/O events dispatched to a registered source.
    pub(crate) events: Counter,
    pub(crate) timers_fired: Counter,
}

impl DriverMetrics {
    pub(crate) fn turned(&self, events: usize, timers_fired: usize) {
        self.turns.incr();
        self.events.add(events as u64);
        self.timers_fired.add(timers_fired as u64);
    }
}

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
