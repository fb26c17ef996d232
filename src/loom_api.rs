//! The crate's internals, exposed to `loom-tests/` only in `--cfg loom` builds.
//!
//! The models in `loom-tests/` must drive the library's own code, not a copy of it, yet the
//! scheduler, task and reactor internals are `pub(crate)`. This module re-exports exactly the
//! pieces the models need, and only when the crate is compiled for loom; a normal build has no
//! such module. Nothing here is a public API: it changes whenever the models do.

// === task and schedulers (loom-tests/tests/{task,injector,local_queue,parker,idle,shutdown,
// current_thread,worker_local}.rs) ===
//
// Thin wrappers: the internals are `pub(crate)` (and generic over the crate-private `Schedule`
// trait), so each model-facing type here owns one of them and forwards to its real methods.
// Nothing below re-implements a protocol; each method is one call into the library.

pub use core_api::*;

mod core_api {
    use crate::driver::{Driver, DriverHandle};
    use crate::io::DEFAULT_MAX_EVENTS_PER_TICK;
    use crate::loom::sync::{Arc, Mutex};
    use crate::scheduler::{current_thread, injector, local, multi_thread, park};
    use crate::task::{JoinHandle, Notified, OwnedTasks, RawTask, Schedule};
    use std::collections::VecDeque;
    use std::future::Future;
    use std::time::Duration;

    // === TestScheduler: a run queue for the task models ===

    /// A minimal scheduler for the task models: woken tasks wait in a FIFO (a loom `Mutex`),
    /// and the model decides which thread runs them with [`TestScheduler::run_one`]. Spawning
    /// uses the real `spawn_task` and `OwnedTasks`, so completion and shutdown take the same
    /// paths as under a runtime.
    #[derive(Clone)]
    pub struct TestScheduler {
        shared: Arc<Shared>,
    }

    struct Shared {
        queue: Mutex<Queue>,
        owned: OwnedTasks,
    }

    struct Queue {
        tasks: VecDeque<Notified<TestScheduler>>,
        /// Set by `shutdown`: later wakes drop their entry instead of queueing it.
        closed: bool,
    }

    impl Schedule for TestScheduler {
        fn schedule(&self, task: Notified<Self>) {
            let mut queue = self.shared.queue.lock().unwrap();
            if queue.closed {
                drop(queue);
                drop(task);
            } else {
                queue.tasks.push_back(task);
            }
        }

        fn release(&self, task: RawTask) -> bool {
            self.shared.owned.remove(task)
        }
    }

    impl Default for TestScheduler {
        fn default() -> Self {
            Self::new()
        }
    }

    impl TestScheduler {
        /// An empty scheduler. Call [`TestScheduler::shutdown`] before the model ends: queued
        /// tasks hold the scheduler, so it would otherwise leak (and loom says so).
        pub fn new() -> TestScheduler {
            TestScheduler {
                shared: Arc::new(Shared {
                    queue: Mutex::new(Queue {
                        tasks: VecDeque::new(),
                        closed: false,
                    }),
                    owned: OwnedTasks::new(),
                }),
            }
        }

        /// Spawns `future` (the real `spawn_task`, which hands the new task to
        /// `Schedule::spawned`: queued here).
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            crate::task::spawn_task(future, self, |task| self.shared.owned.bind(task))
        }

        /// Spawns `future` and takes its first run-queue entry back out of this queue, for the
        /// caller to push onto the queue under test. Only for models that use this
        /// scheduler's queue for nothing else meanwhile (the entry is the newest one queued).
        ///
        /// # Panics
        /// After [`TestScheduler::shutdown`].
        pub fn spawn_entry<F>(&self, future: F) -> (JoinHandle<F::Output>, Task)
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            let join = crate::task::spawn_task(future, self, |task| self.shared.owned.bind(task));
            let entry = self.shared.queue.lock().unwrap().tasks.pop_back();
            (
                join,
                Task(entry.expect("spawn on a shut-down TestScheduler")),
            )
        }

        /// Pops the oldest queued entry and runs it. `false` if the queue was empty.
        pub fn run_one(&self) -> bool {
            // The lock is released before the poll: the task may wake itself.
            let task = self.shared.queue.lock().unwrap().tasks.pop_front();
            match task {
                Some(task) => {
                    task.run();
                    true
                }
                None => false,
            }
        }

        /// Runs queued tasks until the queue is empty; returns how many runs that took.
        pub fn run_until_idle(&self) -> usize {
            let mut runs = 0;
            while self.run_one() {
                runs += 1;
            }
            runs
        }

        /// Queued entries.
        pub fn queued(&self) -> usize {
            self.shared.queue.lock().unwrap().tasks.len()
        }

        /// Tasks bound and not yet completed or shut down.
        pub fn alive(&self) -> usize {
            self.shared.owned.alive()
        }

        /// Runtime shutdown: cancel every task (the real `close_and_shutdown_all`) and drop the
        /// queued entries; later wakes drop theirs.
        pub fn shutdown(&self) {
            self.shared.owned.close_and_shutdown_all();
            let tasks = {
                let mut queue = self.shared.queue.lock().unwrap();
                queue.closed = true;
                std::mem::take(&mut queue.tasks)
            };
            drop(tasks);
        }
    }

    /// One run-queue entry (a `Notified`: one reference to a `NOTIFIED` task).
    pub struct Task(Notified<TestScheduler>);

    impl Task {
        /// Polls the task, consuming the entry.
        pub fn run(self) {
            self.0.run();
        }
    }

    impl std::fmt::Debug for Task {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Task")
        }
    }

    // === the injector ===

    /// `scheduler::injector::Injector` over [`Task`]s.
    pub struct Injector(injector::Injector<TestScheduler>);

    /// The outcome of a pop (mirrors `injector::Pop`).
    #[derive(Debug)]
    pub enum Pop<T> {
        /// Got something.
        Task(T),
        /// Nothing queued.
        Empty,
        /// Another consumer holds the token.
        Busy,
        /// A producer is between its swap and its link.
        Inconsistent,
    }

    fn pop_from<T, U>(pop: injector::Pop<T>, f: impl FnOnce(T) -> U) -> Pop<U> {
        match pop {
            injector::Pop::Task(t) => Pop::Task(f(t)),
            injector::Pop::Empty => Pop::Empty,
            injector::Pop::Busy => Pop::Busy,
            injector::Pop::Inconsistent => Pop::Inconsistent,
        }
    }

    impl Default for Injector {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Injector {
        /// An empty, open injector.
        pub fn new() -> Injector {
            Injector(injector::Injector::new())
        }
        /// `Injector::push`.
        pub fn push(&self, task: Task) {
            self.0.push(task.0);
        }
        /// `Injector::push_batch`.
        pub fn push_batch(&self, tasks: Vec<Task>) {
            self.0.push_batch(tasks.into_iter().map(|t| t.0));
        }
        /// `Injector::pop`.
        pub fn pop(&self) -> Pop<Task> {
            pop_from(self.0.pop(), Task)
        }
        /// `Injector::pop_batch`.
        pub fn pop_batch(&self, max: usize, mut sink: impl FnMut(Task)) -> Pop<usize> {
            pop_from(self.0.pop_batch(max, |t| sink(Task(t))), |n| n)
        }
        /// `Injector::len`.
        pub fn len(&self) -> usize {
            self.0.len()
        }
        /// `Injector::is_empty`.
        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        /// `Injector::close_and_drain`.
        pub fn close_and_drain(&self) {
            self.0.close_and_drain();
        }
    }

    // === the local queue ===

    /// Slots per local ring (4 under loom).
    pub const LOCAL_CAPACITY: usize = local::CAPACITY;

    /// A new local ring: the owner's end and the thieves' end.
    pub fn local_queue() -> (Local, Stealer) {
        let (local, steal) = local::new();
        (Local(local), Stealer(steal))
    }

    /// The owner's end of a local ring (`local::Local`).
    pub struct Local(local::Local<TestScheduler>);

    impl Local {
        /// `Local::push_back_or_overflow`.
        pub fn push_back_or_overflow(&mut self, task: Task, injector: &Injector) {
            self.0.push_back_or_overflow(task.0, &injector.0);
        }
        /// `Local::pop`.
        pub fn pop(&mut self) -> Option<Task> {
            self.0.pop().map(Task)
        }
        /// `Local::len`.
        pub fn len(&self) -> usize {
            self.0.len()
        }
        /// `Local::len() == 0`.
        pub fn is_empty(&self) -> bool {
            self.0.len() == 0
        }
    }

    /// The thieves' end of a local ring (`local::Steal`).
    #[derive(Clone)]
    pub struct Stealer(local::Steal<TestScheduler>);

    impl Stealer {
        /// `Steal::steal_into`: half of this ring into `dst`, one task returned to run.
        pub fn steal_into(&self, dst: &mut Local) -> Option<Task> {
            self.0.steal_into(&mut dst.0).map(Task)
        }
        /// `Steal::len`.
        pub fn len(&self) -> usize {
            self.0.len()
        }
        /// `Steal::len() == 0`.
        pub fn is_empty(&self) -> bool {
            self.0.len() == 0
        }
    }

    // === the parker ===

    /// A worker's `park::Parker`, with the reactor it may park in. The reactor is a real mio
    /// one: under loom only non-blocking turns are used (see [`Parker::park_driver_timeout`]).
    pub struct Parker {
        parker: park::Parker,
        driver: Mutex<Driver>,
        handle: DriverHandle,
    }

    impl Default for Parker {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Parker {
        /// A parker with no token.
        ///
        /// # Panics
        /// If the OS refuses to create the reactor.
        pub fn new() -> Parker {
            let (driver, handle) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).expect("reactor");
            Parker {
                parker: park::Parker::new(),
                driver: Mutex::new(driver),
                handle,
            }
        }
        /// `Parker::park`: block until the token is there, consume it.
        pub fn park(&self) {
            self.parker.park();
        }
        /// `Parker::park_driver` with a timeout that has already run out: park in the
        /// reactor, which returns at once (loom cannot block in `epoll_wait`). The token is
        /// consumed if it was there.
        pub fn park_driver_timeout(&self) {
            let mut driver = self.driver.lock().unwrap();
            self.parker
                .park_driver(&mut driver, &self.handle, Some(Duration::ZERO));
        }
        /// `Parker::unpark`.
        pub fn unpark(&self) {
            self.parker.unpark(&self.handle);
        }
    }

    impl Drop for Parker {
        fn drop(&mut self) {
            self.handle.shutdown();
        }
    }

    // === the multi-thread scheduler ===

    /// A multi-thread scheduler without its threads: the model runs each [`Worker`] on a loom
    /// thread of its choosing. While a [`Worker`] method runs, that worker is its loom thread's
    /// scheduler (the scheduler thread-local is loom's, one per model thread), as on a real
    /// worker thread: a wake there goes to the LIFO slot, a self-wake to the yield list, a
    /// spawn to the local queue. A wake on any other thread goes to the injector and may unpark
    /// a sleeper (idle.rs rule 1).
    pub struct MultiThread {
        handle: Arc<multi_thread::Handle>,
        workers: Vec<Worker>,
    }

    /// One worker of a [`MultiThread`]: the real `multi_thread::Worker`.
    pub struct Worker(multi_thread::Worker);

    impl MultiThread {
        /// A scheduler with `workers` workers (and a real mio reactor nobody will block in).
        ///
        /// # Panics
        /// If the OS refuses to create the reactor.
        pub fn new(workers: usize) -> MultiThread {
            let (driver, driver_handle) =
                Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).expect("reactor");
            let (handle, locals) = multi_thread::create(workers, driver, driver_handle);
            let workers = locals
                .into_iter()
                .enumerate()
                .map(|(i, local)| Worker(multi_thread::Worker::new(handle.clone(), i, local)))
                .collect();
            MultiThread { handle, workers }
        }

        /// Takes the workers out, to move each onto a thread.
        pub fn take_workers(&mut self) -> Vec<Worker> {
            std::mem::take(&mut self.workers)
        }

        /// `Handle::spawn` from a thread that is not a worker.
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            multi_thread::Handle::spawn(&self.handle, future)
        }

        /// Runs `f` holding the reactor, so workers park on their futex parkers (see
        /// `Handle::with_driver_held`). Run every worker thread inside this.
        pub fn with_driver_held<R>(&self, f: impl FnOnce() -> R) -> R {
            self.handle.with_driver_held(f)
        }

        /// `Handle::begin_shutdown`: workers stop after their current poll.
        pub fn begin_shutdown(&self) {
            self.handle.begin_shutdown();
        }

        /// `Handle::finish_shutdown`: after the workers exited, cancel every task, drain the
        /// injector, shut the reactor down.
        pub fn finish_shutdown(&self) {
            self.handle.finish_shutdown();
        }

        /// Tasks spawned and not yet completed or shut down.
        pub fn alive(&self) -> usize {
            self.handle.owned.alive()
        }
    }

    // === the current-thread scheduler ===

    /// A current-thread scheduler (the real `current_thread::Handle`, with a real mio reactor);
    /// clones share it. Its `CURRENT` thread-local is loom's, so each model thread has its own.
    /// A model must not let `block_on` park: the reactor would block loom's only OS thread.
    #[derive(Clone)]
    pub struct CurrentThread(Arc<current_thread::Handle>);

    impl CurrentThread {
        /// A new scheduler, its core free.
        ///
        /// # Panics
        /// If the OS refuses to create the reactor.
        pub fn new() -> CurrentThread {
            let (driver, driver_handle) =
                Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).expect("reactor");
            CurrentThread(current_thread::create(driver, driver_handle))
        }

        /// `Handle::block_on`: takes the core (waiting for it if another thread has it), runs
        /// `future` and the spawned tasks on this thread, hands the core back.
        pub fn block_on<F: Future>(&self, future: F) -> F::Output {
            current_thread::Handle::block_on(&self.0, future)
        }

        /// `Handle::spawn`: onto the core's own list inside this scheduler's `block_on` on this
        /// thread, onto the shared list anywhere else.
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            current_thread::Handle::spawn(&self.0, future)
        }

        /// `Handle::shutdown`, what dropping the runtime does.
        pub fn shutdown(&self) {
            current_thread::Handle::shutdown(&self.0);
        }

        /// Tasks spawned and not yet completed or shut down, in both lists.
        pub fn alive(&self) -> usize {
            self.0.alive()
        }
    }

    impl Default for CurrentThread {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Worker {
        /// The real worker loop (`Worker::run`), with the worker as this thread's scheduler
        /// (as `run_worker` runs it): returns at shutdown, its queues drained.
        pub fn run(self) {
            self.0.entered(multi_thread::Worker::run);
        }
        /// One turn of the loop (`Worker::run_tick`), with the worker as this thread's
        /// scheduler for the turn: `true` if it found and ran a task.
        pub fn run_tick(&self) -> bool {
            self.0.entered(multi_thread::Worker::run_tick)
        }
    }
}

// === reactor and timers (loom-tests/tests/{reactor,timers}.rs) ===
//
// Thin wrappers, as above: each model-facing type owns one library object and forwards to its
// real methods. The reactor runs on the scripted fake event source (`src/io/fake.rs`); the
// timers on the real driver with an `unpark` of the model's choosing.

pub use reactor_api::*;
pub use time_api::*;

mod reactor_api {
    use std::io;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use crate::io::fake::{self, FakePeer, FakePoller, FakeRegistrar, FakeSource};
    use crate::io::{Direction, Driver, Handle, Registered};

    /// A new reactor on a fresh fake kernel: the blocking half and the shared half.
    pub fn reactor() -> (Reactor, ReactorHandle) {
        let (poller, registrar) = fake::new();
        let (driver, handle) = Driver::with_poller(poller, registrar.clone());
        (Reactor { driver }, ReactorHandle { handle, registrar })
    }

    /// The reactor's blocking half (`io::Driver` on the fake poller).
    pub struct Reactor {
        driver: Driver<FakePoller>,
    }

    impl Reactor {
        /// `Driver::turn`: frees released slots, polls (blocking when `timeout` is `None`),
        /// dispatches, wakes.
        pub fn turn(&mut self, timeout: Option<Duration>) {
            self.driver.turn(timeout);
        }
    }

    /// The reactor's shared half (`io::Handle` on the fake registrar).
    #[derive(Clone)]
    pub struct ReactorHandle {
        handle: Handle<FakeRegistrar>,
        registrar: FakeRegistrar,
    }

    impl ReactorHandle {
        /// A fake socket registered with this reactor (`Registered::with_handle`), and the peer
        /// that writes into it.
        ///
        /// # Errors
        /// The reactor has shut down.
        pub fn socket(&self) -> io::Result<(Socket, Peer)> {
            let (source, peer) = self.registrar.socket();
            let io = Registered::with_handle(source, self.handle.clone())?;
            self.registrar.bind(io.get_ref(), io.token());
            Ok((Socket { io }, Peer { peer }))
        }

        /// Slots holding a registration: live ones, and released ones the driver has not freed
        /// yet (driver rule 1).
        pub fn registrations(&self) -> usize {
            self.handle.registrations()
        }

        /// `Handle::unpark`.
        pub fn unpark(&self) {
            self.handle.unpark();
        }

        /// `Handle::shutdown`.
        pub fn shutdown(&self) {
            self.handle.shutdown();
        }
    }

    /// A registered fake socket (`Registered<FakeSource, FakeRegistrar>`); dropping it
    /// deregisters it.
    pub struct Socket {
        io: Registered<FakeSource, FakeRegistrar>,
    }

    impl Socket {
        /// Reads one byte through `Registered::poll_io` (the owner slot).
        pub fn poll_read(&self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
            self.poll_read_then(cx, || {})
        }

        /// [`poll_read`](Self::poll_read), running `after_read` right after each read syscall
        /// (see [`poll_read_stream`](Self::poll_read_stream)).
        pub fn poll_read_then(
            &self,
            cx: &mut Context<'_>,
            mut after_read: impl FnMut(),
        ) -> Poll<io::Result<usize>> {
            self.io.poll_io(cx, Direction::Read, |source| {
                let result = source.read(1);
                after_read();
                result
            })
        }

        /// Reads up to `len` bytes through `Registered::poll_io_stream` (the owner slot): a
        /// short read clears the readiness it started from. `after_read` runs right after each
        /// read syscall, as the world goes on between the syscall and the code after it (a
        /// model writes the next byte there).
        pub fn poll_read_stream(
            &self,
            cx: &mut Context<'_>,
            len: usize,
            mut after_read: impl FnMut(),
        ) -> Poll<io::Result<usize>> {
            self.io.poll_io_stream(cx, Direction::Read, len, |source| {
                let result = source.read(len);
                after_read();
                result
            })
        }

        /// Reads one byte through `Registered::async_io_shared` (a shared waiter slot).
        pub async fn read_shared(&self) -> io::Result<usize> {
            self.io
                .async_io_shared(Direction::Read, |source| source.read(1))
                .await
        }
    }

    /// The remote end of a [`Socket`].
    pub struct Peer {
        peer: FakePeer,
    }

    impl Peer {
        /// Writes one byte; the fake kernel queues a readable event if the socket is registered.
        pub fn write(&self) {
            self.peer.write();
        }
    }
}

mod time_api {
    use std::time::Instant;

    use crate::time::{Handle, Sleep};

    /// The timer driver's shared handle (`time::Handle`).
    #[derive(Clone)]
    pub struct Timers {
        handle: Handle,
    }

    impl Timers {
        /// A timer driver that calls `unpark` when an insert must wake a parked thread.
        pub fn new(unpark: impl Fn() + Send + Sync + 'static) -> Timers {
            Timers {
                handle: Handle::new(Box::new(unpark)),
            }
        }

        /// A `Sleep` on this driver until `deadline`.
        pub fn sleep_until(&self, deadline: Instant) -> Sleep {
            Sleep::new(self.handle.clone(), deadline)
        }

        /// `Handle::before_park`: the park timeout, armed for inserts to see.
        pub fn before_park(&self) -> Option<Instant> {
            self.handle.before_park()
        }

        /// `Handle::after_park`: disarms and fires what is due at `now`.
        pub fn after_park(&self, now: Instant) {
            self.handle.after_park(now);
        }

        /// `Handle::process`: fires what is due at `now` (one atomic load if nothing is).
        pub fn process(&self, now: Instant) {
            self.handle.process(now);
        }

        /// `Handle::shutdown`.
        pub fn shutdown(&self) {
            self.handle.shutdown();
        }

        /// Is no entry linked into the wheel?
        pub fn is_empty(&self) -> bool {
            self.handle.is_empty()
        }
    }
}
