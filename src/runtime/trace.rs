//! The timeline trace (feature `trace`): what each worker did and when, as Chrome trace-event
//! JSON that Perfetto (<https://ui.perfetto.dev>) and `chrome://tracing` open.
//!
//! # Recording
//!
//! Each worker owns a [`Ring`] of [`RING_EVENTS`] fixed-size slots, allocated with the runtime.
//! Recording an event reads the clock and makes four relaxed stores and one relaxed load+store
//! (the write index): no allocation, no lock, no syscall beyond the clock's (a vDSO call on
//! Linux). When the ring is full the oldest events are overwritten.
//!
//! The writer is the worker alone (the thread holding the core, for current-thread). Any thread
//! may read a ring, as [`Runtime::trace`] does: while the worker runs, the events it is writing
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
//!
//! # The JSON
//!
//! One lane (`tid`) per worker. Polls and parked periods are slices; wakes and spawns are 1 ns
//! slices from which a flow arrow leads to the task's next poll, on whichever worker that happens, so a
//! cross-core wake shows as an arrow between lanes and its latency as the arrow's length. Queue
//! lengths are counters. Task ids are the tasks' addresses: unique among live tasks, reused
//! after a task is freed.

use super::metrics::{nanos_since, WorkerMetrics};
use super::{handle::Scheduler, Handle, Runtime};
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Events each worker's ring keeps (32 bytes each).
pub(crate) const RING_EVENTS: usize = 1 << 16;

/// The environment variable naming the file a runtime writes its trace to when it is dropped.
pub(crate) const TRACE_ENV: &str = "TOURBILLON_TRACE";

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
    fn encode(self) -> [u64; 3] {
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

    fn decode([kind, a, b]: [u64; 3]) -> Option<Event> {
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
    fn snapshot(&self) -> Vec<(u64, Event)> {
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

// === impl Runtime ===

impl Runtime {
    /// Writes this runtime's timeline so far as Chrome trace-event JSON: a lane per worker,
    /// polls and parked periods as slices, flow arrows from each wake to the poll it causes,
    /// queue lengths as counters. Open the file in <https://ui.perfetto.dev>. Each worker
    /// keeps its last 65,536 events.
    ///
    /// The same is written when the runtime is dropped if the environment variable
    /// `TOURBILLON_TRACE` names a file.
    ///
    /// # Errors
    /// What writing to `out` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { tourbillon::spawn(async {}).await.unwrap() });
    /// let mut json = Vec::new();
    /// rt.trace(&mut json).unwrap();
    /// assert!(String::from_utf8(json).unwrap().contains("\"name\":\"poll\""));
    /// ```
    pub fn trace(&self, out: impl Write) -> io::Result<()> {
        write_trace(&self.handle, out)
    }
}

/// At drop: writes the trace to the file `TOURBILLON_TRACE` names, if it is set.
pub(crate) fn write_at_drop(handle: &Handle) {
    let Some(path) = std::env::var_os(TRACE_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let written =
        std::fs::File::create(&path).and_then(|file| write_trace(handle, io::BufWriter::new(file)));
    if let Err(e) = written {
        eprintln!("tourbillon: cannot write the trace to {path:?}: {e}");
    }
}

fn write_trace(handle: &Handle, out: impl Write) -> io::Result<()> {
    let metrics = handle.scheduler_metrics();
    let lanes: Vec<Vec<(u64, Event)>> = metrics
        .workers()
        .map(|w: &WorkerMetrics| w.trace.snapshot())
        .collect();
    let flavor = match handle.scheduler {
        Scheduler::MultiThread(_) => "multi_thread",
        Scheduler::CurrentThread(_) => "current_thread",
    };
    write_json(flavor, &lanes, out)
}

/// Microseconds, Chrome's unit, from nanoseconds.
fn us(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

/// Writes `lanes` (worker `i`'s events, oldest first) as Chrome trace-event JSON.
fn write_json(flavor: &str, lanes: &[Vec<(u64, Event)>], out: impl Write) -> io::Result<()> {
    // Each task's poll starts, in time order, for the wake-to-poll arrows.
    let mut polls: HashMap<usize, Vec<(u64, usize)>> = HashMap::new();
    for (worker, events) in lanes.iter().enumerate() {
        for &(at, event) in events {
            if let Event::PollStart { task, .. } = event {
                polls.entry(task).or_default().push((at, worker));
            }
        }
    }
    for starts in polls.values_mut() {
        starts.sort_unstable();
    }

    let mut json = JsonArray::new(out)?;
    json.item(format_args!(
        r#"{{"ph":"M","name":"process_name","pid":1,"args":{{"name":"tourbillon {flavor}"}}}}"#
    ))?;
    let mut flow = 0u64;
    for (worker, events) in lanes.iter().enumerate() {
        json.item(format_args!(
            r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{worker},"args":{{"name":"worker {worker}"}}}}"#
        ))?;
        let mut poll_start: Option<(u64, usize)> = None;
        let mut park_start: Option<u64> = None;
        for &(at, event) in events {
            let ts = us(at);
            match event {
                Event::PollStart { task, queued } => {
                    poll_start = Some((at, task));
                    json.item(format_args!(
                        r#"{{"ph":"C","name":"worker {worker} queue","pid":1,"ts":{ts},"args":{{"queued":{queued}}}}}"#
                    ))?;
                }
                Event::PollEnd { task } => {
                    if let Some((start, _)) = poll_start.take().filter(|&(_, t)| t == task) {
                        let dur = us(at - start);
                        json.item(format_args!(
                            r#"{{"ph":"X","name":"poll","cat":"poll","pid":1,"tid":{worker},"ts":{},"dur":{dur},"args":{{"task":{task}}}}}"#,
                            us(start)
                        ))?;
                    }
                }
                Event::Wake { task, target } | Event::Spawn { task, target } => {
                    let name = match event {
                        Event::Wake { .. } => "wake",
                        _ => "spawn",
                    };
                    json.item(format_args!(
                        r#"{{"ph":"X","name":"{name}","cat":"{name}","pid":1,"tid":{worker},"ts":{ts},"dur":0.001,"args":{{"task":{task},"target":{target}}}}}"#
                    ))?;
                    // The task's first poll from now on is the one this wake or spawn caused.
                    let next = polls.get(&task).and_then(|starts| {
                        let i = starts.partition_point(|&(t, _)| t < at);
                        starts.get(i)
                    });
                    if let Some(&(poll_at, poll_worker)) = next {
                        flow += 1;
                        json.item(format_args!(
                            r#"{{"ph":"s","name":"{name}","cat":"{name}","id":{flow},"pid":1,"tid":{worker},"ts":{ts}}}"#
                        ))?;
                        json.item(format_args!(
                            r#"{{"ph":"f","bp":"e","name":"{name}","cat":"{name}","id":{flow},"pid":1,"tid":{poll_worker},"ts":{}}}"#,
                            us(poll_at)
                        ))?;
                    }
                }
                Event::Steal { victim, count } => json.item(format_args!(
                    r#"{{"ph":"i","s":"t","name":"steal","cat":"steal","pid":1,"tid":{worker},"ts":{ts},"args":{{"victim":{victim},"count":{count}}}}}"#
                ))?,
                Event::Park => park_start = Some(at),
                Event::Unpark => {
                    if let Some(start) = park_start.take() {
                        json.item(format_args!(
                            r#"{{"ph":"X","name":"parked","cat":"park","pid":1,"tid":{worker},"ts":{},"dur":{}}}"#,
                            us(start),
                            us(at - start)
                        ))?;
                    }
                }
                Event::ReactorTurn { events } => json.item(format_args!(
                    r#"{{"ph":"i","s":"t","name":"reactor turn","cat":"reactor","pid":1,"tid":{worker},"ts":{ts},"args":{{"events":{events}}}}}"#
                ))?,
                Event::InjectorBatch { count, left } => {
                    json.item(format_args!(
                        r#"{{"ph":"i","s":"t","name":"injector batch","cat":"injector","pid":1,"tid":{worker},"ts":{ts},"args":{{"count":{count}}}}}"#
                    ))?;
                    json.item(format_args!(
                        r#"{{"ph":"C","name":"injector","pid":1,"ts":{ts},"args":{{"queued":{left}}}}}"#
                    ))?;
                }
            }
        }
    }
    json.finish()
}

/// A JSON array written one item at a time.
struct JsonArray<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonArray<W> {
    fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        Ok(JsonArray { out, first: true })
    }

    fn item(&mut self, item: std::fmt::Arguments<'_>) -> io::Result<()> {
        if !std::mem::take(&mut self.first) {
            self.out.write_all(b",\n")?;
        }
        self.out.write_fmt(item)
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
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

    #[test]
    fn a_wake_on_one_worker_flows_to_the_poll_on_another() {
        let lanes = vec![
            vec![(100, Event::Wake { task: 7, target: 0 })],
            vec![
                (150, Event::PollStart { task: 7, queued: 0 }),
                (180, Event::PollEnd { task: 7 }),
            ],
        ];
        let mut out = Vec::new();
        write_json("multi_thread", &lanes, &mut out).unwrap();
        let json = String::from_utf8(out).unwrap();
        assert!(
            json.contains(r#""ph":"s","name":"wake","cat":"wake","id":1,"pid":1,"tid":0,"ts":0.1"#)
        );
        assert!(json.contains(
            r#""ph":"f","bp":"e","name":"wake","cat":"wake","id":1,"pid":1,"tid":1,"ts":0.15"#
        ));
        assert!(json.contains(
            r#""ph":"X","name":"poll","cat":"poll","pid":1,"tid":1,"ts":0.15,"dur":0.03"#
        ));
    }
}
