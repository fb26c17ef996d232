//! `TourbillonExecutor` and `TourbillonTimer` on their own, both flavors: spawning and sleeping
//! from threads the runtime does not own, and `reset` moving a sleep without a new allocation.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Executor, Sleep, Timer};
use support::{current_thread, multi_thread, one_worker, within_deadline};
use tourbillon::Runtime;
use tourbillon_hyper::{TourbillonExecutor, TourbillonTimer};

fn executor_spawns_from_a_foreign_thread(rt: Runtime) {
    let executor = rt.block_on(async { TourbillonExecutor::new() });
    let (done, ran) = futures_channel::oneshot::channel();
    std::thread::spawn(move || {
        assert!(tourbillon::Handle::try_current().is_err());
        executor.execute(async move {
            // The future runs on the executor's runtime.
            assert!(tourbillon::Handle::try_current().is_ok());
            done.send("ran").unwrap();
        });
    })
    .join()
    .unwrap();
    assert_eq!(rt.block_on(ran).unwrap(), "ran");
}

#[test]
fn executor_foreign_thread_current_thread() {
    within_deadline(|| executor_spawns_from_a_foreign_thread(current_thread()));
}

#[test]
fn executor_foreign_thread_multi_thread() {
    within_deadline(|| executor_spawns_from_a_foreign_thread(multi_thread()));
}

#[test]
fn executor_foreign_thread_one_worker() {
    within_deadline(|| executor_spawns_from_a_foreign_thread(one_worker()));
}

/// The address of the sleep behind hyper's box.
fn address(sleep: &Pin<Box<dyn Sleep>>) -> *const () {
    let sleep: &dyn Sleep = &**sleep;
    (sleep as *const dyn Sleep).cast()
}

fn reset_moves_the_sleep_in_place(rt: Runtime) {
    let timer = TourbillonTimer::with_handle(rt.handle().clone());
    // Made and reset on this thread, outside the runtime; awaited inside it.
    let mut sleep = timer.sleep(Duration::from_secs(3600));
    let before = address(&sleep);
    let soon = Instant::now() + Duration::from_millis(5);
    timer.reset(&mut sleep, soon);
    assert_eq!(address(&sleep), before, "reset allocated a new sleep");
    rt.block_on(async {
        // Poll it once first, so it is registered in the wheel when reset again.
        let mut polled = false;
        std::future::poll_fn(|cx| {
            if !polled {
                polled = true;
                assert!(sleep.as_mut().poll(cx).is_pending());
                timer.reset(&mut sleep, soon);
            }
            sleep.as_mut().poll(cx)
        })
        .await;
    });
    assert!(Instant::now() >= soon);
    assert_eq!(address(&sleep), before);
}

#[test]
fn timer_reset_in_place_current_thread() {
    within_deadline(|| reset_moves_the_sleep_in_place(current_thread()));
}

#[test]
fn timer_reset_in_place_multi_thread() {
    within_deadline(|| reset_moves_the_sleep_in_place(multi_thread()));
}

/// Another timer's sleep: never ready.
struct Foreign;

impl Future for Foreign {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Sleep for Foreign {}

#[test]
fn timer_reset_replaces_a_foreign_sleep() {
    within_deadline(|| {
        let rt = current_thread();
        let timer = TourbillonTimer::with_handle(rt.handle().clone());
        let mut sleep: Pin<Box<dyn Sleep>> = Box::pin(Foreign);
        assert!(sleep.is::<Foreign>());
        let soon = Instant::now() + Duration::from_millis(1);
        timer.reset(&mut sleep, soon);
        assert!(!sleep.is::<Foreign>());
        rt.block_on(sleep);
        assert!(Instant::now() >= soon);
    });
}
