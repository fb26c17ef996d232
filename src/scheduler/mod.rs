//! Schedulers: where runnable tasks wait and which thread runs them.
//!
//! - `injector`: the lock-free queue any thread can push to.
//! - `local`: each worker's ring, with steal-half.
//! - `park`: the futex-style parker.
//! - `idle`: who sleeps, who searches, whom to wake.
//! - `tick`: one scheduler tick, shared by both schedulers: where the next task comes from,
//!   and the intervals below.
//! - `context`: the one thread-local that says which scheduler thread this is.
//! - `yielded`: tasks that yielded, waiting for their turn to come back.
//! - `multi_thread`: the work-stealing worker loop.
//! - `current_thread`: everything on the `block_on` thread.
//!
//! # The fairness contract
//!
//! **A task that is woken is polled within a bounded number of ticks of the scheduler thread
//! it is queued on, whatever the other tasks do, as long as each poll returns.** A *tick* is
//! one turn of a scheduler thread's loop: it takes one task from a queue and polls it; on a
//! multi-thread worker the tick may then poll up to `MAX_LIFO_POLLS` (3) tasks from the LIFO
//! slot, so a tick is at most 4 polls. The bound is the sum of the waits below, each bounded:
//!
//! | where the woken task waits | for at most |
//! |---|---|
//! | the yield list (it woke itself during its poll: `yield_now`, a read out of coop budget) | `EVENT_INTERVAL` (61) ticks, then it joins the back of its run queue; sooner if the queue runs dry |
//! | a run queue (local ring, or the current-thread `VecDeque`), FIFO | one tick per task ahead of it, plus one in every `GLOBAL_INTERVAL` (31) ticks spent on the injector |
//! | the injector (woken or spawned from a thread outside the runtime), FIFO | `GLOBAL_INTERVAL` ticks of each worker per task ahead of it (every worker looks there first every 31 ticks, and takes batches when its own queue is empty) |
//! | the LIFO slot (multi-thread: woken by the task running on this worker, unless it was the last task polled from the slot) | the rest of the current tick, or it is moved to the back of the local queue |
//! | the current-thread `block_on` future | `EVENT_INTERVAL` ticks (it is polled at every maintenance tick and whenever the queue runs dry) |
//!
//! No task jumps ahead of a queued one except through the LIFO slot, which is capped per
//! tick, so "the tasks ahead of it" are those already queued when it was. tokio makes the
//! same kind of promise with its event interval; the deferral of yields for throughput (a
//! round of yields costs one reactor turn, not one per yield) is kept, but never beyond the
//! next maintenance tick. `tests/liveness.rs` checks each row beside busy tasks that keep the
//! queues from ever running dry, and counts the bound on the current-thread scheduler.

mod context;
pub(crate) mod current_thread;
pub(crate) mod idle;
pub(crate) mod injector;
pub(crate) mod local;
pub(crate) mod multi_thread;
pub(crate) mod park;
mod tick;
mod yielded;
