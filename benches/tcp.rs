//! TCP round trips on loopback, written once and run on tourbillon and on tokio in the same
//! group, on a multi-thread runtime with 2 workers and on a current-thread runtime.
//!
//! An echo server task (one task per accepted connection) runs on the runtime under test; the
//! clients are tasks of the same runtime. One criterion iteration: every client connection sends
//! a 64-byte ping and reads the 64-byte echo back, `TRIPS` times in a row, all connections at
//! once. Connections are opened once per bench function, outside the timed loop, with
//! `TCP_NODELAY` on both ends.
//!
//! | scenario               | connections | round trips per connection and iteration |
//! |------------------------|------------:|-----------------------------------------:|
//! | `tcp_ping_pong_1conn`  |           1 |                                      100 |
//! | `tcp_ping_pong_64conn` |          64 |                                       20 |
//!
//! With one connection this is latency: every round trip is two wakes through the reactor. With
//! 64 it is throughput under concurrency: readiness events arrive in batches.

use tourbillon_support::bench as support;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use support::{compare, BenchRuntime, Flavor};

/// Bytes per ping and per pong.
const MESSAGE: usize = 64;

/// A runtime's TCP API, as the scenarios see it.
trait Net: BenchRuntime {
    /// The runtime's listener.
    type Listener: Send + Sync + 'static;
    /// The runtime's stream.
    type Stream: Send + 'static;

    /// Binds a listener to a free port on 127.0.0.1; returns it and its address.
    fn bind() -> impl Future<Output = (Self::Listener, SocketAddr)>;
    /// Accepts one connection and sets `TCP_NODELAY` on it.
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>> + Send;
    /// Connects to `addr` and sets `TCP_NODELAY`.
    fn connect(addr: SocketAddr) -> impl Future<Output = Self::Stream>;
    /// Fills `buf` from `stream`.
    fn read_exact<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
    /// Writes all of `buf` to `stream`.
    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
}

/// `bind`, `accept` and `connect` of [`Net`]: tourbillon and tokio spell them alike, so one body
/// serves both impls, calling the inherent methods of the impl's own `Listener` and `Stream`.
macro_rules! connection_methods {
    () => {
        async fn bind() -> (Self::Listener, SocketAddr) {
            let listener = <Self::Listener>::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("local address");
            (listener, addr)
        }

        async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        }

        async fn connect(addr: SocketAddr) -> Self::Stream {
            let stream = <Self::Stream>::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("TCP_NODELAY");
            stream
        }
    };
}

impl Net for tourbillon::Runtime {
    type Listener = tourbillon::net::TcpListener;
    type Stream = tourbillon::net::TcpStream;

    connection_methods!();

    fn read_exact<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures_util::AsyncReadExt::read_exact(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        stream.write_all(buf)
    }
}

impl Net for tokio::runtime::Runtime {
    type Listener = tokio::net::TcpListener;
    type Stream = tokio::net::TcpStream;

    connection_methods!();

    async fn read_exact<'a>(stream: &'a mut Self::Stream, buf: &'a mut [u8]) -> io::Result<()> {
        tokio::io::AsyncReadExt::read_exact(stream, buf).await?;
        Ok(())
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tokio::io::AsyncWriteExt::write_all(stream, buf)
    }
}

/// Accepts connections forever, echoing each on its own task until the client hangs up.
async fn echo_server<R: Net>(listener: R::Listener) {
    while let Ok(mut stream) = R::accept(&listener).await {
        R::spawn_detached(async move {
            let mut buf = [0; MESSAGE];
            while R::read_exact(&mut stream, &mut buf).await.is_ok() {
                if R::write_all(&mut stream, &buf).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// `CONNS` connections, each making `TRIPS` ping-pong round trips per iteration.
fn ping_pong<R: Net, const CONNS: usize, const TRIPS: usize>(
    b: &mut Bencher<'_, WallTime>,
    rt: &R,
) {
    let mut clients = rt.block_on(async {
        let (listener, addr) = R::bind().await;
        R::spawn_detached(echo_server::<R>(listener));
        let mut clients = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            clients.push(R::connect(addr).await);
        }
        clients
    });
    let handle = rt.handle();
    b.iter(|| {
        // Each client task owns its stream for the iteration and hands it back when done.
        let tasks: Vec<_> = clients
            .drain(..)
            .map(|mut stream| {
                R::spawn_on(&handle, async move {
                    let mut buf = [7; MESSAGE];
                    for _ in 0..TRIPS {
                        R::write_all(&mut stream, &buf).await.expect("ping");
                        R::read_exact(&mut stream, &mut buf).await.expect("pong");
                    }
                    stream
                })
            })
            .collect();
        rt.block_on(async {
            for task in tasks {
                clients.push(task.await.expect("client task"));
            }
        });
    });
}

fn tcp(c: &mut Criterion) {
    let all = &Flavor::ALL;
    compare(
        c,
        "tcp_ping_pong_1conn",
        all,
        ping_pong::<_, 1, 100>,
        ping_pong::<_, 1, 100>,
    );
    compare(
        c,
        "tcp_ping_pong_64conn",
        all,
        ping_pong::<_, 64, 20>,
        ping_pong::<_, 64, 20>,
    );
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = tcp
}
criterion_main!(benches);
