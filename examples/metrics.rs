//! The HTTP server of `http-server.rs`, printing a live per-worker table once a second: what
//! each worker did in that second (rates, not totals), so a wrk run can be watched.
//!
//! ```text
//! cargo run --release --example metrics -- [ADDR] [--threads N | --current-thread]
//! wrk -t1 -c64 -d10s http://127.0.0.1:8080/plaintext     # in another terminal
//! ```
//!
//! Columns, per second: `polls`, of which `lifo` ran from the LIFO slot; `local` tasks the
//! worker queued for itself; `stolen` tasks it took from others (in `steals` operations);
//! `parks`; `busy` the share of the second it was not parked; `queue` its queue now. The
//! runtime line: `remote` schedules from other threads, the injector's length, reactor
//! `turns` and their I/O `events`, `timers` fired, unpark `requests` and the `wakes` that found
//! a worker asleep, and budget-forced yields.

use std::io;
use std::time::{Duration, Instant};

use tourbillon::RuntimeMetrics;
use tourbillon_support::servers::http_server as server;
use tourbillon_support::tourbillon_runtime;

fn main() -> io::Result<()> {
    tourbillon_runtime::main("metrics", |listener, args| {
        let metrics = tourbillon::Handle::current().metrics();
        std::thread::spawn(move || report_every_second(&metrics));
        server::run(listener, args)
    })
}

/// The counters one table row is made of, per worker, and the runtime-wide ones.
struct Snapshot {
    at: Instant,
    workers: Vec<[u64; 8]>,
    runtime: [u64; 7],
}

impl Snapshot {
    fn take(m: &RuntimeMetrics) -> Snapshot {
        let workers = (0..m.num_workers())
            .map(|i| {
                [
                    m.worker_poll_count(i),
                    m.worker_lifo_hit_count(i),
                    m.worker_local_schedule_count(i),
                    m.worker_steal_count(i),
                    m.worker_steal_operations(i),
                    m.worker_park_count(i),
                    m.worker_total_busy_duration(i).as_nanos() as u64,
                    m.worker_overflow_count(i),
                ]
            })
            .collect();
        Snapshot {
            at: Instant::now(),
            workers,
            runtime: [
                m.remote_schedule_count(),
                m.reactor_turn_count(),
                m.io_driver_ready_count(),
                m.timers_fired_count(),
                m.worker_wake_request_count(),
                m.worker_wake_count(),
                m.budget_forced_yield_count(),
            ],
        }
    }
}

fn report_every_second(metrics: &RuntimeMetrics) {
    let mut last = Snapshot::take(metrics);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = Snapshot::take(metrics);
        let secs = now.at.duration_since(last.at).as_secs_f64();
        let rate = |new: u64, old: u64| (new - old) as f64 / secs;
        println!(
            "{:>6} {:>9} {:>8} {:>8} {:>8} {:>7} {:>7} {:>6} {:>9} {:>6}",
            "worker",
            "polls/s",
            "lifo/s",
            "local/s",
            "stolen/s",
            "steals",
            "parks/s",
            "busy",
            "overflow",
            "queue"
        );
        for (i, (new, old)) in now.workers.iter().zip(&last.workers).enumerate() {
            let r = |k: usize| rate(new[k], old[k]);
            let busy = (new[6] - old[6]) as f64 / 1e9 / secs * 100.0;
            println!(
                "{i:>6} {:>9.0} {:>8.0} {:>8.0} {:>8.0} {:>7.0} {:>7.0} {busy:>5.0}% {:>9.0} {:>6}",
                r(0),
                r(1),
                r(2),
                r(3),
                r(4),
                r(5),
                r(7),
                metrics.worker_local_queue_depth(i)
            );
        }
        let r = |k: usize| rate(now.runtime[k], last.runtime[k]);
        let per_turn = (now.runtime[2] - last.runtime[2]) as f64
            / (now.runtime[1] - last.runtime[1]).max(1) as f64;
        println!(
            "runtime: remote {:.0}/s, injector {}, turns {:.0}/s, events {:.0}/s ({per_turn:.1}/turn), \
             timers {:.0}/s, unpark requests {:.0}/s, wakes {:.0}/s, budget yields {:.0}/s\n",
            r(0),
            metrics.global_queue_depth(),
            r(1),
            r(2),
            r(3),
            r(4),
            r(5),
            r(6)
        );
        last = now;
    }
}
