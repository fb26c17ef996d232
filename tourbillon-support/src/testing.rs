//! Helpers shared by the integration tests: deadlines, runtimes, loopback pairs, process counters.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tourbillon::net::{TcpListener, TcpStream};
use tourbillon::{Builder, Runtime};

/// A generous upper bound for one test: a hang fails the test instead of stalling CI.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `test` on its own thread and fails if it does not finish within [`DEADLINE`] (see
/// [`watchdog`], which also names the scenario).
pub fn within_deadline(test: impl FnOnce() + Send + 'static) {
    watchdog("test", test)
}

pub fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// A multi-thread runtime with one worker: every task shares it, as on a current-thread runtime,
/// but driven by a worker thread.
pub fn one_worker() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap()
}

pub fn current_thread() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

pub fn multi_thread_one_worker() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap()
}

/// A runtime flavor by name, for tests that run one scenario on each.
pub type Flavor = (&'static str, fn() -> Runtime);

/// Current-thread, two workers, one worker.
pub const FLAVORS: [Flavor; 3] = [
    ("current_thread", current_thread),
    ("multi_thread(2)", multi_thread),
    ("multi_thread(1)", multi_thread_one_worker),
];

/// The number of file descriptors this process has open.
pub fn open_fds() -> usize {
    // `read_dir` holds one descriptor of its own while it lists: the same in every call.
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The process's descriptor limit (`RLIMIT_NOFILE`): soft and hard.
pub fn nofile_limit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `struct rlimit`.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    limit
}

/// Sets the process's descriptor limit. Lowering it affects every thread: a test that does so
/// runs alone in its binary, or serialised with every test that opens descriptors.
pub fn set_nofile_limit(limit: libc::rlimit) {
    // SAFETY: `limit` is a valid `struct rlimit`; a soft limit at or below the hard one is
    // always permitted.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// The most CPU an idle runtime may use in one second, in clock ticks: a spinning worker burns
/// ~100 ticks a second and a sleeping runtime close to none; the bound is far from both so that
/// a noisy machine cannot flip the verdict.
pub const MAX_TICKS_PER_IDLE_SECOND: u64 = 40;

/// User + system CPU time of this process, in clock ticks (usually 100 per second).
pub fn process_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Skip the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12th and 13th after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A connected loopback pair `(client, server)`: a listener on a free port, a client that
/// connects to it, and the server side that the listener accepted.
pub async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Runs `test` on its own thread and fails, naming `scenario`, if it does not finish within
/// [`DEADLINE`]: a hang becomes a failure that says which combination of features hung.
pub fn watchdog(scenario: &str, test: impl FnOnce() + Send + 'static) {
    match watch(scenario, DEADLINE, test) {
        Watched::Finished(()) => {}
        Watched::Panicked(panic) => std::panic::resume_unwind(panic),
        Watched::Hung => panic!("scenario `{scenario}` hung: still running after {DEADLINE:?}"),
    }
}

/// How a closure run by [`watch`] ended.
pub enum Watched<T> {
    /// It returned this.
    Finished(T),
    /// It panicked with this payload.
    Panicked(Box<dyn std::any::Any + Send + 'static>),
    /// It was still running at the deadline; its thread is left behind.
    Hung,
}

/// Runs `f` on a thread named `scenario` and waits at most `deadline` for it to end.
pub fn watch<T: Send + 'static>(
    scenario: &str,
    deadline: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Watched<T> {
    let (done, finished) = mpsc::channel();
    let runner = std::thread::Builder::new()
        .name(scenario.to_string())
        .spawn(move || {
            let _ = done.send(f());
        })
        .unwrap();
    match finished.recv_timeout(deadline) {
        Ok(output) => {
            runner.join().unwrap();
            Watched::Finished(output)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Watched::Panicked(runner.join().unwrap_err()),
        Err(mpsc::RecvTimeoutError::Timeout) => Watched::Hung,
    }
}

/// The message of a panic payload (`panic!` makes a `&str` or a `String`).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => (*message).to_string(),
        (None, Some(message)) => message.clone(),
        (None, None) => "a panic with a non-string payload".to_string(),
    }
}

/// The runtimes a liveness scenario runs on: current-thread, and multi-thread with one and
/// with two workers.
pub fn every_flavor() -> Vec<(&'static str, Runtime)> {
    let workers = |n| {
        Builder::new_multi_thread()
            .worker_threads(n)
            .build()
            .unwrap()
    };
    vec![
        ("current_thread", current_thread()),
        ("multi_thread(1)", workers(1)),
        ("multi_thread(2)", workers(2)),
    ]
}

/// Counts its drops in the shared counter.
pub struct DropCounter(pub Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that stays pending and counts its drop in `drops`.
pub fn pending_counted(drops: &Arc<AtomicUsize>) -> impl Future<Output = ()> + Send + 'static {
    let counter = DropCounter(drops.clone());
    async move {
        let _counter = counter;
        std::future::pending::<()>().await;
    }
}

/// Runs `body` on a runtime of each of [`every_flavor`], each under the [`watchdog`] as the
/// scenario "`test` on `flavor`"; `body` gets the flavor's name for its messages.
pub fn block_on_every_flavor<F>(test: &str, body: fn(&'static str) -> F)
where
    F: std::future::Future<Output = ()> + 'static,
{
    for (flavor, rt) in every_flavor() {
        watchdog(&format!("{test} on {flavor}"), move || {
            rt.block_on(body(flavor))
        });
    }
}

/// Fails unless the calling thread is outside any tokio runtime: tokio's types that tourbillon
/// runs (its sync types, its I/O traits) must not be leaning on one.
pub fn assert_no_tokio_runtime(context: &str) {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "{context}: a tokio runtime is running"
    );
}

/// Makes dropping `stream` send a reset instead of a FIN (`SO_LINGER` with a zero timeout).
pub fn reset_on_drop(stream: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open for the call; `linger` is a valid `struct linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        std::io::Error::last_os_error()
    );
}
