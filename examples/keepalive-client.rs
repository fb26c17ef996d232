//! A load client of the project's own: holds many keep-alive connections to `http-server` (or a
//! twin) at once and checks every response byte for byte.
//!
//! ```text
//! cargo run --release --example keepalive-client -- [ADDR] [--connections N (10000)]
//!     [--requests R (10)] [--threads N | --current-thread]
//! ```
//!
//! First every connection is opened and makes one request, and the connections wait for each
//! other: after that phase all N are open at once. Then each makes its remaining requests (GET
//! /json and /plaintext in turn, one at a time, keep-alive), and the connections are closed
//! together. A response counts as correct if its status is 200, its headers carry the right
//! `Content-Type` and `Content-Length`, and its body is the expected one; the client prints the
//! counts and exits with status 1 if any connection failed or any response was wrong.
//!
//! The client raises its own descriptor limit (`RLIMIT_NOFILE`) to fit N connections, up to the
//! hard limit; the server needs the same (`ulimit -n`).

#[path = "support/args.rs"]
#[allow(dead_code)] // the servers' timeouts
mod args;

use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use tourbillon::net::TcpStream;

const JSON: (&str, &[u8], &[u8]) = (
    "/json",
    b"application/json",
    br#"{"message":"Hello, World!"}"#,
);
const PLAINTEXT: (&str, &[u8], &[u8]) = ("/plaintext", b"text/plain", b"Hello, World!");

/// The largest response head this client accepts.
const MAX_HEAD: usize = 1024;

struct Options {
    addr: String,
    connections: usize,
    requests: usize,
    flavor: args::Flavor,
}

fn options() -> Result<Options, String> {
    let mut connections = 10_000;
    let mut requests = 10;
    let mut rest = Vec::new();
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let target = match word.as_str() {
            "--connections" => &mut connections,
            "--requests" => &mut requests,
            _ => {
                rest.push(word);
                continue;
            }
        };
        *target = words
            .next()
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{word} needs a positive number"))?;
    }
    let args = args::Args::parse(rest)?;
    Ok(Options {
        addr: args.addr,
        connections,
        requests,
        flavor: args.flavor,
    })
}

/// Raises the soft descriptor limit to `wanted`, or as close as the hard limit allows; returns
/// the limit now in force.
fn raise_nofile_limit(wanted: u64) -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `struct rlimit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted.min(limit.rlim_max);
        // SAFETY: `limit` is a valid `struct rlimit` with the soft limit at most the hard one.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

/// Counts of what went right and wrong, shared by every connection.
#[derive(Default)]
struct Tally {
    correct: AtomicU64,
    wrong: AtomicU64,
    failed_connections: AtomicU64,
}

/// One request on `stream` and its response, read and checked in full. `Ok(false)`: the
/// response arrived and was wrong.
async fn request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    (path, content_type, body): (&str, &[u8], &[u8]),
) -> io::Result<bool> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: keepalive-client\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    buf.clear();
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(false);
        }
        read_more(stream, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let head_ok = head.starts_with("HTTP/1.1 200 OK\r\n")
        && header("content-length") == Some(body.len().to_string())
        && header("content-type").as_deref().map(str::as_bytes) == Some(content_type);
    if !head_ok {
        // The body cannot be framed: the connection is no use any more.
        return Ok(false);
    }
    while buf.len() < head_end + body.len() {
        read_more(stream, buf).await?;
    }
    Ok(&buf[head_end..] == body)
}

/// Appends what one read returns; end of stream is an error (the server hung up mid-response).
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0; 4096];
    match stream.read(&mut chunk).await? {
        0 => Err(io::ErrorKind::UnexpectedEof.into()),
        n => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

/// Makes `count` requests (JSON and plaintext in turn, starting with `first`) and records how
/// they went; stops at the first failure or wrong response and returns `false`.
async fn requests(stream: &mut TcpStream, first: usize, count: usize, tally: &Tally) -> bool {
    let mut buf = Vec::with_capacity(512);
    for i in first..first + count {
        let expected = if i % 2 == 0 { JSON } else { PLAINTEXT };
        match request(stream, &mut buf, expected).await {
            Ok(true) => {
                tally.correct.fetch_add(1, Relaxed);
            }
            Ok(false) => {
                tally.wrong.fetch_add(1, Relaxed);
                return false;
            }
            Err(_) => {
                tally.failed_connections.fetch_add(1, Relaxed);
                return false;
            }
        }
    }
    true
}

fn main() -> io::Result<()> {
    let options = options().unwrap_or_else(|message| {
        eprintln!(
            "{message}\nusage: [ADDR] [--connections N] [--requests R] [--threads N | --current-thread]"
        );
        std::process::exit(2)
    });
    let limit = raise_nofile_limit(options.connections as u64 + 64)?;
    if limit < options.connections as u64 + 16 {
        eprintln!(
            "the descriptor limit is {limit}: too low for {} connections",
            options.connections
        );
        std::process::exit(2);
    }
    let mut builder = match options.flavor {
        args::Flavor::CurrentThread => tourbillon::Builder::new_current_thread(),
        args::Flavor::MultiThread { workers } => {
            let mut builder = tourbillon::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    let runtime = builder.build()?;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let (opened, held) = runtime.block_on(async {
        // Phase 1: open every connection and make its first request.
        let opening: Vec<_> = (0..options.connections)
            .map(|_| {
                let (addr, tally) = (options.addr.clone(), tally.clone());
                tourbillon::spawn(async move {
                    let Ok(mut stream) = TcpStream::connect(addr.as_str()).await else {
                        tally.failed_connections.fetch_add(1, Relaxed);
                        return None;
                    };
                    stream.set_nodelay(true).ok()?;
                    requests(&mut stream, 0, 1, &tally).await.then_some(stream)
                })
            })
            .collect();
        let mut streams = Vec::with_capacity(options.connections);
        for task in opening {
            // A connection that failed is already counted.
            streams.extend(task.await.expect("a connection task panicked"));
        }
        let opened = started.elapsed();
        // Phase 2: all of them open at once, the remaining requests.
        let held = streams.len();
        let talking: Vec<_> = streams
            .into_iter()
            .map(|mut stream| {
                let (tally, count) = (tally.clone(), options.requests - 1);
                tourbillon::spawn(async move {
                    requests(&mut stream, 1, count, &tally).await;
                    stream
                })
            })
            .collect();
        let mut streams = Vec::with_capacity(held);
        for task in talking {
            streams.push(task.await.expect("a connection task panicked"));
        }
        drop(streams);
        (opened, held)
    });
    let correct = tally.correct.load(Relaxed);
    let wrong = tally.wrong.load(Relaxed);
    let failed = tally.failed_connections.load(Relaxed);
    println!(
        "keepalive-client: {held} of {} connections open at once (all open after {opened:.2?}); \
         {correct} correct responses, {wrong} wrong, {failed} connections failed; {:.2?} in all",
        options.connections,
        started.elapsed()
    );
    let expected = (options.connections * options.requests) as u64;
    if correct != expected || wrong != 0 || failed != 0 {
        eprintln!("keepalive-client: expected {expected} correct responses");
        std::process::exit(1);
    }
    Ok(())
}
