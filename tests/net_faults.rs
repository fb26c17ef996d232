//! The socket layer with every fault of `TOURBILLON_FAULTS` switched on (spurious, late and
//! interrupted polls, short reads and writes): echo traffic, the HTTP server example, UDP and
//! timers all still work, on the current-thread runtime and on 1 and 2 workers, so the plain
//! `cargo test` exercises the fault injector too. (CI also runs the whole network suite with
//! `TOURBILLON_FAULTS=all`.)
//!
//! Alone in its file, as one test: the variable is read once per process, when the first
//! runtime starts, and setting it must not race with other threads reading the environment.
use tourbillon_support::testing as support;

use std::io::{Read, Write};
use std::time::Duration;

use support::within_deadline;
use tourbillon::net::{TcpListener, TcpStream, UdpSocket};
use tourbillon_support::args::{Args, Flavor};
use tourbillon_support::servers::http_server as server;
use tourbillon_support::tourbillon_runtime;

const FLAVORS: [Flavor; 3] = [
    Flavor::CurrentThread,
    Flavor::MultiThread { workers: 1 },
    Flavor::MultiThread { workers: 2 },
];

/// Writes of 1,000 bytes into a connection nobody reads yet, on a fresh socket buffer: without
/// faults each one writes all 1,000 bytes. Returns how many of 100 wrote fewer.
async fn short_writes() -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    let mut short = 0;
    for _ in 0..100 {
        let n = client.write(&[7; 1000]).await.unwrap();
        short += usize::from(n < 1000);
        let mut got = 0;
        let mut buf = [0; 1000];
        while got < n {
            got += server.read(&mut buf[got..n]).await.unwrap();
        }
        assert!(buf[..n].iter().all(|&b| b == 7));
    }
    short
}

/// 32 concurrent echo round trips of 64 KiB through tourbillon sockets on both ends.
async fn echo_round_trips() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let echo = tourbillon::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tourbillon::spawn(async move {
                let mut buf = vec![0; 8192];
                loop {
                    match stream.read(&mut buf).await.unwrap() {
                        0 => return,
                        n => stream.write_all(&buf[..n]).await.unwrap(),
                    }
                }
            });
        }
    });
    let clients: Vec<_> = (0..32u8)
        .map(|seed| {
            tourbillon::spawn(async move {
                let sent: Vec<u8> = (0..64 * 1024u32).map(|i| (i as u8) ^ seed).collect();
                let stream = TcpStream::connect(addr).await.unwrap();
                let (mut reader, mut writer) = stream.into_split();
                let to_send = sent.clone();
                let writing = tourbillon::spawn(async move {
                    writer.write_all(&to_send).await.unwrap();
                });
                let mut received = vec![0; sent.len()];
                let mut got = 0;
                while got < received.len() {
                    got += reader.read(&mut received[got..]).await.unwrap();
                }
                writing.await.unwrap();
                assert!(received == sent, "echo of client {seed} differs");
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    echo.abort();
}

/// UDP datagrams (not shortened: a datagram read is never short) and a timer.
async fn udp_and_timers() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    for i in 0..50u8 {
        b.send(&[i; 100]).await.unwrap();
        let mut buf = [0; 200];
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, from), (100, b.local_addr().unwrap()));
        assert!(buf[..n].iter().all(|&x| x == i));
    }
    tourbillon::time::sleep(Duration::from_millis(20)).await;
}

/// The HTTP example serves keep-alive requests from a blocking client.
fn http_requests(rt: &tourbillon::Runtime) {
    let listener = rt
        .block_on(async { TcpListener::bind("127.0.0.1:0").await })
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let args = Args::parse([]).unwrap();
    let serving = rt.spawn(server::serve_until(listener, args, std::future::pending()));
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let request = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut buf = Vec::new();
        for _ in 0..50 {
            stream.write_all(request).unwrap();
            buf.clear();
            while !buf.ends_with(b"Hello, World!") {
                let mut chunk = [0; 512];
                let n = stream.read(&mut chunk).unwrap();
                assert_ne!(n, 0, "the server closed");
                buf.extend_from_slice(&chunk[..n]);
            }
            assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"));
        }
    });
    rt.block_on(async {
        while !client.is_finished() {
            tourbillon::time::sleep(Duration::from_millis(5)).await;
        }
    });
    client.join().unwrap();
    serving.abort();
}

#[test]
fn sockets_timers_and_the_http_example_work_under_every_fault() {
    // Set before any runtime exists, by the only test of the binary: no other thread reads the
    // environment meanwhile.
    std::env::set_var("TOURBILLON_FAULTS", "all");
    within_deadline(|| {
        for flavor in FLAVORS {
            let rt = tourbillon_runtime::build(flavor, None).unwrap();
            let short = rt.block_on(short_writes());
            assert!(
                short > 0,
                "{flavor:?}: no short write in 100: faults are off"
            );
            rt.block_on(echo_round_trips());
            rt.block_on(udp_and_timers());
            http_requests(&rt);
        }
    });
}
