//! Memory per idle task and per pending timer, tourbillon or tokio: run by `scripts/memory.sh`,
//! which starts one process per combination and prints the table for PERF.md.
//!
//! ```text
//! cargo run --release --example memory -- --runtime tourbillon|tokio --what tasks|timers [--count N]
//! ```
//!
//! Both runtimes run current-thread, the same code (generic over the benches' `BenchRuntime`),
//! `--count` items (default 1,000,000):
//! - `tasks`: spawned tasks, join handles dropped, each awaiting `std::future::pending()`
//!   after it has been polled once.
//! - `timers`: 1-hour sleeps in one boxed slice (a single allocation) held by the `block_on`
//!   future, pinned in place and polled once each, so each is registered with the timer driver.
//!   Bytes per item is then the sleep's own size plus whatever the driver keeps per timer.
//!
//! RSS is read from `/proc/self/status` inside `block_on`, after the runtime is built and
//! before the first item (`VmRSS`), and again once every item is in place (`VmRSS`, `VmHWM`).
//! Bytes per item = RSS growth / count. The output is one `key=value` line, then the sizes of
//! the types involved where they can be measured from outside the runtime.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tourbillon_support::bench::timers::Timers;
use tourbillon_support::bench::Flavor;

const USAGE: &str =
    "usage: memory --runtime tourbillon|tokio --what tasks|timers [--count N] (default 1000000)";

/// What a run creates.
#[derive(Clone, Copy)]
enum What {
    Tasks,
    Timers,
}

fn main() {
    let (runtime, what, count) = parse(std::env::args().skip(1)).unwrap_or_else(|message| {
        eprintln!("{message}\n{USAGE}");
        std::process::exit(2)
    });
    match runtime.as_str() {
        "tourbillon" => {
            measure::<tourbillon::Runtime>(what, count);
            let task = idle_task(Arc::new(AtomicUsize::new(0)));
            println!(
                "tourbillon: size_of Sleep = {} B; task header = {} B; task overhead beyond the \
                 future = {} B (idle task future here: {} B; the output slot it shares, \
                 Result<(), JoinError>: {} B)",
                std::mem::size_of::<tourbillon::time::Sleep>(),
                tourbillon::__bench::TASK_HEADER_SIZE,
                task_overhead(&task),
                std::mem::size_of_val(&task),
                std::mem::size_of::<tourbillon::task::Result<()>>(),
            );
        }
        "tokio" => {
            measure::<tokio::runtime::Runtime>(what, count);
            println!(
                "tokio: size_of Sleep = {} B; task overhead not measurable from outside tokio",
                std::mem::size_of::<tokio::time::Sleep>(),
            );
        }
        other => {
            eprintln!("unknown runtime `{other}`\n{USAGE}");
            std::process::exit(2)
        }
    }
}

/// `--runtime`, `--what` and `--count` from the arguments after the program name.
fn parse(args: impl IntoIterator<Item = String>) -> Result<(String, What, usize), String> {
    let (mut runtime, mut what, mut count) = (None, None, 1_000_000);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--runtime" => runtime = Some(value),
            "--what" => {
                what = Some(match value.as_str() {
                    "tasks" => What::Tasks,
                    "timers" => What::Timers,
                    _ => return Err(format!("--what: `{value}` is neither tasks nor timers")),
                })
            }
            "--count" => {
                count = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--count: `{value}` is not a positive number"))?
            }
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    Ok((
        runtime.ok_or("--runtime is required")?,
        what.ok_or("--what is required")?,
        count,
    ))
}

/// Creates `count` items of `what` on a current-thread `R` and prints the RSS line.
fn measure<R: Timers>(what: What, count: usize) {
    let rt = R::build(Flavor::CurrentThread);
    rt.block_on(async {
        let before = status_kib("VmRSS");
        // Kept alive until the RSS is read: the sleeps of a `timers` run.
        let mut sleeps: Box<[R::Sleep]> = Box::new([]);
        match what {
            What::Tasks => {
                let polled = Arc::new(AtomicUsize::new(0));
                for _ in 0..count {
                    R::spawn_detached(idle_task(polled.clone()));
                }
                // Relaxed: a progress count; no data is published through it.
                while polled.load(Ordering::Relaxed) < count {
                    R::sleep(Duration::from_millis(1)).await;
                }
            }
            What::Timers => {
                sleeps = (0..count)
                    .map(|_| R::sleep(Duration::from_secs(3600)))
                    .collect();
                poll_fn(|cx| {
                    for sleep in sleeps.iter_mut() {
                        // SAFETY: the sleeps are never moved out of the boxed slice, which is
                        // neither resized nor replaced again; they are dropped in place with it
                        // at the end of this `block_on`.
                        let sleep = unsafe { Pin::new_unchecked(sleep) };
                        assert!(sleep.poll(cx).is_pending(), "a 1-hour sleep fired");
                    }
                    Poll::Ready(())
                })
                .await;
            }
        }
        let (after, peak) = (status_kib("VmRSS"), status_kib("VmHWM"));
        let item = match what {
            What::Tasks => "tasks",
            What::Timers => "timers",
        };
        println!(
            "runtime={} what={item} count={count} rss_before_kib={before} rss_after_kib={after} \
             peak_kib={peak} bytes_per_item={:.1}",
            R::NAME,
            (after.saturating_sub(before) * 1024) as f64 / count as f64,
        );
        drop(sleeps);
    });
}

/// One idle task: counts its first poll, then waits forever.
async fn idle_task(polled: Arc<AtomicUsize>) {
    // Relaxed: see the load in `measure`.
    polled.fetch_add(1, Ordering::Relaxed);
    std::future::pending::<()>().await
}

/// tourbillon's per-task bytes beyond a future of `future`'s type.
fn task_overhead<F: Future>(_future: &F) -> usize {
    tourbillon::__bench::task_overhead::<F>()
}

/// A `kB` field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
