//! The lists that own every live task of a runtime, so shutdown can reach the ones nobody else
//! will ever wake.
//!
//! A list holds one reference per task from spawn until the task completes (then the completer
//! removes it in `Schedule::release`) or shutdown pops it. [`TaskList`] is the list itself: a
//! doubly linked list through the header's `owned` links, guarded by whoever has `&mut` to it.
//! Two owners use it:
//!
//! - [`OwnedTasks`], shared by every thread that spawns or completes tasks: to keep spawn and
//!   completion on different cores from fighting over one lock, it is split into shards chosen
//!   by the task's address, each a `TaskList` behind its own mutex. Shards sit on their own
//!   cache lines and count their own tasks, so two threads that lock different shards share no
//!   cache line (a global counter here cost `remote_spawn` a contended line per spawn and per
//!   completion). Once closed (shutdown has begun), `bind` refuses new tasks, so
//!   `close_and_shutdown_all` is guaranteed to see every task that will ever be bound.
//! - The current-thread scheduler's core, which keeps the tasks spawned on its own thread in a
//!   `TaskList` of its own and touches it without a lock (current_thread.rs).

use super::core::Header;
use super::raw::RawTask;
use crate::loom::sync::Mutex;
use crossbeam_utils::CachePadded;
use std::ptr::NonNull;

/// One shard under loom: the shard is picked by the cell's address, which differs from one
/// loom iteration to the next, and loom needs every iteration to replay the same operations.
const SHARDS: usize = if crate::loom::IS_LOOM { 1 } else { 16 };

pub(crate) struct OwnedTasks {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
}

struct Shard {
    tasks: TaskList,
    closed: bool,
}

/// An intrusive list of tasks, each holding one of the task's references. `&mut TaskList`
/// is what guards the `owned` links of the tasks in it: a task is in at most one list.
#[derive(Default)]
pub(crate) struct TaskList {
    head: Option<NonNull<Header>>,
    /// Tasks in the list, for metrics.
    len: usize,
}

// SAFETY: the raw pointers in a list are only followed through `&mut TaskList`, and the tasks
// they point to are `Send` (spawn requires it).
unsafe impl Send for TaskList {}

impl TaskList {
    /// Adds a task that is in no list, taking over one of its references.
    pub(crate) fn push(&mut self, task: RawTask) {
        let ptr = task.header_ptr();
        let old_head = self.head;
        // SAFETY: `&mut self` guards the `owned` links of this list's tasks; the new task is
        // in no list yet.
        task.header().owned.with_mut(|links| unsafe {
            (*links).prev = None;
            (*links).next = old_head;
        });
        if let Some(old) = old_head {
            // SAFETY: `old` is in this list, guarded by `&mut self`.
            unsafe { old.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = Some(ptr) });
        }
        self.head = Some(ptr);
        self.len += 1;
    }

    /// Removes a completed task. `true` if it was in the list: the caller now owns the list's
    /// reference. `false` if it was not (shutdown already popped it). The task must be in
    /// this list or in none.
    pub(crate) fn remove(&mut self, task: RawTask) -> bool {
        let ptr = task.header_ptr();
        // SAFETY: the task is in this list or in none; either way `&mut self` guards its links.
        let (prev, next) = task
            .header()
            .owned
            .with(|links| unsafe { ((*links).prev, (*links).next) });
        if prev.is_none() && self.head != Some(ptr) {
            return false;
        }
        match prev {
            // SAFETY: neighbours are in the same list, guarded by `&mut self`.
            Some(prev) => unsafe { prev.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).next = next }),
            None => self.head = next,
        }
        if let Some(next) = next {
            // SAFETY: `next` is in this list, which holds a reference to it (so it is live),
            // and its links are guarded by `&mut self`.
            unsafe { next.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = prev });
        }
        // SAFETY: the caller's reference keeps the task live; it is out of the list now, so
        // no other list operation reads these links.
        task.header().owned.with_mut(|links| unsafe {
            (*links).prev = None;
            (*links).next = None;
        });
        self.len -= 1;
        true
    }

    /// Takes the first task out; the caller gets the list's reference.
    pub(crate) fn pop(&mut self) -> Option<RawTask> {
        let ptr = self.head?;
        // SAFETY: the head is a live task (the list holds a reference to it).
        let task = unsafe { RawTask::from_raw(ptr) };
        // SAFETY: links are guarded by `&mut self`.
        let next = task.header().owned.with_mut(|links| unsafe {
            let next = (*links).next;
            (*links).next = None;
            next
        });
        if let Some(next) = next {
            // SAFETY: `next` is in this list, which holds a reference to it (so it is live),
            // and its links are guarded by `&mut self`.
            unsafe { next.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = None });
        }
        self.head = next;
        self.len -= 1;
        Some(task)
    }

    /// Tasks in the list.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Shuts down every task in the list, cancelling those nobody is polling. The list has
    /// left its owner, so a task's completion finds it in no list (`release` gives `false`).
    pub(crate) fn shutdown_all(mut self) {
        while let Some(task) = self.pop() {
            task.shutdown();
        }
    }
}

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks {
            shards: (0..SHARDS)
                .map(|_| {
                    CachePadded::new(Mutex::new(Shard {
                        tasks: TaskList::default(),
                        closed: false,
                    }))
                })
                .collect(),
        }
    }

    #[allow(clippy::modulo_one)] // SHARDS is 1 under loom.
    fn shard(&self, task: RawTask) -> &Mutex<Shard> {
        // Cells are at least 64 bytes: drop the low bits that every address shares.
        let index = (task.header_ptr().as_ptr() as usize >> 6) % SHARDS;
        &self.shards[index]
    }

    /// Adds a new task, taking over one of its references. `false` if shutdown has begun: the
    /// caller keeps the reference and must shut the task down.
    pub(crate) fn bind(&self, task: RawTask) -> bool {
        let mut shard = self.shard(task).lock().unwrap();
        if shard.closed {
            return false;
        }
        shard.tasks.push(task);
        true
    }

    /// Removes a completed task. `true` if it was in the list: the caller now owns the list's
    /// reference. `false` if shutdown already popped it.
    pub(crate) fn remove(&self, task: RawTask) -> bool {
        self.shard(task).lock().unwrap().tasks.remove(task)
    }

    /// Closes the list and shuts down every task in it: idle ones are cancelled here (their
    /// futures dropped on this thread); running ones are cancelled by their runner.
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            shard.lock().unwrap().closed = true;
            // Pop one at a time, unlocked while the task shuts down: that may complete others,
            // which lock the shard to remove themselves.
            loop {
                let Some(task) = shard.lock().unwrap().tasks.pop() else {
                    break;
                };
                task.shutdown();
            }
        }
    }

    /// Tasks spawned and not yet completed or shut down. Locks every shard in turn: a
    /// statistic, not a snapshot.
    pub(crate) fn alive(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap().tasks.len())
            .sum()
    }
}
