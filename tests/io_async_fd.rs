//! `io::AsyncFd` through the public API: woken when the peer of a Unix socket pair writes,
//! `try_io` clearing readiness so the next wait really waits, several waiters woken by one
//! event, and `into_inner` deregistering. Every scenario on both runtime flavors.

mod support;

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;

use support::{current_thread, within_deadline, FLAVORS};
use tourbillon::io::{AsyncFd, AsyncFdReadyGuard, TryIoError};

fn nonblocking_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (a, b)
}

/// Polls `future` once with the task's real waker.
async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// Polls `future` once with the task's real waker; true if it is still pending.
async fn is_pending<F: Future>(future: Pin<&mut F>) -> bool {
    poll_once(future).await.is_pending()
}

/// Reads once through `fd`, waiting for readability: the loop the contract prescribes.
async fn read_some(fd: &AsyncFd<UnixStream>, buf: &mut [u8]) -> usize {
    loop {
        let mut guard = fd.readable().await.unwrap();
        if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(buf)) {
            return result.unwrap();
        }
    }
}

#[test]
fn reader_is_woken_when_the_peer_writes() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, mut b) = nonblocking_pair();
                let fd = AsyncFd::new(a).unwrap();
                let reader = tourbillon::spawn(async move {
                    let mut buf = [0; 16];
                    let n = read_some(&fd, &mut buf).await;
                    buf[..n].to_vec()
                });
                // Give the reader every chance to block first; correctness does not depend on it.
                tourbillon::task::yield_now().await;
                b.write_all(b"hello").unwrap();
                assert_eq!(reader.await.unwrap(), b"hello", "{name}");
            })
        });
    }
}

#[test]
fn would_block_clears_readiness_and_the_next_wait_waits() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, mut b) = nonblocking_pair();
                let fd = AsyncFd::new(a).unwrap();

                // A new registration counts as ready; the read finds nothing and clears it.
                let mut guard = fd.readable().await.unwrap();
                let attempt = guard.try_io(|fd| fd.get_ref().read(&mut [0; 8]));
                assert!(matches!(attempt, Err(TryIoError { .. })), "{name}");
                drop(guard);

                // Now readable() must wait: nothing was written.
                let mut next = pin!(fd.readable());
                assert!(is_pending(next.as_mut()).await, "{name}: did not wait");

                b.write_all(b"x").unwrap();
                let mut guard = next.await.unwrap();
                let mut buf = [0; 8];
                let n = guard.try_io(|fd| fd.get_ref().read(&mut buf));
                assert_eq!(n.unwrap().unwrap(), 1, "{name}");
                assert_eq!(buf[0], b'x');
            })
        });
    }
}

#[test]
fn a_guard_dropped_without_clearing_keeps_the_direction_ready() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, _b) = nonblocking_pair();
                let fd = AsyncFd::new(a).unwrap();
                fd.readable().await.unwrap().retain_ready();
                let mut again = pin!(fd.readable());
                let Poll::Ready(guard) = poll_once(again.as_mut()).await else {
                    panic!("{name}: a retained readiness must not wait");
                };

                // clear_ready after a real WouldBlock: the next wait waits.
                let mut guard = guard.unwrap();
                let err = fd.get_ref().read(&mut [0; 8]).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::WouldBlock);
                guard.clear_ready();
                let mut next = pin!(fd.readable());
                assert!(is_pending(next.as_mut()).await, "{name}");
            })
        });
    }
}

#[test]
fn every_waiting_task_is_woken_by_one_event() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, mut b) = nonblocking_pair();
                let fd = Arc::new(AsyncFd::new(a).unwrap());
                fd.readable()
                    .await
                    .unwrap()
                    .try_io(|fd| fd.get_ref().read(&mut [0; 8]))
                    .unwrap_err();

                let waiters: Vec<_> = (0..3)
                    .map(|_| {
                        let fd = fd.clone();
                        tourbillon::spawn(async move {
                            fd.readable().await.unwrap().retain_ready();
                        })
                    })
                    .collect();
                tourbillon::task::yield_now().await;
                b.write_all(b"x").unwrap();
                for waiter in waiters {
                    waiter.await.unwrap();
                }
                let mut buf = [0; 8];
                assert_eq!(read_some(&fd, &mut buf).await, 1, "{name}");
            })
        });
    }
}

#[test]
fn writable_then_write_reaches_the_peer() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, mut b) = nonblocking_pair();
                let fd = AsyncFd::new(a).unwrap();
                let mut guard = fd.writable().await.unwrap();
                let written = guard.try_io(|fd| fd.get_ref().write(b"pong"));
                assert_eq!(written.unwrap().unwrap(), 4, "{name}");
                let mut buf = [0; 4];
                b.read_exact(&mut buf).unwrap();
                assert_eq!(&buf, b"pong");
            })
        });
    }
}

#[test]
fn into_inner_deregisters_so_the_descriptor_can_register_again() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, mut b) = nonblocking_pair();
                let fd = AsyncFd::new(a).unwrap();
                let a = fd.into_inner();
                // Still open; registering again fails with EEXIST unless it was deregistered.
                let fd = AsyncFd::new(a).expect(name);
                b.write_all(b"y").unwrap();
                assert_eq!(read_some(&fd, &mut [0; 4]).await, 1, "{name}");
            })
        });
    }
}

#[test]
fn outliving_the_runtime_fails_instead_of_hanging() {
    within_deadline(|| {
        let rt = current_thread();
        let (a, _b) = nonblocking_pair();
        let fd = rt.block_on(async { AsyncFd::new(a).unwrap() });
        drop(rt);
        let other = current_thread();
        let result = other.block_on(async { fd.readable().await.map(drop) });
        assert!(result.is_err());
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AsyncFd<UnixStream>>();
    assert_send_sync::<AsyncFdReadyGuard<'static, UnixStream>>();
    assert_send_sync::<TryIoError>();
}
