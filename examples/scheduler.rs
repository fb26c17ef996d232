//! One of the scheduler benchmarks (benches/scheduler.rs; `ping_pong` unless `--scenario` says
//! otherwise), seen from inside: runs it K times on tourbillon, prints the runtime's counters
//! per iteration (a markdown table), and with the `trace` feature writes the runtime's timeline
//! as Chrome trace-event JSON to PATH, for <https://ui.perfetto.dev> or `scripts/trace-plot`.
//!
//! ```text
//! cargo run --release [--features trace] --example scheduler -- [PATH] \
//!     [--scenario NAME (ping_pong)] [--threads N (2) | --current-thread] [--iterations K (20)]
//! scripts/trace-plot PATH -o perf/ping-pong-trace.svg
//! ```
//!
//! The scenarios are `tourbillon_support::bench::scheduler`'s: `spawn_many_local`,
//! `spawn_many_remote_idle`, `spawn_many_remote_busy`, `yield_many`, `ping_pong`,
//! `chained_spawn`. Each worker's ring keeps its last 65,536 events: the last few iterations.
//! Being deterministic on current-thread, a run is also what `scripts/metrics-instructions.sh`
//! counts the instructions of (callgrind), with and without the metrics.

use std::io;

use tourbillon::{Builder, Runtime, RuntimeMetrics};
use tourbillon_support::bench::scheduler;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut path, mut workers, mut iterations) = (None, Some(2), 20);
    let mut scenario = "ping_pong".to_string();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            let value = args.next().and_then(|v| v.parse::<usize>().ok());
            value.ok_or_else(|| usage(&format!("{name} needs a number")))
        };
        match arg.as_str() {
            "--threads" => workers = Some(number("--threads")?),
            "--current-thread" => workers = None,
            "--iterations" => iterations = number("--iterations")?,
            "--scenario" => {
                scenario = args
                    .next()
                    .ok_or_else(|| usage("--scenario needs a name"))?
            }
            other if other.starts_with("--") || path.is_some() => {
                return Err(usage(&format!("unexpected argument `{other}`")))
            }
            other => path = Some(other.to_string()),
        }
    }
    let rt = match workers {
        Some(n) => Builder::new_multi_thread().worker_threads(n).build()?,
        None => Builder::new_current_thread().build()?,
    };
    let (name, run) = scheduler::all::<Runtime>()
        .into_iter()
        .find(|(name, _)| *name == scenario)
        .ok_or_else(|| usage(&format!("no scenario `{scenario}`")))?;
    run(&rt, iterations as u64);
    print_per_iteration(&rt.metrics(), name, iterations);
    if let Some(path) = path {
        write_trace(&rt, &path)?;
    }
    Ok(())
}

/// The runtime's counters divided by the iterations: what one iteration of the scenario `name`
/// costs the scheduler.
fn print_per_iteration(m: &RuntimeMetrics, name: &str, iterations: usize) {
    let per = |total: u64| total as f64 / iterations as f64;
    println!("per iteration ({iterations} iterations of {name}):");
    println!("| worker | polls | LIFO hits | local schedules | stolen | steals | parks | injector batches |");
    println!("|---|---|---|---|---|---|---|---|");
    for i in 0..m.num_workers() {
        println!(
            "| {i} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} |",
            per(m.worker_poll_count(i)),
            per(m.worker_lifo_hit_count(i)),
            per(m.worker_local_schedule_count(i)),
            per(m.worker_steal_count(i)),
            per(m.worker_steal_operations(i)),
            per(m.worker_park_count(i)),
            per(m.worker_injector_batch_count(i)),
        );
    }
    println!(
        "remote schedules {:.1}, unpark requests {:.1}, of which woke a sleeper {:.1}, reactor turns {:.1}",
        per(m.remote_schedule_count()),
        per(m.worker_wake_request_count()),
        per(m.worker_wake_count()),
        per(m.reactor_turn_count()),
    );
}

#[cfg(feature = "trace")]
fn write_trace(rt: &Runtime, path: &str) -> io::Result<()> {
    rt.trace(io::BufWriter::new(std::fs::File::create(path)?))?;
    println!("wrote {path}");
    Ok(())
}

#[cfg(not(feature = "trace"))]
fn write_trace(_: &Runtime, _: &str) -> io::Result<()> {
    Err(usage(
        "PATH needs the `trace` feature (cargo run --features trace ...)",
    ))
}

fn usage(problem: &str) -> io::Error {
    io::Error::other(format!(
        "{problem}\nusage: scheduler [PATH] [--scenario NAME] [--threads N | --current-thread] \
         [--iterations K]"
    ))
}
