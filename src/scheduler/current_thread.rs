//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! The run queue is a plain `VecDeque` that only the `block_on` thread touches, so a wake on
//! that thread costs no atomic instruction beyond the task's state word. Wakes from other
//! threads go through the same lock-free injector as the multi-thread scheduler and unpark the
//! reactor. The reactor and timers are polled on the same thread: after every
//! `EVENT_INTERVAL` tasks without blocking, and by blocking when there is nothing to run.
//!
//! The `Core` (run queue, driver, and the list that owns the tasks spawned on the `block_on`
//! thread) is owned by whichever thread is inside `block_on`. A second thread calling
//! `block_on` meanwhile (another thread, or a `spawn_blocking` closure calling
//! `Handle::block_on`) polls its own future on its own thread while it waits for the core, as
//! tokio's does: its future may be what the core's thread is waiting for, so waiting without
//! polling could deadlock the two. It sleeps on the core's condition variable, which both the
//! core's return and its future's waker signal.
//!
//! # Two owned-task lists
//!
//! A spawn from the `block_on` thread binds the task to the core's own [`TaskList`], with no
//! lock: only the thread holding the core touches it. A spawn from any other thread binds it to
//! the shared, locked [`OwnedTasks`]. The task's `LOCAL_LIST` state bit, fixed at spawn, tells
//! `release` which list to leave. This holds because a task of the core's list completes only
//! where the core is: polled inside `block_on`, or shut down after shutdown took it out of the
//! list. Shutdown takes the core's list when the core is free; if a thread is inside `block_on`
//! then, that thread shuts the list's tasks down and drops the queue's entries as it hands the
//! core back (both check under the core's lock, so exactly one of them does). The loom model
//! `loom-tests/tests/current_thread.rs` checks this hand-off.

use super::context::{self, Flavor, SchedulerThread};
use super::injector::Injector;
use super::tick;
use super::yielded::Yielded;
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::metrics::{SchedulerMetrics, WorkerMetrics};
use crate::task::{JoinHandle, Notified, OwnedTasks, RawTask, Schedule, TaskList};
use crossbeam_utils::CachePadded;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Tasks moved from the injector to the run queue at once when the queue runs dry.
const INJECTOR_BATCH: usize = 128;
/// The run queue starts with room for this many tasks, like a worker's ring; it grows (and
/// keeps its high-water mark) beyond that.
const INITIAL_QUEUE_CAPACITY: usize = 256;

pub(crate) struct Handle {
    injector: Injector<Arc<Handle>>,
    /// Tasks spawned from other threads (the core's own list has the rest).
    owned: OwnedTasks,
    /// Tasks in the core's own list, for metrics: written only by the thread holding the core.
    local_alive: AtomicUsize,
    pub(crate) driver_handle: DriverHandle,
    /// The core, while no thread is in `block_on`.
    core: Mutex<Option<Core>>,
    /// Signalled when the core comes back, and when the future of a thread waiting for the
    /// core is woken (`CoreWaiter`).
    core_available: Condvar,
    shutdown: AtomicBool,
    /// One worker, index 0: written by the thread holding the core.
    pub(crate) metrics: SchedulerMetrics,
}

/// What the `block_on` thread owns.
struct Core {
    queue: VecDeque<Notified<Arc<Handle>>>,
    /// Owns the tasks spawned on the `block_on` thread.
    local: TaskList,
    /// Empty between `block_on`s; kept for its capacity.
    yielded: Yielded<Arc<Handle>>,
    driver: Driver,
    tick: u32,
}

/// The running `block_on`, on its thread's stack.
struct Running {
    handle: Arc<Handle>,
    /// Separate cells so that a wake during a reactor turn can push to the queue while the
    /// driver is borrowed.
    queue: RefCell<VecDeque<Notified<Arc<Handle>>>>,
    local: RefCell<TaskList>,
    /// Tasks that yielded: they rejoin the queue when it runs dry.
    yielded: RefCell<Yielded<Arc<Handle>>>,
    /// `None` only while `RestoreCore` hands it back.
    driver: RefCell<Option<Driver>>,
    tick: Cell<u32>,
    /// The one worker's counters (`handle.metrics`' only entry).
    metrics: std::sync::Arc<CachePadded<WorkerMetrics>>,
}

pub(crate) fn create(driver: Driver, driver_handle: DriverHandle) -> Arc<Handle> {
    Arc::new(Handle {
        injector: Injector::new(),
        owned: OwnedTasks::new(),
        local_alive: AtomicUsize::new(0),
        driver_handle,
        core: Mutex::new(Some(Core {
            queue: VecDeque::with_capacity(INITIAL_QUEUE_CAPACITY),
            local: TaskList::default(),
            yielded: Yielded::with_capacity(INITIAL_QUEUE_CAPACITY),
            driver,
            tick: 0,
        })),
        core_available: Condvar::new(),
        shutdown: AtomicBool::new(false),
        metrics: SchedulerMetrics::new(1),
    })
}

/// Wakes the future of a thread waiting for the core (`Handle::wait_for_core`).
struct CoreWaiter {
    woken: AtomicBool,
    handle: Arc<Handle>,
}

impl Wake for CoreWaiter {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // Release: pairs with the Acquire swap in `wait_for_core`.
        self.woken.store(true, Release);
        // Taking the lock orders this signal after the waiter's check-then-wait.
        drop(self.handle.core.lock().unwrap());
        self.handle.core_available.notify_all();
    }
}

/// Wakes the `block_on` future: sets a flag and unparks the reactor.
struct BlockOnWaker {
    woken: AtomicBool,
    handle: Arc<Handle>,
}

impl Wake for BlockOnWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // Release: pairs with the Acquire swap in `block_on`: the future sees what the waker
        // wrote.
        self.woken.store(true, Release);
        // On the `block_on` thread itself the loop checks `woken` before it parks again;
        // only another thread must interrupt the reactor.
        if !self.handle.is_running_here() {
            self.handle.driver_handle.unpark();
        }
    }
}

// === impl Handle ===

impl Handle {
    pub(crate) fn spawn<F>(this: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        this.with_running(|running| {
            crate::task::spawn_task(future, this, |task| match running {
                Some(running) => running.bind_local(task),
                None => this.owned.bind(task),
            })
        })
    }

    pub(crate) fn injector_len(&self) -> usize {
        self.injector.len()
    }

    /// Tasks spawned and not yet completed or shut down, in both lists.
    pub(crate) fn alive(&self) -> usize {
        // Relaxed: a statistic.
        self.owned.alive() + self.local_alive.load(Relaxed)
    }

    /// Runs `f` with this thread's `block_on` of *this* runtime, if it is inside one.
    fn with_running<R>(&self, f: impl FnOnce(Option<&Running>) -> R) -> R {
        context::with(|running: Option<&Running>| {
            f(running.filter(|r| std::ptr::eq(Arc::as_ptr(&r.handle), self)))
        })
    }

    fn is_running_here(&self) -> bool {
        self.with_running(|running| running.is_some())
    }

    fn schedule(&self, task: Notified<Arc<Handle>>, is_wake: bool) {
        self.with_running(|running| match running {
            Some(running) => {
                running.metrics().scheduled_locally(task.id(), 0, is_wake);
                running.queue.borrow_mut().push_back(task);
            }
            None => {
                self.metrics.remote_schedule.incr();
                self.injector.push(task);
                self.driver_handle.unpark();
            }
        });
    }

    /// Runs `future` to completion on this thread, running the spawned tasks meanwhile if this
    /// thread gets the core, and polling `future` alone while another thread has it.
    pub(crate) fn block_on<F: Future>(this: &Arc<Self>, future: F) -> F::Output {
        let mut future = pin!(future);
        let core = match Handle::wait_for_core(this, future.as_mut()) {
            Ok(core) => core,
            Err(output) => return output,
        };
        let running = Running {
            handle: this.clone(),
            queue: RefCell::new(core.queue),
            local: RefCell::new(core.local),
            yielded: RefCell::new(core.yielded),
            driver: RefCell::new(Some(core.driver)),
            tick: Cell::new(core.tick),
            metrics: this.metrics.worker_owned(0),
        };
        let _restore = RestoreCore {
            running: &running,
            entered: Some(context::enter(&running)),
        };
        running.block_on(future)
    }

    /// Takes the core, polling `future` on this thread whenever it is woken while another
    /// thread has the core: `Ok(core)`, or `Err(output)` if the future finished first.
    fn wait_for_core<F: Future>(
        this: &Arc<Self>,
        mut future: Pin<&mut F>,
    ) -> Result<Core, F::Output> {
        let waiter = std::sync::Arc::new(CoreWaiter {
            woken: AtomicBool::new(true),
            handle: this.clone(),
        });
        let waker = Waker::from(waiter.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            {
                let mut slot = this.core.lock().unwrap();
                loop {
                    if let Some(core) = slot.take() {
                        return Ok(core);
                    }
                    // Acquire: pairs with the Release in `CoreWaiter::wake_by_ref`. Checked
                    // under the lock the waker takes before it signals, so a wake between this
                    // check and the wait below is not lost.
                    if waiter.woken.swap(false, Acquire) {
                        break;
                    }
                    slot = this.core_available.wait(slot).unwrap();
                }
            }
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Err(output);
            }
        }
    }

    /// Drops every task: called once, when the runtime is dropped.
    pub(crate) fn shutdown(this: &Arc<Self>) {
        // Relaxed: `bind_local` reads it only to refuse spawns early; that the core's list is
        // shut down rests on the core's lock (module docs), which also orders this store.
        this.shutdown.store(true, Relaxed);
        this.owned.close_and_shutdown_all();
        // With no thread in `block_on`, the core's list is ours to shut down; otherwise that
        // thread does it when it hands the core back (`RestoreCore`).
        let local = this
            .core
            .lock()
            .unwrap()
            .as_mut()
            .map(|core| core.take_local(this));
        if let Some(local) = local {
            local.shutdown_all();
        }
        // Dropping futures may have woken tasks; their entries are dropped here.
        if let Some(core) = this.core.lock().unwrap().as_mut() {
            core.queue.clear();
        }
        this.injector.close_and_drain();
        this.driver_handle.shutdown();
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notified<Self>) {
        Handle::schedule(self, task, true);
    }

    fn spawned(&self, task: Notified<Self>) {
        Handle::schedule(self, task, false);
    }

    /// A task that yielded waits until everything else runnable — the queue, the injector,
    /// and what the reactor wakes — has had a turn (as tokio does), so a yield loop cannot
    /// starve remote spawns.
    fn yield_now(&self, task: Notified<Self>) {
        self.with_running(|running| match running {
            Some(running) => running.yielded.borrow_mut().push(task),
            None => Handle::schedule(self, task, true),
        });
    }

    fn budget_forced_yield(&self) {
        self.metrics.budget_forced_yield.incr();
    }

    fn release(&self, task: RawTask) -> bool {
        if task.is_local_list() {
            // A task of the core's list completes inside `block_on`, on the thread holding the
            // core, whose `Running` has the list; or after shutdown popped it from the list, on
            // the thread shutting it down: then it is in no list and `false` is right (outside
            // `block_on`, or `remove_local` finds it absent).
            self.with_running(|running| running.is_some_and(|running| running.remove_local(task)))
        } else {
            self.owned.remove(task)
        }
    }
}

impl Core {
    /// Takes the core's list out for shutdown.
    fn take_local(&mut self, handle: &Handle) -> TaskList {
        // Relaxed: a statistic (see `local_alive`).
        handle.local_alive.store(0, Relaxed);
        std::mem::take(&mut self.local)
    }
}

/// Puts the core back when `block_on` returns or unwinds.
struct RestoreCore<'a> {
    running: &'a Running,
    /// Makes this thread the scheduler thread; left first when the core is handed back.
    entered: Option<context::Entered<'a>>,
}

impl Drop for RestoreCore<'_> {
    fn drop(&mut self) {
        drop(self.entered.take());
        let handle = &self.running.handle;
        let mut queue = std::mem::take(&mut *self.running.queue.borrow_mut());
        let mut yielded = self.running.yielded.replace(Yielded::with_capacity(0));
        yielded.requeue_into(&mut queue, &handle.injector);
        let driver = self
            .running
            .driver
            .borrow_mut()
            .take()
            .expect("driver present");
        let mut core = Core {
            queue,
            local: self.running.local.take(),
            yielded,
            driver,
            tick: self.running.tick.get(),
        };
        let mut slot = handle.core.lock().unwrap();
        // Relaxed: the lock orders it. A shutdown that found the core gone set the flag before
        // it took this lock; one that comes later finds the core and its list (module docs).
        // Then the core's list and its queued entries are ours to drop: an entry left in the
        // core would hold its task, and the task the `Handle` that holds the core (a cycle).
        let shut_down = handle
            .shutdown
            .load(Relaxed)
            .then(|| (core.take_local(handle), std::mem::take(&mut core.queue)));
        *slot = Some(core);
        // Every waiter: any of them may take the core, and each must poll its own future.
        handle.core_available.notify_all();
        drop(slot);
        // Outside the lock: a task's destructor may call `block_on`, which takes it.
        if let Some((local, queue)) = shut_down {
            local.shutdown_all();
            drop(queue);
        }
    }
}

// === impl Running ===

impl SchedulerThread for Running {
    const FLAVOR: Flavor = Flavor::CurrentThread;
}

impl Running {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let waker_state = std::sync::Arc::new(BlockOnWaker {
            woken: AtomicBool::new(true),
            handle: self.handle.clone(),
        });
        let waker = Waker::from(waker_state.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        self.metrics().busy_from_now(self.handle.metrics.epoch);
        loop {
            // Acquire: pairs with the Release store in `BlockOnWaker::wake_by_ref`.
            if waker_state.woken.swap(false, Acquire) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            self.run_tasks(&waker_state.woken);
        }
    }

    /// Runs queued tasks until the maintenance tick (every `EVENT_INTERVAL`: the reactor's
    /// turn without blocking, and the tasks that yielded rejoin the queue), or until nothing
    /// is runnable: then blocks in the reactor, unless the main future was woken. Returns so
    /// that `block_on` can poll its future.
    fn run_tasks(&self, main_woken: &AtomicBool) {
        loop {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            if tick::is_maintenance(tick) {
                self.maintenance();
                return;
            }
            let injector = &self.handle.injector;
            let picked = tick::next_task(tick, &mut *self.queue.borrow_mut(), injector, |_| {
                INJECTOR_BATCH
            });
            match picked {
                Some(picked) => self.run(picked),
                None if self.requeue_yielded() => {}
                None => {
                    // Relaxed: a wake from this thread was sequenced before us; one from another
                    // thread also unparks the reactor, so the park below returns at once.
                    let timeout = if main_woken.load(Relaxed) {
                        Some(Duration::ZERO)
                    } else {
                        None
                    };
                    self.park(timeout);
                    return;
                }
            }
        }
    }

    /// Runs what `tick` picked, counted (metrics.rs).
    fn run(&self, picked: tick::Picked<Arc<Handle>>) {
        let metrics = self.metrics();
        if picked.batched > 0 {
            metrics.injector_batch(picked.batched, || self.handle.injector.len());
        }
        let id = picked.task.id();
        metrics.poll_start(id, || self.queue.borrow().len());
        picked.task.run();
        metrics.poll_end(id);
    }

    fn metrics(&self) -> &WorkerMetrics {
        &self.metrics
    }

    /// A busy loop still hears from the reactor and the timers, and the tasks that yielded
    /// rejoin the queue even if it never runs dry (the fairness bound, yielded.rs).
    fn maintenance(&self) {
        self.park(Some(Duration::ZERO));
        (self.yielded.borrow_mut())
            .requeue_into(&mut *self.queue.borrow_mut(), &self.handle.injector);
    }

    /// Spawned on this thread: the task joins the core's own list, no lock taken. `false` once
    /// the runtime is shutting down.
    fn bind_local(&self, task: RawTask) -> bool {
        // Relaxed: an early refusal only. A task bound after shutdown began is still shut down
        // when this thread hands the core back (module docs).
        if self.handle.shutdown.load(Relaxed) {
            return false;
        }
        task.set_local_list();
        let mut local = self.local.borrow_mut();
        local.push(task);
        // Relaxed: a statistic, written only by the thread holding the core.
        self.handle.local_alive.store(local.len(), Relaxed);
        true
    }

    /// A task of the core's list completed: it leaves the list. `true` if it was in it.
    fn remove_local(&self, task: RawTask) -> bool {
        let mut local = self.local.borrow_mut();
        let removed = local.remove(task);
        // Relaxed: as in `bind_local`.
        self.handle.local_alive.store(local.len(), Relaxed);
        removed
    }

    /// The queue ran dry: the tasks that yielded go back to it, after the reactor had a turn
    /// since the first of them yielded. `false` if there were none.
    fn requeue_yielded(&self) -> bool {
        if self.yielded.borrow().is_empty() {
            return false;
        }
        if self.yielded.borrow().awaits_reactor() {
            self.park(Some(Duration::ZERO));
        }
        (self.yielded.borrow_mut())
            .requeue_into(&mut *self.queue.borrow_mut(), &self.handle.injector);
        true
    }

    fn park(&self, timeout: Option<Duration>) {
        let (metrics, epoch) = (self.metrics(), self.handle.metrics.epoch);
        let blocks = timeout != Some(Duration::ZERO);
        metrics.queue_depth.set(self.queue.borrow().len() as u64);
        let mut driver = self.driver.borrow_mut();
        let driver = driver.as_mut().expect("driver present while running");
        if blocks {
            metrics.about_to_park(epoch);
        }
        let events = driver.park(&self.handle.driver_handle, timeout);
        if blocks {
            metrics.unparked(epoch);
        }
        metrics.reactor_turned(events);
        self.yielded.borrow_mut().reactor_turned();
    }
}
