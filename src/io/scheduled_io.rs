//! `ScheduledIo`: the readiness word and the waiting tasks of one registered source.
//!
//! # The readiness word
//!
//! One `AtomicUsize` per registration holds
//!
//! ```text
//!  bit  0      READABLE      the source reported readable since the last clear
//!  bit  1      WRITABLE      the source reported writable since the last clear
//!  bit  2      READ_CLOSED   the peer closed its write side; sticky, never cleared
//!  bit  3      WRITE_CLOSED  our write side is closed; sticky, never cleared
//!  bit  4      SHUTDOWN      the runtime is gone; sticky, every operation fails
//!  bits 8..20  read tick     bumped by every event that brings read readiness
//!  bits 20..32 write tick    bumped by every event that brings write readiness
//! ```
//!
//! The driver sets bits and bumps ticks ([`ScheduledIo::set_readiness`]); a task clears a
//! direction after `WouldBlock` ([`ScheduledIo::clear_readiness`]). The two race, and the ticks
//! decide the race:
//!
//! 1. A task takes a [`ReadyEvent`] (the direction's tick) **before** its syscall, and after
//!    `WouldBlock` clears the direction only if the tick is still the one it saw. An event that
//!    arrived after the snapshot bumped the tick, so its readiness survives: a newer event is
//!    never lost. (Separate ticks per direction, so a writable event does not make a reader's
//!    clear fail and cost it a useless retry.)
//! 2. The ticks are 12 bits each, so the word fits 32-bit targets; a wrong clear needs exactly
//!    4096 events for one source between a task's snapshot and its clear (one syscall).
//!
//! # The waiters
//!
//! Per direction, behind one small mutex: an owner slot for the `poll_*` and `&mut self` API,
//! and keyed slots for futures of the shared `&self` methods, each freed when its future drops
//! ([`SharedWaiter`]; see `waiters`).
//!
//! # Why no wakeup is lost
//!
//! 3. A task registers its waker and re-reads the readiness word **under the waiters lock**
//!    ([`ScheduledIo::poll_ready`]). The driver updates the word **before** it takes the same
//!    lock to collect wakers ([`ScheduledIo::wake`]). If the task locked first, the driver finds
//!    its waker; if the driver locked first, the task's re-read sees the new bits. The mutex is
//!    the happens-before edge, so the word itself needs no ordering stronger than `Relaxed`: it
//!    publishes no other memory (the data is in the kernel, read by the syscall).

use std::fmt;
use std::task::{Context, Poll, Waker};

use super::waiters::DirectionWaiters;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use crate::loom::sync::Mutex;

const READABLE: usize = 1 << 0;
const WRITABLE: usize = 1 << 1;
const READ_CLOSED: usize = 1 << 2;
const WRITE_CLOSED: usize = 1 << 3;
const SHUTDOWN: usize = 1 << 4;
/// The readiness bits an event may carry (everything but `SHUTDOWN`).
const READY_MASK: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED;

const TICK_BITS: u32 = 12;
const TICK_MASK: usize = (1 << TICK_BITS) - 1;
const READ_TICK_SHIFT: u32 = 8;
const WRITE_TICK_SHIFT: u32 = READ_TICK_SHIFT + TICK_BITS;
// Rule 2: the word fits 32-bit targets.
const _: () = assert!(WRITE_TICK_SHIFT + TICK_BITS <= 32);

/// A set of readiness bits, as an event source reports them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready(usize);

/// One side of a duplex source: reading or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Readable, or the peer closed its write side (reads return 0).
    Read,
    /// Writable, or our write side is closed (writes fail at once).
    Write,
}

/// What a task saw of one direction before its syscall; hand it back to
/// [`ScheduledIo::clear_readiness`] after `WouldBlock` (rule 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    direction: Direction,
    tick: usize,
    is_ready: bool,
    is_shutdown: bool,
}

/// The readiness word and the wakers of one registration.
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    reader: DirectionWaiters,
    writer: DirectionWaiters,
}

/// A task waiting through a shared (`&self`) method: holds its waiter key while it lives and
/// frees it when dropped, woken or not.
pub(crate) struct SharedWaiter<'a> {
    io: &'a ScheduledIo,
    direction: Direction,
    key: Option<usize>,
}

/// A decoded copy of the readiness word.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot(usize);

// === impl Ready ===

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    pub(crate) const READABLE: Ready = Ready(READABLE);
    pub(crate) const WRITABLE: Ready = Ready(WRITABLE);
    pub(crate) const READ_CLOSED: Ready = Ready(READ_CLOSED);
    pub(crate) const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);

    /// The readiness a mio event reports. An error wakes both directions: the next syscall in
    /// either one returns the error (or `SO_ERROR` is taken, for a connect).
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() || event.is_error() {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() || event.is_error() {
            ready = ready | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready = ready | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready = ready | Ready::WRITE_CLOSED;
        }
        ready
    }

    fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Ready {
    type Output = Ready;

    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Snapshot(self.0).fmt(f)
    }
}

// === impl Direction ===

impl Direction {
    /// The bits that make this direction ready.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
        }
    }

    /// The bit a `WouldBlock` clears (the closed bits are sticky).
    fn clearable(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }

    fn tick_shift(self) -> u32 {
        match self {
            Direction::Read => READ_TICK_SHIFT,
            Direction::Write => WRITE_TICK_SHIFT,
        }
    }
}

// === impl ReadyEvent ===

impl ReadyEvent {
    /// Has the runtime shut down? Then every operation fails.
    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown
    }

    /// Was the direction ready (or not yet known to be drained)?
    pub(crate) fn is_ready(&self) -> bool {
        self.is_ready
    }
}

// === impl Snapshot ===

impl Snapshot {
    fn tick(self, direction: Direction) -> usize {
        (self.0 >> direction.tick_shift()) & TICK_MASK
    }

    fn with_next_tick(self, direction: Direction) -> Snapshot {
        let shift = direction.tick_shift();
        let next = (self.tick(direction) + 1) & TICK_MASK;
        Snapshot((self.0 & !(TICK_MASK << shift)) | (next << shift))
    }

    fn is_ready(self, direction: Direction) -> bool {
        self.0 & direction.mask() != 0
    }

    fn is_shutdown(self) -> bool {
        self.0 & SHUTDOWN != 0
    }

    fn event(self, direction: Direction) -> ReadyEvent {
        ReadyEvent {
            direction,
            tick: self.tick(direction),
            is_ready: self.is_ready(direction),
            is_shutdown: self.is_shutdown(),
        }
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Readiness");
        for (bit, name) in [
            (READABLE, "readable"),
            (WRITABLE, "writable"),
            (READ_CLOSED, "read_closed"),
            (WRITE_CLOSED, "write_closed"),
            (SHUTDOWN, "shutdown"),
        ] {
            if self.0 & bit != 0 {
                s.field(name, &true);
            }
        }
        s.field("read_tick", &self.tick(Direction::Read))
            .field("write_tick", &self.tick(Direction::Write))
            .finish()
    }
}

// === impl ScheduledIo ===

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    fn snapshot(&self) -> Snapshot {
        // Relaxed: the word publishes no other memory; the waker edge is the mutex (rule 3).
        Snapshot(self.readiness.load(Relaxed))
    }

    /// The one place the word changes: applies `f` until it wins the CAS or declines (`None`).
    fn update(&self, mut f: impl FnMut(Snapshot) -> Option<Snapshot>) {
        // Relaxed: a read-modify-write sees the latest value of the word (so ticks never go
        // backwards); no other memory is published through it (rule 3).
        let _ = self
            .readiness
            .fetch_update(Relaxed, Relaxed, |word| f(Snapshot(word)).map(|s| s.0));
    }

    /// What a task sees of `direction` right now, before it tries its syscall (rule 1).
    pub(crate) fn ready_event(&self, direction: Direction) -> ReadyEvent {
        self.snapshot().event(direction)
    }

    /// Driver: records an event. Sets its bits and bumps the tick of each direction it makes
    /// ready. Call [`wake`](Self::wake) afterwards (rule 3: word first, then the lock).
    pub(crate) fn set_readiness(&self, ready: Ready) {
        let bits = ready.0 & READY_MASK;
        self.update(|mut word| {
            for direction in [Direction::Read, Direction::Write] {
                if bits & direction.mask() != 0 {
                    word = word.with_next_tick(direction);
                }
            }
            Some(Snapshot(word.0 | bits))
        });
    }

    /// Task, after `WouldBlock`: clears the direction's readiness if no event arrived since
    /// `event` was taken (rule 1). The closed bits stay.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let direction = event.direction;
        self.update(|word| {
            // Declining when the bit is already clear saves a write to a shared cache line.
            let clear = word.tick(direction) == event.tick && word.0 & direction.clearable() != 0;
            clear.then(|| Snapshot(word.0 & !direction.clearable()))
        });
    }

    /// Driver: moves the wakers of the directions `ready` makes ready into `wake_list`, to be
    /// woken once every lock is released.
    pub(crate) fn wake(&self, ready: Ready, wake_list: &mut Vec<Waker>) {
        let mut waiters = self.lock_waiters();
        for direction in [Direction::Read, Direction::Write] {
            if ready.intersects(Ready(direction.mask())) {
                waiters.of(direction).take_all(wake_list);
            }
        }
    }

    /// Runtime shutdown: marks the word so every operation fails, and hands out every waker.
    pub(crate) fn shutdown(&self, wake_list: &mut Vec<Waker>) {
        self.update(|word| Some(Snapshot(word.0 | SHUTDOWN)));
        let mut waiters = self.lock_waiters();
        waiters.reader.take_all(wake_list);
        waiters.writer.take_all(wake_list);
    }

    /// Task, as the direction's owner: `Ready` with the direction's event if it is ready (or
    /// the runtime is gone); otherwise stores `cx`'s waker in the owner slot and returns
    /// `Pending` (rule 3).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        self.poll_ready_with(direction, |waiters| waiters.set_owner(cx.waker()))
    }

    /// Rule 3: check the word and register the waker under one hold of the waiters lock.
    fn poll_ready_with(
        &self,
        direction: Direction,
        register: impl FnOnce(&mut DirectionWaiters),
    ) -> Poll<ReadyEvent> {
        let mut waiters = self.lock_waiters();
        let word = self.snapshot();
        if word.is_ready(direction) || word.is_shutdown() {
            return Poll::Ready(word.event(direction));
        }
        register(waiters.of(direction));
        Poll::Pending
    }

    fn lock_waiters(&self) -> crate::loom::sync::MutexGuard<'_, Waiters> {
        // A waker that panics while we hold the lock cannot poison it: wakers are only cloned
        // and taken under it, and woken after it is released.
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

// === impl Waiters ===

impl Waiters {
    fn of(&mut self, direction: Direction) -> &mut DirectionWaiters {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

// === impl SharedWaiter ===

impl<'a> SharedWaiter<'a> {
    pub(crate) fn new(io: &'a ScheduledIo, direction: Direction) -> SharedWaiter<'a> {
        SharedWaiter {
            io,
            direction,
            key: None,
        }
    }

    /// [`ScheduledIo::poll_ready`] for a shared waiter: waits in this waiter's own slot.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let key = &mut self.key;
        self.io.poll_ready_with(self.direction, |waiters| {
            waiters.set_shared(key, cx.waker())
        })
    }
}

impl Drop for SharedWaiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.io.lock_waiters().of(self.direction).remove_shared(key);
        }
    }
}

impl fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct CountingWaker(StdAtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker(StdAtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    fn is_ready(io: &ScheduledIo, direction: Direction) -> bool {
        io.snapshot().is_ready(direction)
    }

    #[test]
    fn masks_do_not_overlap() {
        let fields = [
            READABLE,
            WRITABLE,
            READ_CLOSED,
            WRITE_CLOSED,
            SHUTDOWN,
            TICK_MASK << READ_TICK_SHIFT,
            TICK_MASK << WRITE_TICK_SHIFT,
        ];
        for (i, a) in fields.iter().enumerate() {
            for b in &fields[i + 1..] {
                assert_eq!(a & b, 0, "{a:#x} overlaps {b:#x}");
            }
        }
    }

    #[test]
    fn clear_with_current_tick_clears_only_that_direction() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE | Ready::WRITABLE);
        assert!(is_ready(&io, Direction::Read));
        io.clear_readiness(io.ready_event(Direction::Read));
        assert!(!is_ready(&io, Direction::Read));
        assert!(is_ready(&io, Direction::Write));
    }

    #[test]
    fn clear_with_stale_tick_keeps_newer_readiness() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE);
        let stale = io.ready_event(Direction::Read);
        io.set_readiness(Ready::READABLE); // an event arrives during the syscall
        io.clear_readiness(stale);
        assert!(is_ready(&io, Direction::Read), "newer event lost");
    }

    #[test]
    fn write_event_does_not_bump_read_tick() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE);
        let event = io.ready_event(Direction::Read);
        io.set_readiness(Ready::WRITABLE);
        io.clear_readiness(event);
        assert!(!is_ready(&io, Direction::Read));
        assert!(is_ready(&io, Direction::Write));
    }

    #[test]
    fn ticks_wrap_without_touching_other_bits() {
        let io = ScheduledIo::new();
        for _ in 0..=TICK_MASK + 1 {
            io.set_readiness(Ready::READABLE);
        }
        let word = io.snapshot();
        assert_eq!(word.tick(Direction::Read), 1);
        assert_eq!(word.tick(Direction::Write), 0);
        assert_eq!(word.0 & !(TICK_MASK << READ_TICK_SHIFT), READABLE);
    }

    #[test]
    fn closed_bits_are_sticky() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE | Ready::READ_CLOSED);
        io.clear_readiness(io.ready_event(Direction::Read));
        assert!(is_ready(&io, Direction::Read));
    }

    #[test]
    fn waiter_is_woken_by_its_direction_only() {
        let io = ScheduledIo::new();
        let (reads, read_waker) = counting_waker();
        let (writes, write_waker) = counting_waker();
        assert!(io
            .poll_ready(&mut Context::from_waker(&read_waker), Direction::Read)
            .is_pending());
        assert!(io
            .poll_ready(&mut Context::from_waker(&write_waker), Direction::Write)
            .is_pending());

        let mut wake_list = Vec::new();
        io.set_readiness(Ready::WRITABLE);
        io.wake(Ready::WRITABLE, &mut wake_list);
        wake_list.drain(..).for_each(Waker::wake);
        assert_eq!(reads.0.load(Ordering::SeqCst), 0);
        assert_eq!(writes.0.load(Ordering::SeqCst), 1);
        assert!(io
            .poll_ready(&mut Context::from_waker(&write_waker), Direction::Write)
            .is_ready());
    }

    #[test]
    fn shutdown_wakes_everyone_and_is_sticky() {
        let io = ScheduledIo::new();
        let (reads, read_waker) = counting_waker();
        assert!(io
            .poll_ready(&mut Context::from_waker(&read_waker), Direction::Read)
            .is_pending());
        let mut wake_list = Vec::new();
        io.shutdown(&mut wake_list);
        wake_list.drain(..).for_each(Waker::wake);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
        let Poll::Ready(event) =
            io.poll_ready(&mut Context::from_waker(&read_waker), Direction::Read)
        else {
            panic!("shut down registration must not wait");
        };
        assert!(event.is_shutdown());
    }
}
