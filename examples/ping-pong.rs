//! The `ping_pong` benchmark's shape (benches/scheduler.rs), seen from inside: a task spawns
//! 1,000 tasks, each of which spawns a responder and bounces a oneshot off it. Runs it K times,
//! prints the runtime's counters per iteration (a markdown table), and with the `trace` feature
//! writes the runtime's timeline as Chrome trace-event JSON to PATH, for
//! <https://ui.perfetto.dev> or `scripts/trace-plot`.
//!
//! ```text
//! cargo run --release [--features trace] --example ping-pong -- [PATH] \
//!     [--threads N (2) | --current-thread] [--iterations K (20)]
//! scripts/trace-plot PATH -o perf/ping-pong-trace.svg
//! ```
//!
//! Each worker's ring keeps its last 65,536 events: the last few iterations. Being small and
//! deterministic on current-thread, it is also what `scripts/metrics-overhead.sh` counts
//! instructions of (callgrind), with and without the metrics.

use std::io;

use futures_channel::oneshot;
use tourbillon::{Builder, Runtime, RuntimeMetrics};

const PAIRS: usize = 1_000;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut path, mut workers, mut iterations) = (None, Some(2), 20);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            let value = args.next().and_then(|v| v.parse::<usize>().ok());
            value.ok_or_else(|| usage(&format!("{name} needs a number")))
        };
        match arg.as_str() {
            "--threads" => workers = Some(number("--threads")?),
            "--current-thread" => workers = None,
            "--iterations" => iterations = number("--iterations")?,
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
    for _ in 0..iterations {
        ping_pong(&rt);
    }
    print_per_iteration(&rt.metrics(), iterations);
    if let Some(path) = path {
        write_trace(&rt, &path)?;
    }
    Ok(())
}

/// The runtime's counters divided by the iterations: what one `ping_pong` costs the scheduler.
fn print_per_iteration(m: &RuntimeMetrics, iterations: usize) {
    let per = |total: u64| total as f64 / iterations as f64;
    println!("per iteration ({iterations} iterations of {PAIRS} pairs):");
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
        "{problem}\nusage: ping-pong [PATH] [--threads N | --current-thread] [--iterations K]"
    ))
}

/// One iteration: 1,000 pairs bouncing a oneshot, spawned from a task.
fn ping_pong(rt: &Runtime) {
    rt.block_on(async {
        tourbillon::spawn(async {
            let pairs: Vec<_> = (0..PAIRS)
                .map(|_| {
                    tourbillon::spawn(async {
                        let (ping_tx, ping_rx) = oneshot::channel();
                        let (pong_tx, pong_rx) = oneshot::channel();
                        tourbillon::spawn(async move {
                            ping_rx.await.unwrap();
                            pong_tx.send(()).unwrap();
                        });
                        ping_tx.send(()).unwrap();
                        pong_rx.await.unwrap();
                    })
                })
                .collect();
            for pair in pairs {
                pair.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
}
