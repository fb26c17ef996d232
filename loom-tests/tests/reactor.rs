//! Loom models of the reactor: the readiness word, the waiters and the driver's park and
//! registration protocols, run as the library's own code (`io::Driver`, `io::Handle`,
//! `io::Registered`, `ScheduledIo`) on the scripted fake event source of `src/io/fake.rs`.
//! Only the kernel is fake; see that file for the poller contract it keeps.
//!
//! Every waiting task here really waits: its waker signals the model thread, which blocks until
//! woken. A lost wakeup therefore leaves every thread blocked, and loom reports a deadlock.
//!
//! | scenario | threads | what it proves |
//! |---|---|---|
//! | `would_block_clear_vs_event` | task reads (its first attempt gets `WouldBlock`) ‖ peer writes + driver turn; then again with the byte arriving right after the `WouldBlock` syscall and the driver blocked in `turn(None)` | the tick check (`scheduled_io` rule 1): a `WouldBlock` clears readiness only if no event came since the attempt began, so a newer event is never lost |
//! | `read_vs_peer_vs_blocking_turn` | task reads ‖ peer writes ‖ driver blocks in `turn(None)` | the whole path with three parties: the fake poller's blocking wait, the dispatch, the tick check and the waker handshake together deliver the byte |
//! | `short_read_clear_vs_event` | task's stream read comes up short and clears readiness (`registration` rule 3), the next byte arriving right after its syscall ‖ driver blocked in `turn(None)`; run with and without a `yield_now` into the window | the drained-clear is tick-checked against the readiness the read started from, so the second byte's event survives |
//! | `waker_registration_vs_event` | task re-polls a drained socket ‖ peer writes + driver turn | `scheduled_io` rule 3: the waker is registered and the word re-read under the waiters lock, and the driver sets the word before taking that lock: no lost wakeup |
//! | `shared_waiters_vs_events` | two `&self` readers on one socket ‖ two writes, two turns | every shared waiter is woken; the reader that loses the byte to the other waits again and gets the next one |
//! | `deregister_vs_in_flight_event` | driver turn with an event collected for socket A ‖ drop A, register B, B waits | driver rule 1: only the driver frees a slot, so an event collected before A's deregistration never reaches B (no stray wake, no wrong readiness); the next turn frees A's slot; every `ScheduledIo` is freed (loom's `Arc` leak check) |
//! | `unpark_vs_blocking_turn` | driver blocks in `turn(None)` ‖ another thread publishes work, then `unpark`s | driver rules 4-6: the turn returns (no lost unpark) and sees the work (the park word's Release/Acquire, checked by a loom `UnsafeCell`) |
//! | `shutdown_vs_registration_and_wait` | task registers a socket and waits on it ‖ `shutdown` | driver rule 3: a registration racing with shutdown is refused or marked, and its waiting task is woken to see the error |
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release
//! --target-dir target-loom --test reactor`.
#![cfg(loom)]

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use loom_tests::model;
use tourbillon::loom_api::{reactor, Reactor, ReactorHandle};

// === a waker that wakes a model thread ===

/// Counts its wakes and wakes the thread waiting in [`ThreadWaker::wait`]: the task "sleeps".
///
/// A loom `Mutex` + `Condvar`, not `thread::park`/`unpark`: loom's `unpark` also makes a
/// thread runnable while it is blocked in a lock or a `join` (where std's would not), which
/// breaks loom's own bookkeeping when a late wake lands there. A lost wake still leaves the
/// waiter blocked for good, which loom reports as a deadlock.
struct ThreadWaker {
    woken: Mutex<bool>,
    changed: Condvar,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        // SeqCst: a test's own counter, read after a join; the strongest ordering keeps the
        // model's bookkeeping from adding or hiding edges of its own.
        self.wakes.fetch_add(1, SeqCst);
        *self.woken.lock().unwrap() = true;
        self.changed.notify_one();
    }
}

fn thread_waker() -> (StdArc<ThreadWaker>, Waker) {
    let waker = StdArc::new(ThreadWaker {
        woken: Mutex::new(false),
        changed: Condvar::new(),
        wakes: AtomicUsize::new(0),
    });
    (waker.clone(), Waker::from(waker))
}

impl ThreadWaker {
    /// Blocks until woken (at once if a wake came since the last wait).
    fn wait(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.changed.wait(woken).unwrap();
        }
        *woken = false;
    }

    fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }
}

/// Polls `poll` until it is ready, sleeping on `waker` in between: a one-task executor.
fn block_on<T>(
    waker: &(StdArc<ThreadWaker>, Waker),
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
) -> T {
    let mut cx = Context::from_waker(&waker.1);
    loop {
        if let Poll::Ready(value) = poll(&mut cx) {
            return value;
        }
        waker.0.wait();
    }
}

/// The driver thread of most models: the peer writes a byte, then one non-blocking turn
/// collects and dispatches its event.
fn spawn_write_and_turn(
    mut reactor: Reactor,
    peer: tourbillon::loom_api::Peer,
) -> thread::JoinHandle<Reactor> {
    thread::spawn(move || {
        peer.write();
        reactor.turn(Some(Duration::ZERO));
        reactor
    })
}

#[test]
fn would_block_clear_vs_event() {
    model(None, || {
        let (reactor, handle) = reactor();
        // A new registration counts as ready, so the task's first read tries the syscall,
        // gets `WouldBlock` and clears readiness with the tick it saw: the race under test.
        let (socket, peer) = handle.socket().unwrap();
        let driver = spawn_write_and_turn(reactor, peer);

        let waker = thread_waker();
        let n = block_on(&waker, |cx| socket.poll_read(cx)).unwrap();
        assert_eq!(n, 1);

        drop(driver.join().unwrap());
    });
    // The same race with the byte arriving right after the `WouldBlock` syscall and the driver
    // sent to dispatch it before the clear (a window loom's search does not enter by itself;
    // see `short_read_clear_vs_event`).
    model(None, || {
        let (mut reactor, handle) = reactor();
        let (socket, peer) = handle.socket().unwrap();
        let driver = thread::spawn(move || {
            reactor.turn(None);
            reactor
        });

        let waker = thread_waker();
        let mut peer = Some(peer);
        let n = block_on(&waker, |cx| {
            socket.poll_read_then(cx, || {
                if let Some(peer) = peer.take() {
                    peer.write();
                    thread::yield_now();
                }
            })
        });
        assert_eq!(n.unwrap(), 1);

        drop(driver.join().unwrap());
    });
}

#[test]
fn read_vs_peer_vs_blocking_turn() {
    model(None, || {
        let (mut reactor, handle) = reactor();
        let (socket, peer) = handle.socket().unwrap();

        // Three parties, as in a runtime: the peer's data arrives on its own, the driver thread
        // blocks in the poller until it does, the task reads (its first attempt, on the
        // registration's assumed readiness, gets `WouldBlock`).
        let peer = thread::spawn(move || peer.write());
        let driver = thread::spawn(move || {
            reactor.turn(None);
            reactor
        });

        let waker = thread_waker();
        assert_eq!(block_on(&waker, |cx| socket.poll_read(cx)).unwrap(), 1);

        peer.join().unwrap();
        drop(driver.join().unwrap());
    });
}

#[test]
fn short_read_clear_vs_event() {
    // Twice: loom's search (DPOR under a preemption bound) does not by itself switch to the
    // driver in the few steps between the syscall and the clear, because the driver's next
    // operation there is not yet one that conflicts; a `yield_now` right after the byte
    // arrives sends it there. Without the yield, the other order (clear, then dispatch).
    for yield_after_write in [false, true] {
        model(None, move || short_read_clear(yield_after_write));
    }
}

fn short_read_clear(yield_after_write: bool) {
    let (mut reactor, handle) = reactor();
    let (socket, peer) = handle.socket().unwrap();
    // One byte waits, its event already dispatched.
    peer.write();
    reactor.turn(Some(Duration::ZERO));

    // The driver blocks until the next event, then dispatches it.
    let driver = thread::spawn(move || {
        reactor.turn(None);
        reactor
    });

    // A two-byte stream read takes the byte; the second byte arrives right after the
    // syscall. The short read proves the socket drained *at the syscall* and clears readiness
    // (`registration` rule 3), racing with the second byte's event: the clear must not win.
    let waker = thread_waker();
    let mut peer = Some(peer);
    let mut total = 0;
    while total < 2 {
        let read = block_on(&waker, |cx| {
            socket.poll_read_stream(cx, 2, || {
                if let Some(peer) = peer.take() {
                    peer.write();
                    if yield_after_write {
                        thread::yield_now();
                    }
                }
            })
        });
        total += read.unwrap();
    }
    assert_eq!(total, 2);

    drop(driver.join().unwrap());
}

#[test]
fn waker_registration_vs_event() {
    model(None, || {
        let (reactor, handle) = reactor();
        let (socket, peer) = handle.socket().unwrap();
        // Drain it first: the read below finds the direction known drained and goes straight
        // to registering its waker (with a noop waker in the slot, to be replaced).
        let mut noop = Context::from_waker(Waker::noop());
        assert!(socket.poll_read(&mut noop).is_pending());

        let driver = spawn_write_and_turn(reactor, peer);
        let waker = thread_waker();
        assert_eq!(block_on(&waker, |cx| socket.poll_read(cx)).unwrap(), 1);

        drop(driver.join().unwrap());
    });
}

#[test]
fn shared_waiters_vs_events() {
    model(None, || {
        let (mut reactor, handle) = reactor();
        let (socket, peer) = handle.socket().unwrap();
        let mut first = pin!(socket.read_shared());
        let mut second = pin!(socket.read_shared());
        // Both register: the first drains the socket (`WouldBlock`), both then wait.
        let mut noop = Context::from_waker(Waker::noop());
        assert!(first.as_mut().poll(&mut noop).is_pending());
        assert!(second.as_mut().poll(&mut noop).is_pending());

        let driver = thread::spawn(move || {
            for _ in 0..2 {
                peer.write();
                reactor.turn(Some(Duration::ZERO));
            }
            reactor
        });

        let waker = thread_waker();
        let (mut a, mut b) = (None, None);
        block_on(&waker, |cx| {
            if a.is_none() {
                if let Poll::Ready(n) = first.as_mut().poll(cx) {
                    a = Some(n.unwrap());
                }
            }
            if b.is_none() {
                if let Poll::Ready(n) = second.as_mut().poll(cx) {
                    b = Some(n.unwrap());
                }
            }
            if a.is_some() && b.is_some() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        assert_eq!((a, b), (Some(1), Some(1)));
        drop(driver.join().unwrap());
    });
}

#[test]
fn deregister_vs_in_flight_event() {
    model(None, || {
        let (mut reactor, handle) = reactor();
        let (a, peer_a) = handle.socket().unwrap();
        // An event for A is queued in the kernel; the driver's turn collects it and then
        // dispatches it, with A's deregistration (and B's registration) possibly in between.
        peer_a.write();

        let driver = thread::spawn(move || {
            reactor.turn(Some(Duration::ZERO));
            reactor
        });

        drop(a);
        let (b, _peer_b) = handle.socket().unwrap();
        let (b_waker, waker) = thread_waker();
        let mut cx = Context::from_waker(&waker);
        // B's first read gets `WouldBlock` (nothing was written to B) and waits.
        assert!(b.poll_read(&mut cx).is_pending());

        let mut reactor = driver.join().unwrap();
        assert_eq!(b_waker.wakes(), 0, "an event for A reached B");
        // A's slot is still held (only the driver frees it) unless the turn began after the
        // deregistration; the next turn frees it, and B stays undisturbed.
        assert!((1..=2).contains(&handle.registrations()));
        reactor.turn(Some(Duration::ZERO));
        assert_eq!(
            handle.registrations(),
            1,
            "the driver did not free A's slot"
        );
        assert_eq!(b_waker.wakes(), 0, "an event for A reached B");
        assert!(
            b.poll_read(&mut cx).is_pending(),
            "B became ready with no event"
        );
        drop(b);
        drop(reactor);
    });
}

#[test]
fn unpark_vs_blocking_turn() {
    model(None, || {
        let (mut reactor, handle) = reactor();
        // Work the unparker publishes before unparking (a task pushed to a queue, say): plain
        // memory, so loom reports a race unless the park word orders it.
        let work = Arc::new(UnsafeCell::new(0u32));

        let unparker = {
            let (handle, work) = (handle.clone(), work.clone());
            thread::spawn(move || {
                // SAFETY: the driver thread reads `work` only after its turn returns, which is
                // ordered after this write by the park word (what the model checks).
                work.with_mut(|w| unsafe { *w = 1 });
                handle.unpark();
            })
        };

        // Blocks until the unpark (a lost one is a loom deadlock), or polls without blocking
        // if the unpark came first.
        reactor.turn(None);
        // SAFETY: see above; loom checks the causality of this read.
        assert_eq!(
            work.with(|w| unsafe { *w }),
            1,
            "turn returned without the unpark"
        );

        unparker.join().unwrap();
        drop(reactor);
        drop(handle);
    });
}

#[test]
fn shutdown_vs_registration_and_wait() {
    model(None, || {
        let (reactor, handle) = reactor();
        let shutter = {
            let handle = handle.clone();
            thread::spawn(move || handle.shutdown())
        };

        // Either refused (the shutdown came first) or registered and then marked: its read
        // must end in the error, never wait forever.
        match handle.socket() {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::Other),
            Ok((socket, _peer)) => {
                let waker = thread_waker();
                let e = block_on(&waker, |cx| socket.poll_read(cx)).unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::Other);
            }
        }

        shutter.join().unwrap();
        drop(reactor);
        drop::<ReactorHandle>(handle);
    });
}
