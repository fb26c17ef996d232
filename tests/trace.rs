//! The timeline trace (feature `trace`): a short ping-pong run, written by `Runtime::trace` and
//! by the drop of a runtime when `TOURBILLON_TRACE` names a file, must be Chrome trace-event
//! JSON that a viewer can load: a lane per worker, a slice per poll, and every flow arrow
//! (from a wake to the poll it caused) with both ends.
//!
//! Run with `cargo test --features trace --test trace`.

use tourbillon_support::testing as support;

use std::collections::HashMap;

use futures_channel::mpsc;
use futures_util::StreamExt;
use serde_json::Value;
use support::{every_flavor, watchdog};
use tourbillon::Runtime;

const PAIRS: usize = 4;
const ROUND_TRIPS: usize = 50;

/// `PAIRS` pairs of tasks bouncing a message `ROUND_TRIPS` times: every bounce is a wake.
fn ping_pong(rt: &Runtime) {
    rt.block_on(async {
        let mut pairs = Vec::new();
        for _ in 0..PAIRS {
            let (to_pong, mut from_ping) = mpsc::unbounded::<()>();
            let (to_ping, mut from_pong) = mpsc::unbounded::<()>();
            pairs.push(tourbillon::spawn(async move {
                while from_ping.next().await.is_some() {
                    if to_ping.unbounded_send(()).is_err() {
                        break;
                    }
                }
            }));
            pairs.push(tourbillon::spawn(async move {
                for _ in 0..ROUND_TRIPS {
                    to_pong.unbounded_send(()).unwrap();
                    from_pong.next().await.unwrap();
                }
            }));
        }
        for task in pairs {
            task.await.unwrap();
        }
    });
}

/// Checks that `json` is a trace a viewer loads, and returns its events.
fn check_trace(json: &[u8], workers: usize) -> Vec<Value> {
    let trace: Value = serde_json::from_slice(json).expect("the trace is JSON");
    let events = trace["traceEvents"]
        .as_array()
        .expect("a traceEvents array");
    let mut lanes = Vec::new();
    let mut flow_starts = HashMap::new();
    let mut flow_ends = HashMap::new();
    for event in events {
        let ph = event["ph"].as_str().expect("every event has a phase");
        assert!(event["pid"].is_u64(), "no pid: {event}");
        if ph != "M" {
            assert!(event["ts"].as_f64().unwrap() >= 0.0, "bad ts: {event}");
        }
        match ph {
            "M" if event["name"] == "thread_name" => lanes.push(event["tid"].as_u64().unwrap()),
            "X" => assert!(event["dur"].as_f64().unwrap() >= 0.0, "bad dur: {event}"),
            "s" => assert!(flow_starts
                .insert(event["id"].as_u64().unwrap(), event)
                .is_none()),
            "f" => {
                assert_eq!(event["bp"], "e");
                assert!(flow_ends
                    .insert(event["id"].as_u64().unwrap(), event)
                    .is_none());
            }
            "M" | "C" | "i" => {}
            other => panic!("unexpected phase {other}: {event}"),
        }
    }
    assert_eq!(
        lanes,
        (0..workers as u64).collect::<Vec<_>>(),
        "a lane per worker"
    );
    let mut starts: Vec<_> = flow_starts.keys().collect();
    let mut ends: Vec<_> = flow_ends.keys().collect();
    starts.sort();
    ends.sort();
    assert_eq!(starts, ends, "every flow arrow has both ends");
    for (id, start) in &flow_starts {
        let end = &flow_ends[id];
        assert!(
            end["ts"].as_f64() >= start["ts"].as_f64(),
            "a poll before the wake that caused it: {start} -> {end}"
        );
    }
    events.clone()
}

fn count(events: &[Value], ph: &str, name: &str) -> usize {
    events
        .iter()
        .filter(|e| e["ph"] == ph && e["name"] == name)
        .count()
}

/// One test, so that no other runtime of this binary is dropped while the variable is set.
#[test]
fn ping_pong_traces_are_valid_chrome_trace_json() {
    for (flavor, rt) in every_flavor() {
        watchdog(&format!("ping-pong trace on {flavor}"), move || {
            ping_pong(&rt);
            let metrics = rt.metrics();
            let mut json = Vec::new();
            rt.trace(&mut json).unwrap();
            let events = check_trace(&json, metrics.num_workers());
            // Every bounce is a wake and a poll; the rings (65,536 events each) hold them all.
            let bounces = PAIRS * ROUND_TRIPS;
            assert!(
                count(&events, "X", "poll") >= 2 * bounces,
                "{flavor}: polls missing"
            );
            assert!(
                count(&events, "X", "wake") >= bounces,
                "{flavor}: wakes missing"
            );
            assert!(
                count(&events, "s", "wake") >= bounces,
                "{flavor}: arrows missing"
            );
        });
    }

    // The same trace, written when the runtime is dropped with TOURBILLON_TRACE set.
    let path = std::env::temp_dir().join(format!("tourbillon-trace-{}.json", std::process::id()));
    watchdog("trace written at drop", {
        let path = path.clone();
        move || {
            let rt = support::multi_thread();
            ping_pong(&rt);
            std::env::set_var("TOURBILLON_TRACE", &path);
            drop(rt);
            std::env::remove_var("TOURBILLON_TRACE");
        }
    });
    let json = std::fs::read(&path).expect("the drop wrote the trace");
    let _ = std::fs::remove_file(&path);
    let events = check_trace(&json, 2);
    assert!(count(&events, "X", "poll") >= 2 * PAIRS * ROUND_TRIPS);
}
