//! The timeline trace's recording half (feature `trace`): what each worker did and when, in a
//! preallocated ring per worker. `runtime::trace` writes the rings out as Chrome trace-event
//! JSON.
//!
//! # Recording
//!
//! Each worker owns a [`Ring`] of [`RING_EVENTS`] fixed-size slots, allocated with the runtime.
//! Recording an event reads the clock and makes four relaxed stores and one relaxed load+store
//! (the write index): no allocation, no lock, no syscall beyond the clock's (a vDSO call on
//! Linux). When the ring is full the oldest events are overwritten.
//!
//! The writer is the worker alone (the thread holding the core, for current-thread). Any thread
//! may read a ring, as `Runtime::trace` does: while the worker runs, the events it is writing
//! at that moment may be read half-written, so a snapshot drops the slots the worker may have
//! overwritten while it was read. After the runtime shut down (`TOURBILLON_TRACE` at drop) the
//! rings are still and the snapshot exact.
//!
//! # What is recorded
//!
//! Poll start (task id, local queue length) and end; a wake or a spawn into the worker's own
//! queue (task id); a steal (victim, count); park and unpark; a reactor turn (I/O events); an
//! injector batch (tasks moved, tasks left). A wake from a thread that is not a worker is not
//! recorded: it has no ring.

use super::nanos_since;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Events each worker's ring keeps (32 bytes each).
pub(crate) const RING_EVENTS: usize = 1 << 16;

/// One scheduler event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    PollStart {
        task: usize,
        queued: usize,
    },
    PollEnd {
        task: usize,
    },
    /// A task woken into the queue (or LIFO slot) of worker `target`.
    Wake {
        task: usize,
        target: usize,
    },
    /// A task spawned into the queue of worker `target`.
    Spawn {
        task: usize,
        target: usize,
    },
    Steal {
        victim: usize,
        count: usize,
    },
    Park,
    Unpark,
    ReactorTurn {
        events: usize,
    },
    InjectorBatch {
        count: usize,
        left: usize,
    },
}

impl Event {
    /// `(kind, a, b)`: the three words a slot stores besides the time.
    pub(crate) fn encode(self) -> [u64; 3] {
        let (kind, a, b) = match self {
            Event::PollStart { task, queued } => (0, task, queued),
            Event::PollEnd { task } => (1, task, 0),
            Event::Wake { task, target } => (2, task, target),
            Event::Steal { victim, count } => (3, victim, count),
            Event::Park => (4, 0, 0),
            Event::Unpark => (5, 0, 0),
            Event::ReactorTurn { events } => (6, events, 0),
            Event::InjectorBatch { count, left } => (7, count, left),
            Event::Spawn { task, target } => (8, task, target),
        };
        [kind, a as u64, b as u64]
    }

    pub(crate) fn decode([kind, a, b]: [u64; 3]) -> Option<Event> {
        let (a, b) = (a as usize, b as usize);
        Some(match kind {
            0 => Event::PollStart { task: a, queued: b },
            1 => Event::PollEnd { task: a },
            2 => Event::Wake { task: a, target: b },
            3 => Event::Steal {
                victim: a,
                count: b,
            },
            4 => Event::Park,
            5 => Event::Unpark,
            6 => Event::ReactorTurn { events: a },
            7 => Event::InjectorBatch { count: a, left: b },
            8 => Event::Spawn { task: a, target: b },
            _ => return None,
        })
    }
}

/// A worker's preallocated event ring (module docs: one writer, any reader).
#[derive(Debug)]
pub(crate) struct Ring {
    epoch: Instant,
    /// `[nanoseconds since epoch, kind, a, b]` per event.
    slots: Box<[[AtomicU64; 4]]>,
    /// Events written so far; slot `written % RING_EVENTS` is the next. Written by the worker
    /// alone (a load and a store, as a metrics `Counter`).
    written: AtomicU64,
}

impl Ring {
    pub(crate) fn new(epoch: Instant) -> Ring {
        Ring {
            epoch,
            slots: (0..RING_EVENTS).map(|_| Default::default()).collect(),
            written: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(crate) fn record(&self, event: Event) {
        self.record_at(nanos_since(self.epoch), event);
    }

    /// Records `event` at `nanos` since the epoch.
    #[inline]
    pub(crate) fn record_at(&self, nanos: u64, event: Event) {
        // Relaxed: one writer; readers discard what may be torn (module docs).
        let written = self.written.load(Relaxed);
        let slot = &self.slots[written as usize % RING_EVENTS];
        let [kind, a, b] = event.encode();
        slot[0].store(nanos, Relaxed);
        slot[1].store(kind, Relaxed);
        slot[2].store(a, Relaxed);
        slot[3].store(b, Relaxed);
        self.written.store(written + 1, Relaxed);
    }

    /// The events still in the ring, oldest first, as `(nanoseconds since epoch, event)`.
    pub(crate) fn snapshot(&self) -> Vec<(u64, Event)> {
        // Relaxed: the slots' loads below are checked against a second load, not ordered.
        let end = self.written.load(Relaxed);
        let start = end.saturating_sub(RING_EVENTS as u64);
        let mut events: Vec<(u64, Event)> = (start..end)
            .filter_map(|i| {
                let slot = &self.slots[i as usize % RING_EVENTS];
                // Relaxed: a possibly torn read, checked below.
                let words = [1, 2, 3].map(|w| slot[w].load(Relaxed));
                Some((slot[0].load(Relaxed), Event::decode(words)?))
            })
            .collect();
        // Slots the worker overwrote while we read them may be torn, and so may the one it is
        // writing now (the oldest, in a full ring): drop them.
        let overwritten =
            (self.written.load(Relaxed) + 1 - start).saturating_sub(RING_EVENTS as u64);
        events.drain(..(overwritten as usize).min(events.len()));
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_its_encoding() {
        let events = [
            Event::PollStart {
                task: 0xdead_beef,
                queued: 3,
            },
            Event::PollEnd { task: 1 },
            Event::Wake { task: 2, target: 1 },
            Event::Steal {
                victim: 1,
                count: 64,
            },
            Event::Park,
            Event::Unpark,
            Event::ReactorTurn { events: 5 },
            Event::InjectorBatch { count: 7, left: 9 },
            Event::Spawn { task: 3, target: 0 },
        ];
        for event in events {
            assert_eq!(Event::decode(event.encode()), Some(event));
        }
    }

    #[test]
    fn a_full_ring_keeps_the_newest_events() {
        let ring = Ring::new(Instant::now());
        for i in 0..RING_EVENTS + 10 {
            ring.record_at(i as u64, Event::ReactorTurn { events: i });
        }
        let events = ring.snapshot();
        // The oldest is dropped: a running worker could be overwriting it.
        assert_eq!(events.len(), RING_EVENTS - 1);
        assert_eq!(events[0], (11, Event::ReactorTurn { events: 11 }));
        let last = RING_EVENTS + 9;
        assert_eq!(
            events[RING_EVENTS - 2],
            (last as u64, Event::ReactorTurn { events: last })
        );
    }
}
