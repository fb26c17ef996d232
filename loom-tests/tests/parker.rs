//! Loom model of the worker parker (src/scheduler/park.rs): the futex-style token word, with
//! loom's `Mutex`/`Condvar` in the kernel's place.
//!
//! Each unparker writes a value with a `Relaxed` store *before* it unparks, and the parked
//! thread reads it with a `Relaxed` load after `park` returns: only the parker's own
//! Release/Acquire pair can make the value visible, so an ordering weakened there fails the
//! assertion. A lost token leaves the parker blocked forever, which loom reports as a deadlock.
//!
//! | scenario                   | proves                                                        |
//! |----------------------------|---------------------------------------------------------------|
//! | `unpark_then_park`         | a token made before `park` is kept (park returns at once)     |
//! | `unpark_during_park`       | an unpark racing the EMPTY→PARKED CAS or the futex wait wakes it, and publishes what came before |
//! | `concurrent_unparks`       | two unparkers, one parker: park until both flags are seen; no token lost between them |
//! | `park_driver_timeout`      | parking in the reactor with a timeout that runs out, vs an unpark: the token is consumed (and the write seen) or left for the next `park` |
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use loom_tests::model;
use tourbillon::loom_api::Parker;

#[test]
fn unpark_then_park() {
    model(None, || {
        let parker = Parker::new();
        parker.unpark();
        parker.park();
    });
}

/// Another thread writes 1 to `data` (Relaxed: only the unpark may publish it), then unparks.
fn write_then_unpark(parker: &Arc<Parker>, data: &Arc<AtomicUsize>) -> thread::JoinHandle<()> {
    let (parker, data) = (parker.clone(), data.clone());
    thread::spawn(move || {
        data.store(1, Relaxed);
        parker.unpark();
    })
}

#[test]
fn unpark_during_park() {
    model(None, || {
        let parker = Arc::new(Parker::new());
        let data = Arc::new(AtomicUsize::new(0));
        let unparker = write_then_unpark(&parker, &data);
        parker.park();
        assert_eq!(
            data.load(Relaxed),
            1,
            "park returned without the unpark's write"
        );
        unparker.join().unwrap();
    });
}

#[test]
fn concurrent_unparks() {
    model(None, || {
        let parker = Arc::new(Parker::new());
        let seen = Arc::new(AtomicUsize::new(0));
        let unparkers: Vec<_> = [0b01, 0b10]
            .into_iter()
            .map(|bit| {
                let (parker, seen) = (parker.clone(), seen.clone());
                thread::spawn(move || {
                    seen.fetch_or(bit, Relaxed);
                    parker.unpark();
                })
            })
            .collect();
        // Every wake-up is followed by a look; a flag set before an unpark is seen after the
        // park it ends. Spurious returns just cost a loop.
        let mut parks = 0;
        while seen.load(Relaxed) != 0b11 {
            parker.park();
            parks += 1;
            assert!(parks <= 2, "more wake-ups than unparks");
        }
        for u in unparkers {
            u.join().unwrap();
        }
    });
}

#[test]
fn park_driver_timeout() {
    model(None, || {
        let parker = Arc::new(Parker::new());
        let data = Arc::new(AtomicUsize::new(0));
        let unparker = write_then_unpark(&parker, &data);
        // The reactor turn "times out" at once. Either it consumed the token (then the write
        // is visible) or the token is still to come, and the futex park gets it.
        parker.park_driver_timeout();
        if data.load(Relaxed) != 1 {
            parker.park();
        }
        assert_eq!(
            data.load(Relaxed),
            1,
            "park returned without the unpark's write"
        );
        unparker.join().unwrap();
    });
}
