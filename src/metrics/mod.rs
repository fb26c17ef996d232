//! The counters the schedulers and the driver keep; `runtime::metrics`'s `RuntimeMetrics`
//! reads them.
//!
//! A leaf of the crate, below the driver and the schedulers that write it (README's
//! "Architecture"): it imports nothing from the crate but itself.
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

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "trace")]
pub(crate) mod trace;

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
    pub(crate) trace: trace::Ring,
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
            trace: trace::Ring::new(epoch),
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
        self.trace.record_at(now, trace::Event::Park);
    }

    /// The worker unparked: a busy period begins.
    pub(crate) fn unparked(&self, epoch: Instant) {
        if !COUNTING && cfg!(not(feature = "trace")) {
            return;
        }
        self.unpark.incr();
        let now = self.busy_from_now(epoch);
        #[cfg(feature = "trace")]
        self.trace.record_at(now, trace::Event::Unpark);
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
        self.trace.record(trace::Event::PollStart {
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
        self.trace.record(trace::Event::PollEnd { task });
        #[cfg(not(feature = "trace"))]
        let _ = task;
    }

    /// This worker woke (`is_wake`) or spawned `task` into worker `target`'s queue (its own).
    #[inline]
    pub(crate) fn scheduled_locally(&self, task: usize, target: usize, is_wake: bool) {
        self.local_schedule.incr();
        #[cfg(feature = "trace")]
        self.trace.record(match is_wake {
            true => trace::Event::Wake { task, target },
            false => trace::Event::Spawn { task, target },
        });
        #[cfg(not(feature = "trace"))]
        let _ = (task, target, is_wake);
    }

    /// This worker stole `count` tasks from `victim`.
    pub(crate) fn stole(&self, victim: usize, count: usize) {
        self.steal.add(count as u64);
        self.steal_operations.incr();
        #[cfg(feature = "trace")]
        self.trace.record(trace::Event::Steal { victim, count });
        #[cfg(not(feature = "trace"))]
        let _ = victim;
    }

    /// An injector pop moved `count` tasks besides the one to run; `left` remain there.
    pub(crate) fn injector_batch(&self, count: usize, left: impl FnOnce() -> usize) {
        self.injector_batches.incr();
        #[cfg(feature = "trace")]
        self.trace.record(trace::Event::InjectorBatch {
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
        self.trace.record(trace::Event::ReactorTurn { events });
        #[cfg(not(feature = "trace"))]
        let _ = events;
    }

    pub(crate) fn total_busy_duration(&self) -> Duration {
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
    /// Shared with the worker that writes them, which keeps a clone (`worker_owned`).
    workers: Box<[Arc<CachePadded<WorkerMetrics>>]>,
    /// Tasks scheduled from a thread that is not one of this runtime's workers.
    pub(crate) remote_schedule: CachePadded<SharedCounter>,
    /// Unparks asked of a sleeping worker's parker.
    pub(crate) wake_requests: SharedCounter,
    /// Of those, the ones that found the worker blocked and woke it (a futex wake or a reactor
    /// unpark); the rest found the token already there or the worker not yet asleep.
    pub(crate) wakes_made: SharedCounter,
    /// Polls that returned `Pending` because the coop budget refused an operation
    /// (`Schedule::budget_forced_yield`).
    pub(crate) budget_forced_yield: SharedCounter,
}

impl SchedulerMetrics {
    pub(crate) fn new(num_workers: usize) -> SchedulerMetrics {
        let epoch = Instant::now();
        SchedulerMetrics {
            epoch,
            workers: (0..num_workers)
                .map(|_| Arc::new(CachePadded::new(WorkerMetrics::new(epoch))))
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

    /// Worker `index`'s counters, for that worker to keep: its hot path then reaches them
    /// through one pointer, with no index and no bounds check per poll.
    ///
    /// # Panics
    /// If `index` is not below the number of workers.
    pub(crate) fn worker_owned(&self, index: usize) -> Arc<CachePadded<WorkerMetrics>> {
        self.workers[index].clone()
    }

    #[cfg(feature = "trace")]
    pub(crate) fn workers(&self) -> impl Iterator<Item = &WorkerMetrics> {
        self.workers.iter().map(|w| &***w)
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
