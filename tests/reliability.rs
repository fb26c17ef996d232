//! Fault tests: the runtime and the `http-server` example under the conditions production
//! brings, each on the current-thread runtime and on 1 and 2 workers, each failing if the
//! behaviour regresses (RELIABILITY.md has the numbers they measure).
//!
//! | test | load and fault | what must hold |
//! |------|----------------|----------------|
//! | `descriptors_exhausted_...` | 50 clients queued, the descriptor limit lowered so only 3 can be accepted, for 2 s | the server neither spins (accept-loop polls and CPU ticks bounded) nor dies, and answers all 50 once the limit is back |
//! | `peers_that_reset_half_close_or_vanish_...` | 100 each: reset mid-request, half-close after a request, half-close at once, vanish mid-request, leave without reading the answer | every connection task ends and every descriptor is closed |
//! | `a_task_that_panics_...` | a panicking task, a future whose `Drop` panics when aborted and at shutdown | the worker survives, every future is dropped, the process does not abort |
//! | `dropping_the_runtime_while_10_000_tasks_...` | 10,000 tasks blocked in socket reads, then the runtime dropped | every future dropped, the descriptor count back where it was |
//!
//! The tests count the process's descriptors and lower its descriptor limit, so they run one at
//! a time (`serial`), each under the watchdog.
use tourbillon_support::testing as support;

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use futures_channel::oneshot;
use support::{
    nofile_limit, open_fds, process_cpu_ticks, reset_on_drop, set_nofile_limit, within_deadline,
    MAX_TICKS_PER_IDLE_SECOND,
};
use tourbillon::{Runtime, RuntimeMetrics};
use tourbillon_support::args::{Args, Flavor};
use tourbillon_support::servers::http_server as server;
use tourbillon_support::tourbillon_runtime;

const FLAVORS: [Flavor; 3] = [
    Flavor::CurrentThread,
    Flavor::MultiThread { workers: 1 },
    Flavor::MultiThread { workers: 2 },
];
const GET_JSON_CLOSE: &[u8] = b"GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
const JSON_BODY: &[u8] = br#"{"message":"Hello, World!"}"#;
const PARTIAL_REQUEST: &[u8] = b"GET /json HTTP/1.1\r\nHost: loc";

/// One test at a time: each counts or limits the descriptors of the whole process.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn runtime(flavor: Flavor) -> Runtime {
    tourbillon_runtime::build(flavor, None).unwrap()
}

fn args(flags: &[&str]) -> Args {
    Args::parse(flags.iter().map(|s| s.to_string())).unwrap()
}

/// What a scenario gets: the server's address and runtime metrics, the number of times the
/// accept loop's task has been polled, and the switch that starts the server accepting.
struct Server {
    addr: SocketAddr,
    metrics: RuntimeMetrics,
    accept_polls: Arc<AtomicUsize>,
    start: Option<oneshot::Sender<()>>,
}

/// A future that counts its polls.
struct CountPolls<F> {
    future: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.future.as_mut().poll(cx)
    }
}

impl Server {
    /// Starts the accept loop (before this, connections wait in the backlog).
    fn start(&mut self) {
        if let Some(start) = self.start.take() {
            let _ = start.send(());
        }
    }
}

/// Serves the http-server example with the command line `flags` on `rt` while `scenario` runs
/// on a thread of its own; the accept loop starts when the scenario calls [`Server::start`]
/// (or returns), and is aborted after the scenario returns.
fn with_server<R: Send + 'static>(
    rt: &Runtime,
    flags: &[&str],
    scenario: impl FnOnce(&mut Server) -> R + Send + 'static,
) -> R {
    let args = args(flags);
    let metrics = rt.metrics();
    let accept_polls = Arc::new(AtomicUsize::new(0));
    let result = rt.block_on(async move {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (start, started) = oneshot::channel();
        let (done, finished) = oneshot::channel();
        let polls = accept_polls.clone();
        thread::spawn(move || {
            let mut server = Server {
                addr,
                metrics,
                accept_polls: polls,
                start: Some(start),
            };
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&mut server)));
            let _ = done.send(result);
        });
        let _ = started.await; // sent, or dropped by a scenario that returned or panicked
        let listener = tourbillon::net::TcpListener::from_std(listener).unwrap();
        let accept_loop = tourbillon::spawn(CountPolls {
            future: Box::pin(server::serve_until(listener, args, std::future::pending())),
            polls: accept_polls,
        });
        let result = finished.await.unwrap();
        accept_loop.abort();
        let _ = accept_loop.await;
        result
    });
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A blocking client with a generous read timeout: a broken server fails the test, not hangs it.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Sends a `Connection: close` request for /json on `stream` and checks the whole answer.
fn get_json(mut stream: TcpStream) {
    stream.write_all(GET_JSON_CLOSE).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    assert!(
        response.starts_with(b"HTTP/1.1 200 OK\r\n") && response.ends_with(JSON_BODY),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

/// Polls `done` every 50 ms for up to 20 s; true once it holds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// The descriptor count once it has stopped moving: a runtime an earlier test dropped may still
/// be closing its last descriptors on another thread.
fn settled_fds() -> usize {
    let mut last = open_fds();
    let mut steady = 0;
    while steady < 3 {
        std::thread::sleep(Duration::from_millis(20));
        let now = open_fds();
        steady = if now == last { steady + 1 } else { 0 };
        last = now;
    }
    last
}

// === descriptors exhausted ===

/// 50 clients wait in the backlog; the descriptor limit leaves room for 3 more descriptors;
/// the server starts and runs out. For 2 s it must back off: its accept loop is polled a few
/// times per back-off sleep (1 ms doubling to 1 s: about a dozen sleeps), where a loop that
/// retries at once is polled once per coop budget, thousands of times; and the process's CPU
/// stays under the idle bound. Once the limit is back it must answer every client.
fn descriptors_exhausted(flavor: Flavor) {
    const CLIENTS: usize = 50;
    const EXHAUSTED: Duration = Duration::from_secs(2);
    const MAX_ACCEPT_POLLS: usize = 100;
    let rt = runtime(flavor);
    let (ticks, polls) = with_server(&rt, &[], |server| {
        let clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(server.addr)).collect();
        let original = nofile_limit();
        let before = process_cpu_ticks(); // reads a file: before the limit is lowered
        let lowest_free = std::fs::File::open("/dev/null").unwrap().as_raw_fd();
        set_nofile_limit(libc::rlimit {
            rlim_cur: lowest_free as libc::rlim_t + 3,
            rlim_max: original.rlim_max,
        });
        server.start();
        thread::sleep(EXHAUSTED);
        let polls = server.accept_polls.load(SeqCst);
        set_nofile_limit(original);
        let ticks = process_cpu_ticks() - before;
        for client in clients {
            get_json(client);
        }
        get_json(connect(server.addr));
        (ticks, polls)
    });
    println!(
        "{flavor:?}: out of descriptors for {EXHAUSTED:?}: {ticks} CPU ticks, accept loop polled \
         {polls} times; then all {CLIENTS} queued clients and a new one answered"
    );
    assert!(
        polls < MAX_ACCEPT_POLLS,
        "{flavor:?}: the accept loop was polled {polls} times in {EXHAUSTED:?} out of descriptors"
    );
    let bound = MAX_TICKS_PER_IDLE_SECOND * EXHAUSTED.as_secs();
    assert!(
        ticks < bound,
        "{flavor:?}: {ticks} CPU ticks in {EXHAUSTED:?} out of descriptors (bound {bound})"
    );
}

#[test]
fn descriptors_exhausted_the_server_backs_off_and_serves_again() {
    within_deadline(|| {
        let _serial = serial();
        for flavor in FLAVORS {
            descriptors_exhausted(flavor);
        }
    });
}

// === peers that misbehave ===

/// 100 peers of each kind; then every connection task must end (only the accept loop is left)
/// and the process's descriptor count must be back where it was.
fn misbehaving_peers(flavor: Flavor) {
    const PEERS: usize = 100;
    let rt = runtime(flavor);
    let (alive, fds, expected_fds) = with_server(&rt, &["--header-timeout", "1"], move |server| {
        server.start();
        get_json(connect(server.addr)); // the server is up
        let metrics = server.metrics.clone();
        assert!(eventually(|| metrics.num_alive_tasks() == 1), "idle");
        let fds_before = settled_fds();

        // Reset in the middle of a request.
        for _ in 0..PEERS {
            let mut peer = connect(server.addr);
            peer.write_all(PARTIAL_REQUEST).unwrap();
            reset_on_drop(&peer);
        }
        // Half-close after a whole request: the answer still comes, then the close.
        for _ in 0..PEERS {
            let mut peer = connect(server.addr);
            peer.write_all(GET_JSON_CLOSE).unwrap();
            peer.shutdown(Shutdown::Write).unwrap();
            let mut response = Vec::new();
            peer.read_to_end(&mut response).unwrap();
            assert!(response.ends_with(JSON_BODY));
        }
        // Half-close before saying anything: closed without an answer.
        for _ in 0..PEERS {
            let mut peer = connect(server.addr);
            peer.shutdown(Shutdown::Write).unwrap();
            let mut response = Vec::new();
            peer.read_to_end(&mut response).unwrap();
            assert!(response.is_empty());
        }
        // Leave right after asking, without reading the answer.
        for _ in 0..PEERS {
            let mut peer = connect(server.addr);
            peer.write_all(GET_JSON_CLOSE).unwrap();
            reset_on_drop(&peer);
        }
        // Vanish in the middle of a request: never another byte, never a FIN. The header
        // timeout (1 s) must close them all (each read ends at the server's close, or fails
        // at the 20 s read timeout).
        let vanished: Vec<TcpStream> = (0..PEERS)
            .map(|_| {
                let mut peer = connect(server.addr);
                peer.write_all(PARTIAL_REQUEST).unwrap();
                peer
            })
            .collect();
        let vanished_at = Instant::now();
        for mut peer in vanished {
            let mut rest = Vec::new();
            match peer.read_to_end(&mut rest) {
                Ok(_) => assert!(rest.is_empty()),
                Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
            }
        }

        let closed_after = vanished_at.elapsed();
        eventually(|| metrics.num_alive_tasks() == 1 && open_fds() <= fds_before);
        println!(
            "{flavor:?}: {} misbehaving peers; the {PEERS} vanished ones closed within \
             {closed_after:?} of the last one's bytes (header timeout 1 s); afterwards {} task(s) \
             alive (the accept loop), {} descriptors open ({fds_before} before)",
            5 * PEERS,
            metrics.num_alive_tasks(),
            open_fds()
        );
        (metrics.num_alive_tasks(), open_fds(), fds_before)
    });
    assert_eq!(alive, 1, "{flavor:?}: connection tasks leaked");
    assert!(
        fds <= expected_fds,
        "{flavor:?}: descriptors leaked ({expected_fds} before, {fds} after)"
    );
}

#[test]
fn peers_that_reset_half_close_or_vanish_leak_no_task_or_descriptor() {
    within_deadline(|| {
        let _serial = serial();
        for flavor in FLAVORS {
            misbehaving_peers(flavor);
        }
    });
}

// === panics ===

/// Counts its drops, then panics.
struct PanicOnDrop(Arc<AtomicUsize>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        panic!("deliberate panic in Drop");
    }
}

/// Pends forever holding a [`PanicOnDrop`]; counts its first poll in `polled`.
fn pending_panicking_drop(
    drops: &Arc<AtomicUsize>,
    polled: &Arc<AtomicUsize>,
) -> impl Future<Output = ()> + Send + 'static {
    let guard = PanicOnDrop(drops.clone());
    let polled = polled.clone();
    async move {
        let _guard = guard;
        polled.fetch_add(1, SeqCst);
        std::future::pending::<()>().await;
    }
}

fn panics(flavor: Flavor) {
    const AT_SHUTDOWN: usize = 100;
    let rt = runtime(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        // A task that panics: a JoinError, and the workers go on.
        let error = tourbillon::spawn(async { panic!("deliberate panic in a task") })
            .await
            .unwrap_err();
        assert!(error.is_panic(), "{flavor:?}: {error}");
        let sum: u64 = futures_util::future::join_all(
            (0..100u64).map(|i| tourbillon::spawn(async move { i })),
        )
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
        assert_eq!(sum, 4950, "{flavor:?}: the runtime works after a panic");

        // A future whose Drop panics, aborted while pending: the task ends, the panic is
        // contained.
        let task = tourbillon::spawn(pending_panicking_drop(&drops, &polled));
        while polled.load(SeqCst) == 0 {
            tourbillon::task::yield_now().await;
        }
        task.abort();
        assert!(task.await.is_err(), "{flavor:?}");
        assert_eq!(
            drops.load(SeqCst),
            1,
            "{flavor:?}: the aborted future was dropped"
        );
        assert_eq!(tourbillon::spawn(async { 7 }).await.unwrap(), 7);

        // Futures whose Drop panics, pending when the runtime shuts down.
        for _ in 0..AT_SHUTDOWN {
            tourbillon::spawn(pending_panicking_drop(&drops, &polled));
        }
        while polled.load(SeqCst) < 1 + AT_SHUTDOWN {
            tourbillon::task::yield_now().await;
        }
    });
    // A task's `JoinHandle` sees it complete before the worker removes it from the owned list,
    // so the tasks that just finished on a worker may still count for a moment.
    let metrics = rt.metrics();
    assert!(
        eventually(|| metrics.num_alive_tasks() == AT_SHUTDOWN),
        "{flavor:?}: {} alive, {AT_SHUTDOWN} expected",
        metrics.num_alive_tasks()
    );
    drop(rt);
    println!(
        "{flavor:?}: a panicking task, an abort and {AT_SHUTDOWN} shutdowns through a panicking \
         Drop: {} futures dropped, the process alive",
        drops.load(SeqCst)
    );
    assert_eq!(
        drops.load(SeqCst),
        1 + AT_SHUTDOWN,
        "{flavor:?}: every future dropped at shutdown"
    );
}

#[test]
fn a_task_that_panics_or_whose_drop_panics_leaves_the_runtime_working() {
    within_deadline(|| {
        let _serial = serial();
        for flavor in FLAVORS {
            panics(flavor);
        }
    });
}

// === dropping a busy runtime ===

/// Reads from `stream` forever (the peer never writes); counts its first poll and its drop.
struct BlockedRead {
    stream: tourbillon::net::TcpStream,
    polled: Option<Arc<AtomicUsize>>,
    drops: Arc<AtomicUsize>,
}

impl Future for BlockedRead {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(polled) = self.polled.take() {
            polled.fetch_add(1, SeqCst);
        }
        let mut buf = [0; 16];
        futures_util::AsyncRead::poll_read(Pin::new(&mut self.stream), cx, &mut buf)
    }
}

impl Drop for BlockedRead {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

fn drop_busy_runtime(flavor: Flavor) {
    const PAIRS: usize = 5_000;
    let fds_before = settled_fds();
    let rt = runtime(flavor);
    let polled = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..PAIRS {
            let client = tourbillon::net::TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            for stream in [client, server] {
                tourbillon::spawn(BlockedRead {
                    stream,
                    polled: Some(polled.clone()),
                    drops: drops.clone(),
                });
            }
        }
        while polled.load(SeqCst) < 2 * PAIRS {
            tourbillon::task::yield_now().await;
        }
    });
    assert_eq!(rt.metrics().num_alive_tasks(), 2 * PAIRS, "{flavor:?}");
    let fds_busy = open_fds();
    assert!(
        fds_busy >= fds_before + 2 * PAIRS,
        "{flavor:?}: the sockets are open ({fds_before} before, {fds_busy} busy)"
    );
    let dropping = Instant::now();
    drop(rt);
    println!(
        "{flavor:?}: runtime with {} tasks mid-read dropped in {:?}: {} futures dropped, \
         descriptors {fds_before} before, {fds_busy} busy, {} after",
        2 * PAIRS,
        dropping.elapsed(),
        drops.load(SeqCst),
        open_fds()
    );
    assert_eq!(
        drops.load(SeqCst),
        2 * PAIRS,
        "{flavor:?}: every task dropped"
    );
    assert!(
        eventually(|| open_fds() <= fds_before),
        "{flavor:?}: descriptors left open ({fds_before} before, {} after)",
        open_fds()
    );
}

#[test]
fn dropping_the_runtime_while_10_000_tasks_are_mid_io_frees_everything() {
    within_deadline(|| {
        let _serial = serial();
        for flavor in FLAVORS {
            drop_busy_runtime(flavor);
        }
    });
}
