//! `Runtime::enter` / `Handle::enter`: outside any runtime, the entered runtime is the one
//! `spawn`, `sleep` and the socket constructors find; guards nest and restore the outer runtime.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use support::{current_thread, multi_thread, within_deadline};
use tourbillon::net::TcpListener;
use tourbillon::{Handle, Runtime};

/// Polls `future` once with a waker that does nothing: enough for a future that completes
/// without waiting (binding a listener), with no runtime driving it.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    pin!(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// The number of workers of the current runtime: tells the runtimes of these tests apart.
fn current_workers() -> usize {
    Handle::current().metrics().num_workers()
}

fn spawn_sleep_and_bind_under_enter(rt: Runtime) {
    assert!(
        Handle::try_current().is_err(),
        "the test starts outside any runtime"
    );
    let (task, sleep, listener) = {
        let _guard = rt.enter();
        let task = tourbillon::spawn(async { 6 * 7 });
        let sleep = tourbillon::time::sleep(Duration::from_millis(1));
        let Poll::Ready(listener) = poll_once(TcpListener::bind("127.0.0.1:0")) else {
            panic!("binding a listener waits for nothing");
        };
        (task, sleep, listener.unwrap())
    };
    assert!(
        Handle::try_current().is_err(),
        "dropping the guard leaves no runtime current"
    );
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        assert_eq!(task.await.unwrap(), 42);
        sleep.await;
        // The listener made under `enter` is registered with this runtime's reactor.
        let client = tourbillon::net::TcpStream::connect(addr).await.unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    });
}

#[test]
fn enter_current_thread_spawn_sleep_bind() {
    within_deadline(|| spawn_sleep_and_bind_under_enter(current_thread()));
}

#[test]
fn enter_multi_thread_spawn_sleep_bind() {
    within_deadline(|| spawn_sleep_and_bind_under_enter(multi_thread()));
}

#[test]
fn handle_enter_from_a_thread_the_runtime_does_not_own() {
    within_deadline(|| {
        let rt = multi_thread();
        let handle = rt.handle().clone();
        let task = std::thread::spawn(move || {
            let _guard = handle.enter();
            tourbillon::spawn(async {
                tourbillon::time::sleep(Duration::from_millis(1)).await;
                "slept"
            })
        })
        .join()
        .unwrap();
        assert_eq!(rt.block_on(task).unwrap(), "slept");
    });
}

#[test]
fn nested_enters_restore_the_outer_runtime() {
    within_deadline(|| {
        let outer = multi_thread();
        let inner = current_thread();
        assert_eq!(outer.metrics().num_workers(), 2);
        assert_eq!(inner.metrics().num_workers(), 1);

        let outer_guard = outer.enter();
        assert_eq!(current_workers(), 2);
        {
            let _inner_guard = inner.handle().enter();
            assert_eq!(current_workers(), 1);
            // A task spawned now belongs to the inner runtime.
            let task = tourbillon::spawn(std::future::pending::<()>());
            assert_eq!(inner.metrics().num_alive_tasks(), 1);
            assert_eq!(outer.metrics().num_alive_tasks(), 0);
            task.abort();
        }
        assert_eq!(
            current_workers(),
            2,
            "the inner guard restored the outer runtime"
        );
        drop(outer_guard);
        assert!(Handle::try_current().is_err());
    });
}

#[test]
fn enter_inside_block_on_restores_the_block_on_runtime() {
    within_deadline(|| {
        let outer = current_thread();
        let other = multi_thread();
        outer.block_on(async {
            {
                let _guard = other.enter();
                assert_eq!(current_workers(), 2);
            }
            assert_eq!(current_workers(), 1);
        });
    });
}

#[test]
fn handle_metrics_reads_the_same_runtime() {
    within_deadline(|| {
        let rt = multi_thread();
        let metrics = rt.handle().metrics();
        assert_eq!(metrics.num_workers(), 2);
        assert_eq!(metrics.num_alive_tasks(), 0);
        let _task = rt.spawn(std::future::pending::<()>());
        // A metrics value reads the runtime live, not a snapshot.
        assert_eq!(metrics.num_alive_tasks(), 1);
        assert_eq!(rt.metrics().num_alive_tasks(), 1);
    });
}
