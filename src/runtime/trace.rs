//! The timeline trace's export (feature `trace`): the per-worker rings that `metrics::trace`
//! records, written as Chrome trace-event JSON that Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` open.
//!
//! # The JSON
//!
//! One lane (`tid`) per worker. Polls and parked periods are slices; wakes and spawns are 1 ns
//! slices from which a flow arrow leads to the task's next poll, on whichever worker that happens, so a
//! cross-core wake shows as an arrow between lanes and its latency as the arrow's length. Queue
//! lengths are counters. Task ids are the tasks' addresses: unique among live tasks, reused
//! after a task is freed.

use super::{handle::Scheduler, Handle, Runtime};
use crate::metrics::{trace::Event, WorkerMetrics};
use std::collections::HashMap;
use std::io::{self, Write};

/// The environment variable naming the file a runtime writes its trace to when it is dropped.
pub(crate) const TRACE_ENV: &str = "TOURBILLON_TRACE";

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
