//! Signals through the public API. Signals are process-wide, so these tests have their own
//! binary, and each test uses a signal of its own: tests run in parallel threads, and two
//! tests sharing a signal would hear each other's.
//!
//! Every wait runs under the watchdog: a lost signal is a failure naming its scenario, not a
//! hang.

mod support;

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;

use support::{within_deadline, FLAVORS};
use tourbillon::signal::unix::{signal, Signal, SignalKind};

fn raise(signum: libc::c_int) {
    // SAFETY: `raise` has no memory-safety preconditions; the signal has a handler (a
    // listener was made first), so the default action (terminating) does not happen.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

/// A real-time signal no other test uses.
fn realtime(offset: libc::c_int) -> libc::c_int {
    let signum = libc::SIGRTMIN() + offset;
    assert!(signum <= libc::SIGRTMAX());
    signum
}

/// Polls `future` once with the task's real waker; true if it is still pending.
async fn is_pending<F: Future>(mut future: Pin<&mut F>) -> bool {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_pending())).await
}

#[test]
fn usr1_raised_right_after_signal_is_received() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
                raise(libc::SIGUSR1);
                assert_eq!(usr1.recv().await, Some(()), "{name}");
            })
        });
    }
}

#[test]
fn a_listener_already_waiting_in_a_task_is_woken() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
                let (started, is_started) = futures_channel::oneshot::channel();
                let listener = tourbillon::spawn(async move {
                    let mut recv = pin!(usr2.recv());
                    assert!(is_pending(recv.as_mut()).await, "no signal was raised yet");
                    started.send(()).unwrap();
                    recv.await
                });
                is_started.await.unwrap();
                raise(libc::SIGUSR2);
                assert_eq!(listener.await.unwrap(), Some(()), "{name}");
            })
        });
    }
}

#[test]
fn two_listeners_both_hear_one_signal() {
    let signum = realtime(1);
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let listeners: Vec<Signal> = (0..2)
                    .map(|_| signal(SignalKind::from_raw(signum)).unwrap())
                    .collect();
                let tasks: Vec<_> = listeners
                    .into_iter()
                    .map(|mut listener| tourbillon::spawn(async move { listener.recv().await }))
                    .collect();
                raise(signum);
                for task in tasks {
                    assert_eq!(task.await.unwrap(), Some(()), "{name}");
                }
            })
        });
    }
}

/// Listener `b` waits in its own task; listener `a`, made before the raise and first polled
/// after it, drains the self-pipe at that first poll (a new registration counts as ready). On the current-thread runtime no reactor turn runs in between,
/// so `b`'s own readiness edge is gone by the time the reactor looks (the pipe is empty
/// again): only the broadcast that `a`'s drain sends can wake `b`.
#[test]
fn the_listener_that_drains_wakes_the_others() {
    let signum = realtime(5);
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut b = signal(SignalKind::from_raw(signum)).unwrap();
                let (started, is_started) = futures_channel::oneshot::channel();
                let waiting = tourbillon::spawn(async move {
                    let mut recv = pin!(b.recv());
                    assert!(is_pending(recv.as_mut()).await, "no signal was raised yet");
                    started.send(()).unwrap();
                    recv.await
                });
                is_started.await.unwrap();
                let mut a = signal(SignalKind::from_raw(signum)).unwrap();
                raise(signum);
                assert_eq!(a.recv().await, Some(()), "{name}");
                assert_eq!(waiting.await.unwrap(), Some(()), "{name}");
            })
        });
    }
}

#[test]
fn a_signal_raised_before_any_listener_polls_is_delivered() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut hangup = signal(SignalKind::hangup()).unwrap();
                raise(libc::SIGHUP);
                // Let the runtime turn its reactor before the listener's first poll.
                tourbillon::time::sleep(std::time::Duration::from_millis(5)).await;
                assert_eq!(hangup.recv().await, Some(()), "{name}");
            })
        });
    }
}

#[test]
fn after_a_signal_the_next_recv_waits_for_the_next_one() {
    let signum = realtime(2);
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut listener = signal(SignalKind::from_raw(signum)).unwrap();
                raise(signum);
                assert_eq!(listener.recv().await, Some(()), "{name}");
                {
                    let mut next = pin!(listener.recv());
                    assert!(
                        is_pending(next.as_mut()).await,
                        "{name}: heard one signal twice"
                    );
                }
                raise(signum);
                assert_eq!(listener.recv().await, Some(()), "{name}");
            })
        });
    }
}

#[test]
fn listeners_in_several_runtimes_all_hear_one_signal() {
    let signum = realtime(3);
    within_deadline(move || {
        // One runtime of each flavor, each on its own thread, each with a listener made
        // before the signal is raised from this thread.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let threads: Vec<_> = FLAVORS
            .into_iter()
            .map(|(name, flavor)| {
                let ready_tx = ready_tx.clone();
                std::thread::spawn(move || {
                    flavor().block_on(async move {
                        let mut listener = signal(SignalKind::from_raw(signum)).unwrap();
                        ready_tx.send(()).unwrap();
                        assert_eq!(listener.recv().await, Some(()), "{name}");
                    })
                })
            })
            .collect();
        for _ in 0..threads.len() {
            ready_rx.recv().unwrap();
        }
        raise(signum);
        for thread in threads {
            thread.join().unwrap();
        }
    });
}

#[test]
fn ctrl_c_completes_on_sigint() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let mut ctrl_c = pin!(tourbillon::signal::ctrl_c());
                assert!(is_pending(ctrl_c.as_mut()).await, "{name}");
                raise(libc::SIGINT);
                ctrl_c.await.unwrap();
            })
        });
    }
}

#[test]
fn signals_that_cannot_be_handled_are_errors() {
    within_deadline(|| {
        support::current_thread().block_on(async {
            for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1, 10_000] {
                let err = signal(SignalKind::from_raw(signum)).unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{signum}");
            }
        })
    });
}

#[test]
fn a_listener_whose_runtime_is_gone_returns_none() {
    let signum = realtime(4);
    within_deadline(move || {
        let rt = support::current_thread();
        let mut listener = rt.block_on(async { signal(SignalKind::from_raw(signum)).unwrap() });
        drop(rt);
        let other = support::current_thread();
        assert_eq!(other.block_on(listener.recv()), None);
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Signal>();
    assert_send_sync::<SignalKind>();
}
