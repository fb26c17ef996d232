//! `OwnedTasks`: every live task of a runtime, in an intrusive list, so shutdown can reach
//! the ones nobody else will ever wake.
//!
//! The list holds one reference per task from spawn until the task completes (then the
//! completer removes it in `Schedule::release`) or shutdown pops it. To keep spawn and
//! completion on different cores from fighting over one lock, the list is split into shards
//! chosen by the task's address; each shard is a doubly linked list through the header's
//! `owned` links, which only the shard's lock guards. Shards sit on their own cache lines and
//! count their own tasks, so two threads that lock different shards share no cache line (a
//! global counter here cost `remote_spawn` a contended line per spawn and per completion).
//!
//! Once closed (shutdown has begun), `bind` refuses new tasks, so `close_and_shutdown_all`
//! is guaranteed to see every task that will ever be bound.

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
    head: Option<NonNull<Header>>,
    /// Tasks in this shard, for metrics.
    len: usize,
    closed: bool,
}

// SAFETY: the raw pointers in a shard are only followed under its lock, and the tasks they
// point to are `Send` (spawn requires it).
unsafe impl Send for Shard {}

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks {
            shards: (0..SHARDS)
                .map(|_| {
                    CachePadded::new(Mutex::new(Shard {
                        head: None,
                        len: 0,
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
    pub(super) fn bind(&self, task: RawTask) -> bool {
        let mut shard = self.shard(task).lock().unwrap();
        if shard.closed {
            return false;
        }
        let ptr = task.header_ptr();
        let old_head = shard.head;
        // SAFETY: we hold the shard lock, which guards the `owned` links of its tasks; the new
        // task is in no list yet.
        task.header().owned.with_mut(|links| unsafe {
            (*links).prev = None;
            (*links).next = old_head;
        });
        if let Some(old) = old_head {
            // SAFETY: `old` is in this shard, guarded by the lock we hold.
            unsafe { old.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = Some(ptr) });
        }
        shard.head = Some(ptr);
        shard.len += 1;
        true
    }

    /// Removes a completed task. `true` if it was in the list: the caller now owns the list's
    /// reference. `false` if shutdown already popped it.
    pub(crate) fn remove(&self, task: RawTask) -> bool {
        let mut shard = self.shard(task).lock().unwrap();
        let ptr = task.header_ptr();
        // SAFETY: the links are guarded by the shard lock, which we hold.
        let (prev, next) = task
            .header()
            .owned
            .with(|links| unsafe { ((*links).prev, (*links).next) });
        if prev.is_none() && shard.head != Some(ptr) {
            return false;
        }
        match prev {
            // SAFETY: neighbours are in the same shard, guarded by the lock we hold.
            Some(prev) => unsafe { prev.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).next = next }),
            None => shard.head = next,
        }
        if let Some(next) = next {
            // SAFETY: as above.
            unsafe { next.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = prev });
        }
        // SAFETY: as above; the task is out of the list now.
        task.header().owned.with_mut(|links| unsafe {
            (*links).prev = None;
            (*links).next = None;
        });
        shard.len -= 1;
        true
    }

    /// Closes the list and shuts down every task in it: idle ones are cancelled here (their
    /// futures dropped on this thread); running ones are cancelled by their runner.
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            shard.lock().unwrap().closed = true;
            // Pop one at a time: shutting a task down may complete others, which lock the
            // shard to remove themselves.
            while let Some(task) = Self::pop(shard) {
                task.shutdown();
            }
        }
    }

    fn pop(shard: &Mutex<Shard>) -> Option<RawTask> {
        let mut shard = shard.lock().unwrap();
        let ptr = shard.head?;
        // SAFETY: the head is a live task (the list holds a reference to it).
        let task = unsafe { RawTask::from_raw(ptr) };
        // SAFETY: links are guarded by the shard lock, which we hold.
        let next = task.header().owned.with_mut(|links| unsafe {
            let next = (*links).next;
            (*links).next = None;
            next
        });
        if let Some(next) = next {
            // SAFETY: as above.
            unsafe { next.as_ref() }
                .owned
                .with_mut(|links| unsafe { (*links).prev = None });
        }
        shard.head = next;
        shard.len -= 1;
        Some(task)
    }

    /// Tasks spawned and not yet completed or shut down. Locks every shard in turn: a
    /// statistic, not a snapshot.
    pub(crate) fn alive(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap().len)
            .sum()
    }
}
