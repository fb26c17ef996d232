//! The hierarchical timing wheel: where pending entries wait, sorted coarsely by deadline.
//!
//! Time is counted in ticks of 1 ms since the driver's origin. The wheel has [`LEVELS`] levels of
//! [`SLOTS`] slots; a slot of level `L` spans `64^L` ticks, so level 0 holds the next 64 ms one
//! tick per slot, level 1 the next 4 s, ..., level 5 about 795 days. Each level keeps a `u64`
//! bitmap of its occupied slots, so the next expiration is a rotate and a `trailing_zeros` per
//! level. Entries due [`RANGE`] ticks or more after `elapsed` wait in an unsorted overflow list.
//!
//! This is the scheme of Varghese and Lauck's hierarchical wheels as tokio uses it: an entry is
//! filed at the level of the highest bit in which its tick differs from `elapsed`; when `elapsed`
//! reaches a slot of a higher level, the slot's entries cascade down, each into the level its
//! remaining distance selects, until a level-0 slot fires them.
//!
//! # Ground rules
//!
//! 1. Every linked entry is due strictly after `elapsed`: `insert` refuses `when <= elapsed`
//!    (the caller fires it at once) and `poll` fires an entry before `elapsed` passes its tick.
//! 2. An entry in level `L` agrees with `elapsed` in every bit above `6(L+1)` (level 5 excepted:
//!    it also holds the next rotation, even in the slot `elapsed` is in), so every entry of level
//!    `L` is due before the first slot of level `L + 1` begins, and the lowest occupied level
//!    holds the next expiration.
//! 3. `elapsed` only moves forward, and only to an instant no later than the next expiration, so
//!    no slot is ever skipped. A slot is processed at its start tick, not at its entries' ticks:
//!    processing only fires entries whose own tick is due and re-files the rest, so nothing ever
//!    fires early.
//! 4. A slot being processed is first moved whole to the `pending` list (each entry's location
//!    retagged), so that the wheel lock can be released between batches of wakeups while the
//!    remaining entries stay cancellable and new entries never land in the list being drained.
//! 5. `insert` and `remove` are O(1); `poll` is O(1) per entry it fires or re-files. An entry is
//!    re-filed at most once per level it cascades through ([`LEVELS`] times over its life), plus,
//!    in the overflow list, once each time the list's earliest deadline comes within range.
//!
//! The wheel holds raw pointers and is not synchronised itself: the driver keeps it under its
//! lock, which is what the entries' safety rules (see `entry.rs`) call "the wheel lock".

use std::ptr::NonNull;

use super::entry::{Location, TimerEntry};

const SLOT_BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << SLOT_BITS;
/// Levels in the wheel.
pub(super) const LEVELS: usize = 6;
/// Ticks the levels cover ahead of `elapsed` (2^36 ms, about 795 days).
pub(super) const RANGE: u64 = 1 << (SLOT_BITS * LEVELS as u32);

/// `insert`'s refusal of an entry that is already due (rule 1).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Expired;

/// A timing wheel of intrusive [`TimerEntry`] nodes.
pub(super) struct Wheel {
    /// The tick up to which the wheel has been processed.
    elapsed: u64,
    levels: [Level; LEVELS],
    /// Entries due `RANGE` or more ticks after `elapsed`.
    overflow: List,
    /// A lower bound of the earliest tick in `overflow` (`u64::MAX` when it was empty).
    overflow_earliest: u64,
    /// The slot being processed (rule 4).
    pending: List,
}

struct Level {
    /// Bit `s` is set iff `slots[s]` is not empty.
    occupied: u64,
    slots: [List; SLOTS],
}

/// A doubly linked intrusive list through [`Links`](super::entry::Links); only the head is kept.
#[derive(Default)]
struct List {
    head: Option<NonNull<TimerEntry>>,
}

/// Where the next expiration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Pending,
    Slot { level: usize, slot: usize },
    Overflow,
}

// SAFETY: the pointers are dereferenced only by the holder of `&mut Wheel`, i.e. under the driver
// lock, and point to pinned entries that stay alive while linked (entry rule 5); the entries
// themselves are `Send + Sync`.
unsafe impl Send for Wheel {}

// === impl Wheel ===

impl Wheel {
    pub(super) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                slots: std::array::from_fn(|_| List::default()),
            }),
            overflow: List::default(),
            overflow_earliest: u64::MAX,
            pending: List::default(),
        }
    }

    /// Links `entry` to fire at its tick `when` ([`TimerEntry::when`]). Returns the tick at which
    /// the wheel must next be polled on its behalf (its slot's start; never later than `when`), or
    /// [`Expired`] if `when` is already due (rule 1), in which case nothing was linked.
    ///
    /// # Safety
    /// `entry` is alive, pinned, not linked, and stays alive until removed or returned by `poll`
    /// or `drain_one` (entry rule 5); the caller holds the wheel lock.
    pub(super) unsafe fn insert(&mut self, entry: NonNull<TimerEntry>) -> Result<u64, Expired> {
        // SAFETY: the caller's contract: alive.
        let when = unsafe { entry.as_ref() }.when();
        if when <= self.elapsed {
            return Err(Expired);
        }
        let (list, location, expiration) = if when - self.elapsed >= RANGE {
            self.overflow_earliest = self.overflow_earliest.min(when);
            (&mut self.overflow, Location::Overflow, when - RANGE + 1)
        } else {
            let level = level_for(self.elapsed, when);
            let slot = slot_for(when, level);
            let level_ref = &mut self.levels[level];
            level_ref.occupied |= 1 << slot;
            let location = Location::Slot {
                level: level as u8,
                slot: slot as u8,
            };
            let slot_start = when & !(slot_range(level) - 1);
            (&mut level_ref.slots[slot], location, slot_start)
        };
        // SAFETY: the caller's contract: alive, not linked, lock held.
        unsafe {
            TimerEntry::set_location(entry, location);
            list.push_front(entry);
        }
        Ok(expiration)
    }

    /// Unlinks `entry` from whichever list holds it.
    ///
    /// # Safety
    /// `entry` is alive and linked into this wheel; the caller holds the wheel lock.
    pub(super) unsafe fn remove(&mut self, entry: NonNull<TimerEntry>) {
        // SAFETY: the caller's contract.
        let location = unsafe { TimerEntry::location(entry) };
        // SAFETY: `location` names the list `entry` is linked into.
        unsafe {
            match location {
                Location::Slot { level, slot } => {
                    let level = &mut self.levels[level as usize];
                    let list = &mut level.slots[slot as usize];
                    list.unlink(entry);
                    if list.is_empty() {
                        level.occupied &= !(1 << slot);
                    }
                }
                Location::Overflow => self.overflow.unlink(entry),
                Location::Pending => self.pending.unlink(entry),
                Location::Nowhere => debug_assert!(false, "removing an unlinked timer entry"),
            }
        }
    }

    /// The tick at which the wheel next needs polling, if any entry is linked.
    pub(super) fn next_expiration(&self) -> Option<u64> {
        self.next(true).map(|(deadline, _)| deadline)
    }

    /// Advances the wheel to `now` and returns one due entry, unlinked, or `None` when nothing
    /// more is due at `now` (then `elapsed` has caught up with `now`). Call until `None`.
    pub(super) fn poll(&mut self, now: u64) -> Option<NonNull<TimerEntry>> {
        loop {
            // SAFETY: every linked entry is alive (entry rule 5) and `&mut self` means the
            // caller holds the lock.
            if let Some(entry) = unsafe { self.pending.pop_front() } {
                // SAFETY: entry rule 5: it was linked until this pop, so it is alive, and being
                // linked nowhere now, only we (holding the lock) can reach it.
                if unsafe { entry.as_ref() }.when() <= now {
                    return Some(entry);
                }
                // Not due yet: cascade it down (or back to the overflow list).
                // SAFETY: alive and unlinked.
                if let Err(Expired) = unsafe { self.insert(entry) } {
                    return Some(entry);
                }
                continue;
            }
            match self.next(false) {
                Some((deadline, source)) if deadline <= now => {
                    self.elapsed = deadline;
                    self.take_into_pending(source);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Unlinks and returns any one entry, or `None` when the wheel is empty (for shutdown).
    pub(super) fn drain_one(&mut self) -> Option<NonNull<TimerEntry>> {
        // SAFETY: linked entries are alive (entry rule 5); `&mut self` means the lock is held.
        if let Some(entry) = unsafe { self.pending.pop_front() } {
            return Some(entry);
        }
        for level in &mut self.levels {
            if level.occupied != 0 {
                let slot = level.occupied.trailing_zeros() as usize;
                // SAFETY: see above.
                let entry = unsafe { level.slots[slot].pop_front() };
                if level.slots[slot].is_empty() {
                    level.occupied &= !(1 << slot);
                }
                return entry;
            }
        }
        // SAFETY: see above.
        unsafe { self.overflow.pop_front() }
    }

    /// The next expiration and where it comes from; a non-empty `pending` list is due at once
    /// when `include_pending` (`poll` drains it before looking further).
    fn next(&self, include_pending: bool) -> Option<(u64, Source)> {
        if include_pending && !self.pending.is_empty() {
            return Some((self.elapsed, Source::Pending));
        }
        // Rule 2: the lowest occupied level holds the earliest slot.
        let wheel = (0..LEVELS).find_map(|level| {
            self.levels[level]
                .next_occupied(level, self.elapsed)
                .map(|(deadline, slot)| (deadline, Source::Slot { level, slot }))
        });
        // The overflow's bound may be stale (a cancel leaves it) and name a tick `elapsed` has
        // passed: the list is then due at `elapsed` itself, never before it (rule 3).
        let overflow = (!self.overflow.is_empty()).then(|| {
            let due = (self.overflow_earliest - RANGE + 1).max(self.elapsed);
            (due, Source::Overflow)
        });
        match (wheel, overflow) {
            (Some(w), Some(o)) => Some(if o.0 < w.0 { o } else { w }),
            (w, o) => w.or(o),
        }
    }

    /// Moves the list of `source` into `pending`, retagging its entries (rule 4).
    fn take_into_pending(&mut self, source: Source) {
        debug_assert!(self.pending.is_empty());
        let list = match source {
            Source::Pending => unreachable!("`poll` drains `pending` before taking a slot"),
            Source::Slot { level, slot } => {
                let level = &mut self.levels[level];
                level.occupied &= !(1 << slot);
                std::mem::take(&mut level.slots[slot])
            }
            Source::Overflow => {
                self.overflow_earliest = u64::MAX;
                std::mem::take(&mut self.overflow)
            }
        };
        let mut cursor = list.head;
        while let Some(entry) = cursor {
            // SAFETY: linked entries are alive (entry rule 5); the lock is held.
            cursor = unsafe {
                TimerEntry::set_location(entry, Location::Pending);
                TimerEntry::with_links(entry, |links| links.next)
            };
        }
        self.pending = list;
    }
}

// === impl Level ===

impl Level {
    /// The start tick and index of the first occupied slot after the one `elapsed` is in,
    /// wrapping around to that one last.
    ///
    /// The slot `elapsed` is in is empty in levels 0 to 4 (rule 1 and 3: a slot is taken whole
    /// when `elapsed` reaches its start). In level 5 it can hold entries of the *next* rotation,
    /// due a whole level later, so it is searched last.
    fn next_occupied(&self, level: usize, elapsed: u64) -> Option<(u64, usize)> {
        if self.occupied == 0 {
            return None;
        }
        let slot_range = slot_range(level);
        let level_range = slot_range << SLOT_BITS;
        let first = (slot_for(elapsed, level) + 1) % SLOTS;
        let slot =
            (self.occupied.rotate_right(first as u32).trailing_zeros() as usize + first) % SLOTS;
        let level_start = elapsed & !(level_range - 1);
        let mut deadline = level_start + slot as u64 * slot_range;
        if deadline <= elapsed {
            // The slot comes round again in the next rotation of this level.
            deadline += level_range;
        }
        Some((deadline, slot))
    }
}

/// The level for an entry due at `when`: the highest bit in which `when` differs from `elapsed`.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    let significant = 63 - masked.leading_zeros() as usize;
    (significant / SLOT_BITS as usize).min(LEVELS - 1)
}

fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (SLOT_BITS as usize * level)) & (SLOTS as u64 - 1)) as usize
}

fn slot_range(level: usize) -> u64 {
    1 << (SLOT_BITS as usize * level)
}

// === impl List ===

impl List {
    fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// # Safety
    /// `entry` is alive and linked into no list; the lock is held.
    unsafe fn push_front(&mut self, entry: NonNull<TimerEntry>) {
        let old_head = self.head;
        // SAFETY: the caller's contract; `old_head` is a different, linked (so alive) entry.
        unsafe {
            TimerEntry::with_links(entry, |links| {
                links.prev = None;
                links.next = old_head;
            });
            if let Some(old_head) = old_head {
                TimerEntry::with_links(old_head, |links| links.prev = Some(entry));
            }
        }
        self.head = Some(entry);
    }

    /// # Safety
    /// `entry` is alive and linked into this list; the lock is held.
    unsafe fn unlink(&mut self, entry: NonNull<TimerEntry>) {
        // SAFETY: the caller's contract; its neighbours are linked into this list, so alive.
        unsafe {
            let (prev, next) =
                TimerEntry::with_links(entry, |links| (links.prev.take(), links.next.take()));
            TimerEntry::set_location(entry, Location::Nowhere);
            match prev {
                Some(prev) => TimerEntry::with_links(prev, |links| links.next = next),
                None => self.head = next,
            }
            if let Some(next) = next {
                TimerEntry::with_links(next, |links| links.prev = prev);
            }
        }
    }

    /// # Safety
    /// Every entry in the list is alive; the lock is held.
    unsafe fn pop_front(&mut self) -> Option<NonNull<TimerEntry>> {
        let head = self.head?;
        // SAFETY: `head` is linked into this list (caller's contract).
        unsafe { self.unlink(head) };
        Some(head)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::entry::NANOS_PER_TICK;
    use super::*;
    use std::pin::Pin;

    /// A test harness: boxed entries inserted into a wheel, keyed by index.
    struct Harness {
        wheel: Wheel,
        entries: Vec<Pin<Box<TimerEntry>>>,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                wheel: Wheel::new(),
                entries: Vec::new(),
            }
        }

        fn ptr(&self, index: usize) -> NonNull<TimerEntry> {
            NonNull::from(&*self.entries[index])
        }

        /// Inserts an entry whose deadline is exactly tick `when`.
        fn insert(&mut self, when: u64) -> Result<usize, Expired> {
            let deadline = i64::try_from(when * NANOS_PER_TICK).unwrap();
            self.entries.push(Box::pin(TimerEntry::new(deadline)));
            let index = self.entries.len() - 1;
            // SAFETY: the entry is boxed and pinned, and outlives the wheel's use of it: the
            // harness unlinks everything before dropping (see `Drop`).
            unsafe { self.wheel.insert(self.ptr(index)) }?;
            Ok(index)
        }

        fn index_of(&self, entry: NonNull<TimerEntry>) -> usize {
            self.entries
                .iter()
                .position(|e| std::ptr::eq(&**e, entry.as_ptr()))
                .unwrap()
        }

        /// Polls at `now` and returns the indices fired, checking none fired early.
        fn poll(&mut self, now: u64) -> Vec<usize> {
            let mut fired = Vec::new();
            while let Some(entry) = self.wheel.poll(now) {
                // SAFETY: the entry is alive (owned by the harness).
                let when = unsafe { entry.as_ref() }.when();
                assert!(when <= now, "entry due at {when} fired at {now}");
                fired.push(self.index_of(entry));
            }
            fired.sort_unstable();
            fired
        }

        /// Advances one tick at a time up to `to`, returning (index, tick fired at).
        fn run_to(&mut self, from: u64, to: u64) -> Vec<(usize, u64)> {
            let mut fired = Vec::new();
            for now in from..=to {
                fired.extend(self.poll(now).into_iter().map(|i| (i, now)));
            }
            fired
        }
    }

    impl Drop for Harness {
        fn drop(&mut self) {
            while self.wheel.drain_one().is_some() {}
        }
    }

    #[test]
    fn level_selection() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, RANGE - 1), LEVELS - 1);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(RANGE - 1, RANGE + 5), LEVELS - 1);
    }

    #[test]
    fn fires_exactly_at_each_boundary_deadline() {
        let mut h = Harness::new();
        let whens = [
            1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262_143, 262_144,
        ];
        for &when in &whens {
            h.insert(when).unwrap();
        }
        let fired = h.run_to(0, 262_200);
        assert_eq!(fired.len(), whens.len());
        for (index, at) in fired {
            assert_eq!(at, whens[index], "entry {index} fired at the wrong tick");
        }
    }

    #[test]
    fn big_jumps_fire_everything_due_and_nothing_early() {
        let mut h = Harness::new();
        let hour = 3_600_000;
        let whens = [
            1,
            63,
            64,
            4095,
            4096,
            hour,
            5 * hour,
            24 * hour,
            30 * 24 * hour,
        ];
        for &when in &whens {
            h.insert(when).unwrap();
        }
        assert_eq!(h.poll(0), Vec::<usize>::new());
        assert_eq!(h.poll(63), vec![0, 1]);
        assert_eq!(h.poll(4095), vec![2, 3]);
        assert_eq!(h.poll(hour - 1), vec![4]);
        assert_eq!(h.poll(hour), vec![5]);
        assert_eq!(h.poll(24 * hour - 1), vec![6]);
        assert_eq!(h.poll(30 * 24 * hour - 1), vec![7]);
        assert_eq!(h.poll(30 * 24 * hour), vec![8]);
        assert_eq!(h.wheel.next_expiration(), None);
    }

    #[test]
    fn next_expiration_is_never_after_the_earliest_deadline() {
        let mut h = Harness::new();
        let mut whens: Vec<(u64, usize)> = Vec::new();
        let mut now = 0;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            // xorshift: deadlines from 1 ms to 3 RANGE ahead, skewed towards short ones.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let ahead = 1 + ((seed % (3 * RANGE)) >> (seed % 40));
            whens.push((now + ahead, h.insert(now + ahead).unwrap()));
            let earliest = whens.iter().map(|&(when, _)| when).min().unwrap();
            let next = h.wheel.next_expiration().unwrap();
            assert!(
                next > now && next <= earliest,
                "next {next}, earliest {earliest}"
            );
            now = next;
            let mut due: Vec<usize> = whens
                .iter()
                .filter(|&&(when, _)| when <= now)
                .map(|&(_, index)| index)
                .collect();
            due.sort_unstable();
            assert_eq!(h.poll(now), due);
            whens.retain(|&(when, _)| when > now);
        }
    }

    #[test]
    fn cascades_through_every_level_one_tick_at_a_time() {
        let mut h = Harness::new();
        // Start the wheel mid-way so slots wrap.
        assert!(h.poll(1000).is_empty());
        let whens = [1001, 1063, 1064, 5095, 5096, 300_000];
        for &when in &whens {
            h.insert(when).unwrap();
        }
        let fired = h.run_to(1001, 300_001);
        let ticks: Vec<u64> = fired.iter().map(|&(_, at)| at).collect();
        assert_eq!(ticks, whens);
    }

    #[test]
    fn insert_at_or_before_elapsed_is_refused() {
        let mut h = Harness::new();
        assert!(h.poll(10).is_empty());
        assert_eq!(h.insert(10), Err(Expired));
        assert_eq!(h.insert(3), Err(Expired));
        let ok = h.insert(11).unwrap();
        assert_eq!(h.poll(11), vec![ok]);
    }

    #[test]
    fn remove_from_slot_overflow_and_pending() {
        let mut h = Harness::new();
        let a = h.insert(5).unwrap();
        let b = h.insert(5).unwrap();
        let c = h.insert(3 * RANGE).unwrap();
        let d = h.insert(100).unwrap();
        // SAFETY: each is alive and linked.
        unsafe {
            h.wheel.remove(h.ptr(a));
            h.wheel.remove(h.ptr(c));
        }
        assert_eq!(h.poll(5), vec![b]);
        // Move `d`'s level-1 slot into `pending`, then remove it from there.
        h.wheel
            .take_into_pending(Source::Slot { level: 1, slot: 1 });
        // SAFETY: alive and linked (in `pending`).
        unsafe { h.wheel.remove(h.ptr(d)) };
        assert_eq!(h.wheel.next_expiration(), None);
        assert!(h.poll(10 * RANGE).is_empty());
    }

    #[test]
    fn far_future_overflow_is_refiled_and_fires_on_time() {
        let mut h = Harness::new();
        let far = RANGE + RANGE / 2;
        let farther = 2 * RANGE + 17;
        h.insert(far).unwrap();
        h.insert(farther).unwrap();
        // The overflow asks to be polled when its earliest entry comes within range.
        assert_eq!(h.wheel.next_expiration(), Some(far - RANGE + 1));
        let mut now = 0;
        let mut fired = Vec::new();
        while let Some(next) = h.wheel.next_expiration() {
            assert!(next > now);
            now = next;
            fired.extend(h.poll(now).into_iter().map(|i| (i, now)));
        }
        assert_eq!(fired, vec![(0, far), (1, farther)]);
    }

    #[test]
    fn occupancy_bits_match_slots() {
        let mut h = Harness::new();
        for when in (1..10_000).step_by(37) {
            h.insert(when).unwrap();
        }
        let check = |wheel: &Wheel| {
            for level in &wheel.levels {
                for (slot, list) in level.slots.iter().enumerate() {
                    assert_eq!(level.occupied & (1 << slot) != 0, !list.is_empty());
                }
            }
        };
        check(&h.wheel);
        for now in (0..10_000).step_by(500) {
            h.poll(now);
            check(&h.wheel);
        }
    }
}
