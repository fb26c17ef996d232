//! Reactor unit tests: the protocols through a scripted fake poller, then the mio poller with
//! real sockets.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::driver::{Driver, Handle};
use super::poller::{Poller, Registrar, DEFAULT_MAX_EVENTS_PER_TICK};
use super::registration::Registered;
use super::scheduled_io::{Direction, Ready, ScheduledIo};

// === a counting waker ===

struct CountingWaker(AtomicUsize);

impl CountingWaker {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

// === a scripted fake event source ===

type Hook = Box<dyn FnOnce() + Send>;

/// What the fake reports and records; shared by its two halves and the test.
#[derive(Default)]
struct Script {
    /// Events the next poll reports.
    events: Mutex<VecDeque<(usize, Ready)>>,
    /// Runs inside the next poll, as another thread would while the driver is blocked.
    during_poll: Mutex<Option<Hook>>,
    /// The timeout of every poll, in order.
    timeouts: Mutex<Vec<Option<Duration>>>,
    /// `Registrar::wake` calls (eventfd writes, for mio).
    wakes: AtomicUsize,
}

struct FakePoller(Arc<Script>);
struct FakeRegistrar(Arc<Script>);

impl Poller for FakePoller {
    type Registrar = FakeRegistrar;

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut on_event: impl FnMut(usize, Ready),
    ) -> io::Result<()> {
        self.0.timeouts.lock().unwrap().push(timeout);
        let hook = self.0.during_poll.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        let events: Vec<_> = self.0.events.lock().unwrap().drain(..).collect();
        for (token, ready) in events {
            on_event(token, ready);
        }
        Ok(())
    }
}

impl Registrar for FakeRegistrar {
    fn register(&self, _: &mut impl mio::event::Source, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn deregister(&self, _: &mut impl mio::event::Source, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn wake(&self) -> io::Result<()> {
        self.0.wakes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A source the fake registrar accepts and never touches.
struct NoSource;

impl mio::event::Source for NoSource {
    fn register(&mut self, _: &mio::Registry, _: mio::Token, _: mio::Interest) -> io::Result<()> {
        unreachable!("the fake registrar never registers with mio")
    }

    fn reregister(&mut self, _: &mio::Registry, _: mio::Token, _: mio::Interest) -> io::Result<()> {
        unreachable!("the fake registrar never registers with mio")
    }

    fn deregister(&mut self, _: &mio::Registry) -> io::Result<()> {
        unreachable!("the fake registrar never registers with mio")
    }
}

fn fake_driver() -> (Driver<FakePoller>, Handle<FakeRegistrar>, Arc<Script>) {
    let script = Arc::new(Script::default());
    let (driver, handle) =
        Driver::with_poller(FakePoller(script.clone()), FakeRegistrar(script.clone()));
    (driver, handle, script)
}

fn is_ready(io: &ScheduledIo, direction: Direction) -> bool {
    let (_, waker) = counting_waker();
    io.poll_ready(&mut Context::from_waker(&waker), direction)
        .is_ready()
}

const LONG: Option<Duration> = Some(Duration::from_secs(60));

#[test]
fn unpark_while_nobody_is_parked_makes_no_syscall() {
    let (mut driver, handle, script) = fake_driver();
    handle.unpark();
    handle.unpark();
    assert_eq!(script.wakes.load(Ordering::SeqCst), 0);

    driver.turn(LONG);
    driver.turn(LONG);
    let timeouts = script.timeouts.lock().unwrap().clone();
    assert_eq!(
        timeouts,
        [Some(Duration::ZERO), LONG],
        "the first turn consumes the notification and does not block; the second blocks"
    );
}

#[test]
fn unpark_during_a_blocking_turn_wakes_the_poller_once() {
    let (mut driver, handle, script) = fake_driver();
    let unparker = handle.clone();
    *script.during_poll.lock().unwrap() = Some(Box::new(move || {
        unparker.unpark();
        unparker.unpark();
    }));
    driver.turn(None);
    assert_eq!(script.wakes.load(Ordering::SeqCst), 1);

    handle.unpark(); // the turn is over: no syscall
    assert_eq!(script.wakes.load(Ordering::SeqCst), 1);
}

#[test]
fn nonblocking_turn_keeps_a_pending_notification() {
    let (mut driver, handle, script) = fake_driver();
    handle.unpark();
    driver.turn(Some(Duration::ZERO));
    driver.turn(LONG);
    let timeouts = script.timeouts.lock().unwrap().clone();
    assert_eq!(timeouts, [Some(Duration::ZERO), Some(Duration::ZERO)]);
    assert_eq!(script.wakes.load(Ordering::SeqCst), 0);
}

#[test]
fn an_event_wakes_the_waiter_of_its_direction() {
    let (mut driver, handle, script) = fake_driver();
    let (token, io) = handle.register(&mut NoSource).unwrap();
    let (reader, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());

    script
        .events
        .lock()
        .unwrap()
        .push_back((token, Ready::WRITABLE));
    driver.turn(Some(Duration::ZERO));
    assert_eq!(reader.count(), 0, "a write event must not wake a reader");

    script
        .events
        .lock()
        .unwrap()
        .push_back((token, Ready::READABLE));
    driver.turn(Some(Duration::ZERO));
    assert_eq!(reader.count(), 1);
    assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
}

#[test]
fn only_the_driver_frees_a_slot_and_only_at_its_next_turn() {
    let (mut driver, handle, script) = fake_driver();
    let (first, _) = handle.register(&mut NoSource).unwrap();
    handle.deregister(&mut NoSource, first).unwrap();
    let (second, second_io) = handle.register(&mut NoSource).unwrap();
    assert_ne!(
        first, second,
        "a deregistered slot is not reused before a turn"
    );

    // While the driver is blocked, `second` is dropped, but its event was already collected.
    let dropper = handle.clone();
    let in_flight = script.clone();
    *script.during_poll.lock().unwrap() = Some(Box::new(move || {
        dropper.deregister(&mut NoSource, second).unwrap();
        in_flight
            .events
            .lock()
            .unwrap()
            .push_back((second, Ready::READABLE));
    }));
    driver.turn(Some(Duration::ZERO));
    assert!(
        is_ready(&second_io, Direction::Read),
        "the in-flight event reaches the old registration"
    );

    let (third, _) = handle.register(&mut NoSource).unwrap();
    assert_eq!(third, first, "freed at the start of the turn");
    let (fourth, _) = handle.register(&mut NoSource).unwrap();
    assert_ne!(
        fourth, second,
        "not freed during the turn that dispatched its event"
    );
    driver.turn(Some(Duration::ZERO));
    let (fifth, fifth_io) = handle.register(&mut NoSource).unwrap();
    assert_eq!(fifth, second);
    assert!(!is_ready(&fifth_io, Direction::Read));
}

#[test]
fn shutdown_wakes_waiters_and_refuses_new_registrations() {
    let (_driver, handle, _script) = fake_driver();
    let (_, io) = handle.register(&mut NoSource).unwrap();
    let (writer, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(io.poll_ready(&mut cx, Direction::Write).is_pending());

    handle.shutdown();
    assert_eq!(writer.count(), 1);
    match io.poll_ready(&mut cx, Direction::Write) {
        Poll::Ready(event) => assert!(event.is_shutdown()),
        Poll::Pending => panic!("a shut down reactor must not leave a task waiting"),
    }
    let refused = handle.register(&mut NoSource).unwrap_err();
    assert!(refused.to_string().contains("shut down"), "{refused}");
}

// === the mio poller, with real sockets ===

fn read_into(io: &mio::net::UnixStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut io = io;
    io.read(buf)
}

#[test]
fn mio_readable_event_wakes_the_reader_and_the_read_succeeds() {
    let (mut driver, handle) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
    let (ours, theirs) = mio::net::UnixStream::pair().unwrap();
    let ours = Registered::with_handle(ours, handle).unwrap();
    let (reader, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0; 16];

    assert!(ours
        .poll_io(&mut cx, Direction::Read, |io| read_into(io, &mut buf))
        .is_pending());
    (&theirs).write_all(b"ping").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reader.count() == 0 && Instant::now() < deadline {
        driver.turn(Some(Duration::from_secs(1)));
    }
    assert_eq!(reader.count(), 1);
    match ours.poll_io(&mut cx, Direction::Read, |io| read_into(io, &mut buf)) {
        Poll::Ready(Ok(4)) => assert_eq!(&buf[..4], b"ping"),
        other => panic!("expected 4 bytes, got {other:?}"),
    }
}

#[test]
fn mio_a_poll_takes_at_most_max_events_and_the_next_the_rest() {
    use super::poller::MioPoller;
    const MAX_EVENTS: usize = 8;
    let (mut poller, registrar) = MioPoller::new(MAX_EVENTS).unwrap();
    let sockets = 2 * MAX_EVENTS + 5;
    let mut pairs = Vec::new();
    for token in 0..sockets {
        let (mut ours, theirs) = mio::net::UnixStream::pair().unwrap();
        registrar.register(&mut ours, token).unwrap();
        (&theirs).write_all(b"x").unwrap();
        pairs.push((ours, theirs));
    }
    let mut seen = vec![0; sockets];
    let mut per_poll = Vec::new();
    loop {
        let mut events = 0;
        poller
            .poll(Some(Duration::ZERO), |token, _| {
                seen[token] += 1;
                events += 1;
            })
            .unwrap();
        if events == 0 {
            break;
        }
        per_poll.push(events);
    }
    assert_eq!(per_poll, [MAX_EVENTS, MAX_EVENTS, 5]);
    assert!(
        seen.iter().all(|&n| n == 1),
        "an event lost or repeated: {seen:?}"
    );
}

#[test]
fn mio_unpark_from_another_thread_ends_a_blocking_turn() {
    let (mut driver, handle) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
    let start = Instant::now();
    let unparker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle.unpark();
    });
    driver.turn(LONG);
    assert!(start.elapsed() < Duration::from_secs(30), "unpark was lost");
    unparker.join().unwrap();
}

#[test]
fn mio_dropping_a_registration_closes_the_socket() {
    let (_driver, handle) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
    let (ours, theirs) = mio::net::UnixStream::pair().unwrap();
    drop(Registered::with_handle(ours, handle).unwrap());
    let mut buf = [0; 1];
    assert_eq!((&theirs).read(&mut buf).unwrap(), 0, "the peer sees EOF");
}

#[test]
fn mio_operations_fail_after_shutdown() {
    let (_driver, handle) = Driver::new(DEFAULT_MAX_EVENTS_PER_TICK).unwrap();
    let (ours, _theirs) = mio::net::UnixStream::pair().unwrap();
    let ours = Registered::with_handle(ours, handle.clone()).unwrap();
    let (reader, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0; 16];
    assert!(ours
        .poll_io(&mut cx, Direction::Read, |io| read_into(io, &mut buf))
        .is_pending());

    handle.shutdown();
    assert_eq!(reader.count(), 1);
    match ours.poll_io(&mut cx, Direction::Read, |io| read_into(io, &mut buf)) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down"), "{e}"),
        other => panic!("expected the runtime-gone error, got {other:?}"),
    }
}

#[test]
fn driver_moves_between_threads_and_handle_is_shared() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<Driver>();
    assert_send_sync::<Handle>();
}
