//! The multi-thread scheduler: N workers, each with a local queue and a LIFO slot, sharing an
//! injector, stealing from each other, and parking when there is nothing to do.
//!
//! # The worker loop
//!
//! ```text
//! loop:
//!     every EVENT_INTERVAL ticks: poll the reactor and timers without blocking, and requeue
//!            the tasks that yielded (tick.rs)
//!     the LIFO slot, if a wake during our own reactor turn filled it
//!     every GLOBAL_INTERVAL ticks: injector first (fairness: remote work is not starved)
//!     next task: local queue, else a batch from the injector
//!     none?  the tasks that yielded: poll the reactor (unless it turned since the first
//!            yield), then requeue them all
//!     none?  search: steal half of another worker's queue, else the injector
//!     none?  park (in the reactor if nobody else is, else on the futex)
//! run_task: poll; then the LIFO slot, at most MAX_LIFO_POLLS times in a row
//! ```
//!
//! The fairness bound that follows is in the [`scheduler`](super) module docs.
//!
//! # Where a wake goes
//!
//! A task woken *on a worker thread of this runtime* goes to that worker's LIFO slot (the
//! woken task likely uses data the waker just wrote, still in this core's cache), pushing the
//! slot's previous occupant to the local queue. Except the task this worker last polled from
//! the slot: woken again, it goes to the back of the local queue. Such a task is being fed by
//! several tasks in turn, as hyper's HTTP/2 connection task is by the stream tasks of its
//! connection, each waking it with a response: through the slot it would run after each of
//! them and write each response with a syscall of its own; from the back of the queue it runs
//! after the streams queued with them and writes their responses in one `writev` (PERF.md,
//! "HTTP/2 and the LIFO slot", has the counts). Two tasks waking each other still take turns
//! through the slot (each wakes the other, not the task last polled from it), except after
//! `MAX_LIFO_POLLS` moved one of them to the queue. A task that woke itself (`yield_now`) waits in
//! the worker's `Yielded` list until the local queue runs dry or the next maintenance tick,
//! after a reactor turn (yielded.rs): a yield loop cannot starve anything, and a round of
//! yields costs one idle check, not one per yield. A spawn goes to the local queue. A wake from any other thread
//! goes to the injector and, per idle.rs rule 1, may unpark a sleeper.
//!
//! A task queued locally also may unpark a sleeper (to steal it), except during the worker's
//! own reactor turn while it is parked: the worker is still on the sleeper list then and could
//! pick itself (a wasted `eventfd` write and `epoll_wait`), so it notifies once, as it unparks.
//!
//! # Who owns what
//!
//! The owner's half of each local queue (`Local`) and the LIFO slot live in the `Worker` on the
//! worker thread's stack; the scheduler thread-local (context.rs) points at it while the worker
//! runs, and only that thread touches them. Everything other threads need is in `Handle`.

use super::context::{self, Flavor, SchedulerThread};
use super::idle::Idle;
use super::injector::Injector;
use super::local::{self, Local, Steal};
use super::park::Parker;
use super::tick::{self, Picked};
use super::yielded::Yielded;
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::metrics::{SchedulerMetrics, WorkerMetrics};
use crate::task::{JoinHandle, Notified, OwnedTasks, RawTask, Schedule};
use crossbeam_utils::CachePadded;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Duration;

/// Tasks run from the LIFO slot in a row before it yields to the local queue.
const MAX_LIFO_POLLS: usize = 3;

/// The scheduler's shared state; `Arc<Handle>` is what every task holds to schedule itself.
pub(crate) struct Handle {
    remotes: Box<[Remote]>,
    injector: Injector<Arc<Handle>>,
    idle: Idle,
    pub(crate) owned: OwnedTasks,
    /// The reactor, taken by whichever worker parks first.
    driver: Mutex<Driver>,
    pub(crate) driver_handle: DriverHandle,
    shutdown: AtomicBool,
    pub(crate) metrics: SchedulerMetrics,
}

/// What other threads may touch of a worker.
struct Remote {
    steal: Steal<Arc<Handle>>,
    parker: Parker,
}

/// A worker's own state, on its thread's stack.
pub(crate) struct Worker {
    handle: Arc<Handle>,
    index: usize,
    /// This worker's counters (its entry in `handle.metrics`), written only here.
    metrics: std::sync::Arc<CachePadded<WorkerMetrics>>,
    local: RefCell<Local<Arc<Handle>>>,
    lifo: Cell<Option<Notified<Arc<Handle>>>>,
    /// Tasks that yielded (woke themselves during their poll): they rejoin the queue when it
    /// runs dry, after a reactor turn, so a yield loop lets all other work run first.
    yielded: RefCell<Yielded<Arc<Handle>>>,
    is_searching: Cell<bool>,
    /// The id of the task last polled from the LIFO slot: a wake of it goes to the back of the
    /// queue (module docs, "Where a wake goes"). Ids are addresses, reused once a task is
    /// freed: a new task that matches a stale id is queued once, which is only slower.
    lifo_last_polled: Cell<usize>,
    /// In its own reactor turn while parked: still on the sleeper list, so it holds back the
    /// notifications for the tasks it queues (it could pick itself) and sends one when it
    /// unparks (`transition_from_parked`).
    parked_in_driver: Cell<bool>,
    tick: Cell<u32>,
}

/// Builds the scheduler; returns its handle and each worker's local queue, to be moved into
/// the worker threads with [`run_worker`].
pub(crate) fn create(
    num_workers: usize,
    driver: Driver,
    driver_handle: DriverHandle,
) -> (Arc<Handle>, Vec<Local<Arc<Handle>>>) {
    let (locals, remotes): (Vec<_>, Vec<_>) = (0..num_workers)
        .map(|_| {
            let (local, steal) = local::new();
            let remote = Remote {
                steal,
                parker: Parker::new(),
            };
            (local, remote)
        })
        .unzip();
    let handle = Arc::new(Handle {
        remotes: remotes.into_boxed_slice(),
        injector: Injector::new(),
        idle: Idle::new(num_workers),
        owned: OwnedTasks::new(),
        driver: Mutex::new(driver),
        driver_handle,
        shutdown: AtomicBool::new(false),
        metrics: SchedulerMetrics::new(num_workers),
    });
    (handle, locals)
}

/// The body of worker thread `index`. Returns at shutdown, its queues drained.
pub(crate) fn run_worker(handle: Arc<Handle>, index: usize, local: Local<Arc<Handle>>) {
    Worker::new(handle, index, local).entered(Worker::run);
}

// === impl Handle ===

impl Handle {
    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn injector_len(&self) -> usize {
        self.injector.len()
    }

    pub(crate) fn local_queue_len(&self, worker: usize) -> usize {
        self.remotes[worker].steal.len()
    }

    pub(crate) fn spawn<F>(this: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::task::spawn_task(future, this, |task| this.owned.bind(task))
    }

    /// Runs `f` with the current worker if this thread is one of *this* runtime's workers.
    fn with_current_worker<R>(&self, f: impl FnOnce(Option<&Worker>) -> R) -> R {
        context::with(|worker: Option<&Worker>| {
            f(worker.filter(|w| std::ptr::eq(Arc::as_ptr(&w.handle), self)))
        })
    }

    fn schedule_task(&self, task: Notified<Arc<Handle>>, is_wake: bool) {
        self.with_current_worker(|worker| match worker {
            Some(worker) => worker.schedule_local(task, is_wake),
            None => {
                self.metrics.remote_schedule.incr();
                self.injector.push(task);
                self.notify_parked();
            }
        });
    }

    /// Wakes a parked worker if idle.rs rule 1 says so.
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            let made = self.remotes[index].parker.unpark(&self.driver_handle);
            self.metrics.wake_requested(made);
        }
    }

    /// idle.rs rule 4: a worker announced it is going to sleep; is there work it missed?
    fn notify_if_work_pending(&self) {
        // The sleeper's half of idle.rs's pair: its update of the idle word, this fence, these
        // loads.
        Idle::sleeper_fence();
        let pending = !self.injector.is_empty() || self.remotes.iter().any(|r| r.steal.len() > 0);
        if pending {
            self.notify_parked();
        }
    }

    fn is_shutdown(&self) -> bool {
        // Acquire: pairs with the Release in `begin_shutdown`.
        self.shutdown.load(Acquire)
    }

    /// Tells every worker to stop after its current poll.
    pub(crate) fn begin_shutdown(&self) {
        // Release: pairs with the Acquire in `is_shutdown`.
        self.shutdown.store(true, Release);
        for remote in self.remotes.iter() {
            remote.parker.unpark(&self.driver_handle);
        }
    }

    /// After the workers have exited: cancel every task and drop every queue entry.
    pub(crate) fn finish_shutdown(&self) {
        self.owned.close_and_shutdown_all();
        self.injector.close_and_drain();
        self.driver_handle.shutdown();
    }
}

#[cfg(loom)]
impl Handle {
    /// Runs `f` holding the reactor, so no worker can take it and every worker parks on its
    /// futex parker. A loom model needs this: a real `epoll_wait` would block the whole model
    /// (loom runs its threads on one OS thread), and loom could not see it anyway.
    pub(crate) fn with_driver_held<R>(&self, f: impl FnOnce() -> R) -> R {
        let _driver = self.driver.lock().unwrap();
        f()
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notified<Self>) {
        self.schedule_task(task, true);
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.with_current_worker(|worker| match worker {
            Some(worker) => worker.yielded.borrow_mut().push(task),
            None => self.schedule_task(task, false),
        });
    }

    /// A new task goes to the back of the queue, not into the LIFO slot: that slot is for the
    /// task a waker just readied, whose data is still hot in this core's cache.
    fn spawned(&self, task: Notified<Self>) {
        self.schedule_task(task, false);
    }

    fn budget_forced_yield(&self) {
        self.metrics.budget_forced_yield.incr();
    }

    fn release(&self, task: RawTask) -> bool {
        self.owned.remove(task)
    }
}

// === impl Worker ===

impl SchedulerThread for Worker {
    const FLAVOR: Flavor = Flavor::MultiThread;
}

impl Worker {
    /// Worker `index` of `handle`, owning `local`. Run it through [`Worker::entered`], so
    /// wakes on its thread take the local paths.
    pub(crate) fn new(handle: Arc<Handle>, index: usize, local: Local<Arc<Handle>>) -> Worker {
        Worker {
            metrics: handle.metrics.worker_owned(index),
            handle,
            index,
            local: RefCell::new(local),
            lifo: Cell::new(None),
            yielded: RefCell::new(Yielded::with_capacity(local::CAPACITY)),
            is_searching: Cell::new(false),
            lifo_last_polled: Cell::new(0),
            parked_in_driver: Cell::new(false),
            tick: Cell::new(0),
        }
    }

    /// Runs `f` with this worker as its thread's scheduler (context.rs): wakes and spawns on
    /// the thread meanwhile take the worker-local paths (LIFO slot, local queue, yield list).
    pub(crate) fn entered<R>(&self, f: impl FnOnce(&Worker) -> R) -> R {
        let _entered = context::enter(self);
        f(self)
    }

    fn shared(&self) -> &Handle {
        &self.handle
    }

    fn metrics(&self) -> &WorkerMetrics {
        &self.metrics
    }

    /// The worker loop: run what there is, park when there is nothing; drain at shutdown.
    pub(crate) fn run(&self) {
        self.metrics().busy_from_now(self.shared().metrics.epoch);
        while !self.shared().is_shutdown() {
            if !self.run_tick() {
                self.park();
            }
        }
        self.drain();
    }

    /// One turn of the loop: finds one task and runs it (`true`), or finds none (`false`:
    /// the caller parks).
    pub(crate) fn run_tick(&self) -> bool {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick::is_maintenance(tick) {
            self.maintenance();
        }
        let task = (self.next_task(tick))
            .or_else(|| self.requeue_yielded())
            .or_else(|| self.search());
        match task {
            Some(task) => {
                self.run_task(task);
                true
            }
            None => false,
        }
    }

    /// Every `EVENT_INTERVAL` ticks: the reactor's turn, then the tasks that yielded rejoin
    /// the queue even if it never runs dry (the fairness bound, yielded.rs).
    fn maintenance(&self) {
        self.poll_driver();
        let shared = self.shared();
        let requeued = (self.yielded.borrow_mut())
            .requeue_into(&mut *self.local.borrow_mut(), &shared.injector);
        if requeued > 0 {
            // Tasks we will not run next: another worker may take them.
            shared.notify_parked();
        }
    }

    fn next_task(&self, tick: u32) -> Option<Notified<Arc<Handle>>> {
        // A wake during our own reactor turn (while parked) lands in the LIFO slot.
        if let Some(task) = self.lifo.take() {
            return Some(task);
        }
        let shared = self.shared();
        let picked = tick::next_task(
            tick,
            &mut *self.local.borrow_mut(),
            &shared.injector,
            |local| worker_share(shared.injector.len(), shared.num_workers(), local.len()),
        );
        self.took(picked)
    }

    /// The task to run from what `tick` picked; a batch from the injector is stealable now
    /// (idle.rs rule 5).
    fn took(&self, picked: Option<Picked<Arc<Handle>>>) -> Option<Notified<Arc<Handle>>> {
        let picked = picked?;
        if picked.batched > 0 {
            (self.metrics()).injector_batch(picked.batched, || self.shared().injector.len());
            self.shared().notify_parked();
        }
        Some(picked.task)
    }

    /// The queue ran dry: lets the reactor have its turn (unless it had one since the first
    /// yield), then moves the tasks that yielded back into the queue (one notify for the batch)
    /// and returns the first.
    fn requeue_yielded(&self) -> Option<Notified<Arc<Handle>>> {
        if self.yielded.borrow().is_empty() {
            return None;
        }
        if self.yielded.borrow().awaits_reactor() {
            self.poll_driver();
        }
        let shared = self.shared();
        let mut local = self.local.borrow_mut();
        let requeued = self
            .yielded
            .borrow_mut()
            .requeue_into(&mut *local, &shared.injector);
        let first = local.pop();
        drop(local);
        if requeued > 1 {
            shared.notify_parked();
        }
        first
    }

    /// Looks for work elsewhere: steal from other workers, then the injector (rule 2 of idle.rs
    /// caps how many workers do this at once).
    fn search(&self) -> Option<Notified<Arc<Handle>>> {
        let shared = self.shared();
        if !self.is_searching.get() {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let n = shared.remotes.len();
        // Start at a different victim each time, so thieves spread out.
        let start = (self.tick.get() as usize).wrapping_mul(7) % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            let mut local = self.local.borrow_mut();
            let before = local.len();
            if let Some(task) = shared.remotes[victim].steal.steal_into(&mut local) {
                self.metrics().stole(victim, local.len() + 1 - before);
                return Some(task);
            }
        }
        let mut local = self.local.borrow_mut();
        let share = worker_share(shared.injector.len(), shared.num_workers(), local.len());
        let picked = tick::pop_injector_batch(&mut *local, &shared.injector, share);
        drop(local);
        self.took(picked)
    }

    fn run_task(&self, task: Notified<Arc<Handle>>) {
        if self.is_searching.replace(false) && self.shared().idle.transition_worker_from_searching()
        {
            // idle.rs rule 3: we were the last searcher; wake another for the rest.
            self.shared().notify_parked();
        }
        self.poll(task);
        for _ in 0..MAX_LIFO_POLLS {
            let Some(task) = self.lifo.take() else { return };
            self.metrics().lifo_hits.incr();
            self.lifo_last_polled.set(task.id());
            self.poll(task);
        }
        // A ping-pong pair could keep the LIFO slot busy forever: let the queue run.
        if let Some(task) = self.lifo.take() {
            self.push_local(task);
        }
    }

    /// Polls `task`, counted (metrics.rs).
    fn poll(&self, task: Notified<Arc<Handle>>) {
        let id = task.id();
        self.metrics().poll_start(id, || self.local.borrow().len());
        task.run();
        self.metrics().poll_end(id);
    }

    fn schedule_local(&self, task: Notified<Arc<Handle>>, is_wake: bool) {
        self.metrics()
            .scheduled_locally(task.id(), self.index, is_wake);
        let to_queue = if is_wake && task.id() != self.lifo_last_polled.get() {
            // The slot's previous occupant, if any, moves to the queue.
            self.lifo.replace(Some(task))
        } else {
            Some(task)
        };
        if let Some(task) = to_queue {
            self.push_local(task);
        }
    }

    fn push_local(&self, task: Notified<Arc<Handle>>) {
        let shared = self.shared();
        if (self.local.borrow_mut()).push_back_or_overflow(task, &shared.injector) {
            self.metrics().overflow.incr();
        }
        if !self.parked_in_driver.get() {
            shared.notify_parked();
        }
    }

    /// Polls the reactor and the timers without blocking, if no other worker holds them.
    fn poll_driver(&self) {
        let shared = self.shared();
        if let Ok(mut driver) = shared.driver.try_lock() {
            let events = driver.park(&shared.driver_handle, Some(Duration::ZERO));
            self.metrics().reactor_turned(events);
            self.yielded.borrow_mut().reactor_turned();
        }
    }

    /// Sleeps until there may be work. Blocks in the reactor if nobody else does.
    fn park(&self) {
        let shared = self.shared();
        self.metrics().about_to_park(shared.metrics.epoch);
        (shared.idle).transition_worker_to_parked(self.index, self.is_searching.replace(false));
        shared.notify_if_work_pending();
        let parker = &shared.remotes[self.index].parker;
        loop {
            match shared.driver.try_lock() {
                Ok(mut driver) => {
                    self.parked_in_driver.set(true);
                    let turn = parker.park_driver(&mut driver, &shared.driver_handle, None);
                    if let Some(events) = turn {
                        self.metrics().reactor_turned(events);
                    }
                    self.parked_in_driver.set(false);
                }
                Err(_) => parker.park(),
            }
            if self.transition_from_parked() || shared.is_shutdown() {
                self.metrics().unparked(shared.metrics.epoch);
                return;
            }
        }
    }

    /// After a wake-up: `true` if the worker should run again.
    fn transition_from_parked(&self) -> bool {
        let shared = self.shared();
        let queued = usize::from(self.lifo_has_task()) + self.local.borrow().len();
        if queued > 0 || shared.is_shutdown() {
            // Woken by our own reactor turn (it queued tasks here): unpark ourselves, not as a
            // searcher. If a producer already picked us, it counted us as searching.
            let was_sleeping = shared.idle.unpark_worker_by_id(self.index);
            self.is_searching.set(!was_sleeping);
            if queued > 1 {
                // More than we will run next: let a sleeper steal some. This is the one notify
                // for the tasks the turn queued (see `parked_in_driver`).
                shared.notify_parked();
            }
            return true;
        }
        if shared.idle.is_parked(self.index) {
            return false;
        }
        // A producer picked us: it counted us as unparked and searching.
        self.is_searching.set(true);
        true
    }

    fn lifo_has_task(&self) -> bool {
        let task = self.lifo.take();
        let has = task.is_some();
        self.lifo.set(task);
        has
    }

    /// At shutdown: drop our queue entries (the owned list cancels the tasks themselves).
    fn drain(&self) {
        if self.is_searching.replace(false) {
            self.shared().idle.transition_worker_from_searching();
        }
        drop(self.lifo.take());
        drop(self.yielded.borrow_mut().take_all());
        while let Some(task) = self.local.borrow_mut().pop() {
            drop(task);
        }
    }
}

/// A fair share of the injector for one of `workers` workers whose ring holds `queued` tasks:
/// at most half the ring, so the batch never overflows it.
fn worker_share(injector_len: usize, workers: usize, queued: usize) -> usize {
    let room = local::CAPACITY / 2 - queued.min(local::CAPACITY / 2);
    (injector_len / workers + 1).min(room)
}
