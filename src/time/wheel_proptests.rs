//! Property tests of the timing wheel (`wheel.rs`) against a model: a `BTreeMap` from each
//! linked entry to its tick.
//!
//! Random sequences of insert, cancel, reset (cancel, move the deadline, insert again: what
//! `Sleep::reset` does) and advance, with distances drawn level by level so that every level of
//! the wheel and the overflow list are used, and cascades happen at every boundary. After every
//! step:
//!
//! - `insert` refuses exactly the entries the model says are due (wheel rule 1);
//! - an advance to `now` fires exactly the entries the model has at or before `now`: none early,
//!   none lost, none twice;
//! - `next_expiration` exists exactly when the model is not empty and is no later than the
//!   model's earliest tick (the driver sleeps until it: later would fire late); right after an
//!   advance it also lies after `now`, so the driver never spins. (Between advances it may not:
//!   the overflow list keeps a *lower bound* of its earliest tick, which a cancel leaves stale,
//!   and a stale bound can name a tick already reached. The next poll takes the list at
//!   `elapsed` and recomputes the bound: one early turn, never a late or lost one.)

use std::collections::BTreeMap;
use std::pin::Pin;
use std::ptr::NonNull;

use proptest::prelude::*;
use proptest::sample::Index;

use super::entry::{TimerEntry, NANOS_PER_TICK};
use super::wheel::{Expired, Wheel, RANGE, SLOTS};

#[derive(Debug, Clone)]
enum Op {
    /// A new entry `delay` ticks after now (0: already due), `early` nanoseconds before the tick
    /// (the tick is the deadline rounded up).
    Insert { delay: u64, early: u64 },
    /// Cancel a linked entry.
    Cancel(Index),
    /// Cancel a linked entry and insert it again `delay` ticks after now.
    Reset(Index, u64),
    /// Advance the clock by `by` ticks and fire what is due.
    Advance(u64),
}

/// A distance that lands in a random level of the wheel, or (one time in seven) the overflow.
fn distance() -> impl Strategy<Value = u64> {
    (0..7u32).prop_flat_map(|level| {
        let low = if level == 0 {
            0
        } else {
            (SLOTS as u64).pow(level)
        };
        let high = if level == 6 {
            2 * RANGE
        } else {
            (SLOTS as u64).pow(level + 1)
        };
        // Boundaries are where wheels go wrong: half the draws sit on one.
        prop_oneof![low..high, Just(low), Just(high - 1)]
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (distance(), 0..NANOS_PER_TICK).prop_map(|(delay, early)| Op::Insert { delay, early }),
        1 => any::<Index>().prop_map(Op::Cancel),
        1 => (any::<Index>(), distance()).prop_map(|(i, d)| Op::Reset(i, d)),
        3 => distance().prop_map(Op::Advance),
    ]
}

/// The wheel under test, its entries (boxed and pinned, never freed before the wheel lets go of
/// them), and the model.
struct Harness {
    wheel: Wheel,
    entries: Vec<Pin<Box<TimerEntry>>>,
    /// Linked entries: index in `entries` → tick.
    model: BTreeMap<usize, u64>,
    now: u64,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            wheel: Wheel::new(),
            entries: Vec::new(),
            model: BTreeMap::new(),
            now: 0,
        }
    }

    fn ptr(&self, index: usize) -> NonNull<TimerEntry> {
        NonNull::from(&*self.entries[index])
    }

    fn index_of(&self, entry: NonNull<TimerEntry>) -> usize {
        self.entries
            .iter()
            .position(|e| std::ptr::eq(&**e, entry.as_ptr()))
            .expect("the wheel returned an entry it was never given")
    }

    /// Links entry `index` with the deadline `delay` ticks from now, `early` ns before the tick.
    fn link(&mut self, index: usize, delay: u64, early: u64) {
        let when = self.now + delay;
        let deadline = (when * NANOS_PER_TICK).saturating_sub(early);
        // SAFETY: the entry is not linked (new, cancelled or fired), so the deadline is ours.
        unsafe { self.entries[index].set_deadline(i64::try_from(deadline).unwrap()) };
        assert_eq!(self.entries[index].when(), when);
        // SAFETY: the entry is boxed and pinned, not linked, and stays alive until the harness
        // drops, after draining the wheel.
        match unsafe { self.wheel.insert(self.ptr(index)) } {
            Ok(expiration) => {
                assert!(
                    when > self.now,
                    "an entry due at {when} was linked at {}",
                    self.now
                );
                assert!(
                    expiration <= when,
                    "polled at {expiration} for an entry due at {when}"
                );
                self.model.insert(index, when);
            }
            Err(Expired) => assert!(when <= self.now, "insert refused an entry due at {when}"),
        }
    }

    fn nth_linked(&self, index: Index) -> Option<usize> {
        (!self.model.is_empty()).then(|| {
            *self
                .model
                .keys()
                .nth(index.index(self.model.len()))
                .unwrap()
        })
    }

    fn unlink(&mut self, index: usize) {
        // SAFETY: the model says the entry is linked, and it is alive.
        unsafe { self.wheel.remove(self.ptr(index)) };
        self.model.remove(&index);
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Insert { delay, early } => {
                self.entries.push(Box::pin(TimerEntry::new(0)));
                self.link(self.entries.len() - 1, delay, early);
            }
            Op::Cancel(index) => {
                if let Some(index) = self.nth_linked(index) {
                    self.unlink(index);
                }
            }
            Op::Reset(index, delay) => {
                if let Some(index) = self.nth_linked(index) {
                    self.unlink(index);
                    self.link(index, delay, 0);
                }
            }
            Op::Advance(by) => self.advance(self.now + by),
        }
    }

    fn advance(&mut self, now: u64) {
        let mut fired = Vec::new();
        while let Some(entry) = self.wheel.poll(now) {
            let index = self.index_of(entry);
            let when = self.entries[index].when();
            assert!(when <= now, "entry due at {when} fired early, at {now}");
            fired.push(index);
        }
        fired.sort_unstable();
        let due: Vec<usize> = self
            .model
            .iter()
            .filter(|(_, &when)| when <= now)
            .map(|(&index, _)| index)
            .collect();
        assert_eq!(fired, due, "advancing from {} to {now}", self.now);
        self.model.retain(|_, when| *when > now);
        self.now = now;
    }

    /// The module docs' `next_expiration` properties; `polled`: right after an advance.
    fn check_next_expiration(&self, polled: bool) {
        let earliest = self.model.values().min();
        match (self.wheel.next_expiration(), earliest) {
            (None, None) => {}
            (Some(next), Some(&earliest)) => {
                assert!(
                    !polled || next > self.now,
                    "next expiration {next} is not after now {} right after a poll",
                    self.now
                );
                assert!(
                    next <= earliest,
                    "next expiration {next} after the earliest tick {earliest}"
                );
            }
            (next, earliest) => panic!("next expiration {next:?}, earliest linked {earliest:?}"),
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Unlink everything before the entries are freed.
        while self.wheel.drain_one().is_some() {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_wheel_fires_what_the_model_fires(
        start in distance(),
        ops in prop::collection::vec(op(), 1..48),
    ) {
        let mut harness = Harness::new();
        harness.advance(start);
        for op in ops {
            let polled = matches!(op, Op::Advance(_));
            harness.apply(op);
            harness.check_next_expiration(polled);
        }
        // Run out the clock: everything left fires, in one jump past the last deadline.
        if let Some(&last) = harness.model.values().max() {
            harness.advance(last);
        }
        prop_assert!(harness.model.is_empty());
        prop_assert!(harness.wheel.next_expiration().is_none());
    }
}

/// The case the property test found, by hand: a cancelled overflow entry leaves the overflow's
/// lower bound stale, a later overflow entry keeps it, and once `elapsed` has passed the bound the
/// wheel must take the overflow list at `elapsed`, not move `elapsed` back to the bound (which
/// re-filed entries against a past instant: the wheel then said its next expiration was
/// 3,928,065 ticks, 65 minutes, after the 4,095-tick timer's deadline).
#[test]
fn a_stale_overflow_bound_never_moves_time_back() {
    let mut harness = Harness::new();
    harness.advance(3_999_871);
    harness.apply(Op::Insert {
        delay: 2 * RANGE - 1,
        early: 0,
    });
    harness.apply(Op::Advance(RANGE - 1));
    let cancelled = *harness.model.keys().next().unwrap();
    harness.unlink(cancelled);
    harness.apply(Op::Advance(12_777_346));
    // Due in 4 s, 4,095 ticks, and after the next rotation (the overflow).
    for delay in [3_999_870, 4095, RANGE + 100] {
        harness.apply(Op::Insert { delay, early: 0 });
    }
    harness.apply(Op::Advance(2770));
    harness.check_next_expiration(true);
    harness.apply(Op::Advance(3_999_870));
    assert_eq!(harness.model.len(), 1, "only the overflow entry is left");
}
