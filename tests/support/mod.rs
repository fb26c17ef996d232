//! Helpers shared by the integration tests: deadlines, runtimes, loopback pairs, process counters.

#![allow(dead_code)] // each test file uses a different subset

use std::sync::mpsc;
use std::time::Duration;

use tourbillon::net::{TcpListener, TcpStream};
use tourbillon::{Builder, Runtime};

/// A generous upper bound for one test: a hang fails the test instead of stalling CI.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `test` on its own thread and fails if it does not finish within [`DEADLINE`].
pub fn within_deadline(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(DEADLINE) {
        Ok(()) => runner.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The test panicked: re-raise its panic here.
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test still running after {DEADLINE:?}"),
    }
}

pub fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

pub fn current_thread() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

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
