//! TCP through the public API: echo under load on both runtimes, EOF, refused connects, resets,
//! split halves, and sockets that outlive their runtime.

use tourbillon_support::testing as support;

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::future::join;
use support::{connected_pair, current_thread, multi_thread, within_deadline};
use tourbillon::net::{TcpListener, TcpStream};
use tourbillon::Runtime;

const CONNECTIONS: usize = 200;
const PAYLOAD: usize = 64 * 1024;

/// Every connection sends its own 64 KiB pattern, half-closes, and must read exactly it back.
fn echo_many(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tourbillon::spawn(async move {
            for _ in 0..CONNECTIONS {
                let (mut stream, _) = listener.accept().await.unwrap();
                tourbillon::spawn(async move {
                    let mut buf = vec![0; 4096];
                    loop {
                        match stream.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => stream.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                });
            }
        });

        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| tourbillon::spawn(echo_client(addr, i)))
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        server.await.unwrap();
    });
}

async fn echo_client(addr: SocketAddr, seed: usize) {
    let payload: Vec<u8> = (0..PAYLOAD).map(|j| (seed * 31 + j * 7) as u8).collect();
    let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    let expected = payload.clone();
    let writing = tourbillon::spawn(async move {
        writer.write_all(&payload).await.unwrap();
        // Dropping the owned write half shuts down the write side: the server sees EOF.
    });
    let mut received = Vec::with_capacity(PAYLOAD);
    let mut buf = vec![0; 8192];
    loop {
        match reader.read(&mut buf).await.unwrap() {
            0 => break,
            n => received.extend_from_slice(&buf[..n]),
        }
    }
    writing.await.unwrap();
    assert_eq!(received.len(), PAYLOAD, "connection {seed}");
    assert!(
        received == expected,
        "connection {seed} echoed different bytes"
    );
}

#[test]
fn echo_200_connections_of_64k_on_two_workers() {
    within_deadline(|| echo_many(multi_thread()));
}

#[test]
fn echo_200_connections_of_64k_on_current_thread() {
    within_deadline(|| echo_many(current_thread()));
}

/// One event per reactor turn: every readiness past the first waits in the kernel for a later
/// turn, and none may be lost on the way.
#[test]
fn echo_200_connections_with_one_io_event_per_tick() {
    within_deadline(|| {
        let rt = tourbillon::Builder::new_multi_thread()
            .worker_threads(2)
            .max_io_events_per_tick(1)
            .build()
            .unwrap();
        echo_many(rt);
    });
}

#[test]
fn read_returns_zero_after_peer_shutdown_and_keeps_returning_it() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let (mut client, mut server) = connected_pair().await;

            // The reader is already waiting when the peer sends its last bytes and shuts down.
            let reading = tourbillon::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0; 64];
                loop {
                    match server.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => got.extend_from_slice(&buf[..n]),
                    }
                }
                for _ in 0..3 {
                    assert_eq!(server.read(&mut buf).await.unwrap(), 0);
                }
                got
            });
            tourbillon::task::yield_now().await;
            client.write_all(b"last words").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            assert_eq!(reading.await.unwrap(), b"last words");
        });
    });
}

#[test]
fn dropping_a_stream_closes_it() {
    within_deadline(|| {
        current_thread().block_on(async {
            let (client, mut server) = connected_pair().await;
            drop(client);
            assert_eq!(server.read(&mut [0; 16]).await.unwrap(), 0);
        });
    });
}

#[test]
fn connect_to_a_closed_port_is_refused_promptly() {
    within_deadline(|| {
        multi_thread().block_on(async {
            // A port that was just free: bind, read the port, close.
            let addr = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let start = Instant::now();
            let error = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "refusal was not prompt"
            );
        });
    });
}

#[test]
fn connect_tries_every_resolved_address() {
    within_deadline(|| {
        current_thread().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            // "localhost" may resolve to ::1 first, where nothing listens; 127.0.0.1 follows.
            let client = TcpStream::connect(("localhost", port)).await.unwrap();
            let (server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            assert_eq!(server.local_addr().unwrap(), client.peer_addr().unwrap());
        });
    });
}

#[test]
fn accept_keeps_working_after_a_peer_resets() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();

            // A peer that connects and resets before it is accepted.
            reset(std::net::TcpStream::connect(addr).unwrap());
            // A peer that resets after it is accepted.
            let mut late = Some(std::net::TcpStream::connect(addr).unwrap());
            let late_addr = late.as_ref().unwrap().local_addr().unwrap();
            let good = std::net::TcpStream::connect(addr).unwrap();
            let good_addr = good.local_addr().unwrap();

            // Linux may hand out the first, reset connection or may already have dropped it.
            let mut accepted = Vec::new();
            loop {
                let (mut stream, peer) = listener.accept().await.unwrap();
                accepted.push(peer);
                if peer == late_addr {
                    reset(late.take().unwrap());
                    let result = stream.read(&mut [0; 16]).await;
                    assert!(
                        matches!(&result, Err(e) if e.kind() == ErrorKind::ConnectionReset),
                        "{result:?}"
                    );
                }
                if peer == good_addr {
                    break;
                }
                assert!(accepted.len() < 3, "unexpected peers {accepted:?}");
            }
            assert!(accepted.contains(&late_addr));

            // And the listener still accepts.
            let after = TcpStream::connect(addr).await.unwrap();
            let (_, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, after.local_addr().unwrap());
        });
    });
}

/// Closes `stream` with an RST instead of a FIN.
fn reset(stream: std::net::TcpStream) {
    support::reset_on_drop(&stream);
}

/// Closing the write side after the peer reset the connection succeeds (the OS says
/// `NotConnected`; tokio says `Ok` too): hyper's HTTP/2 server closes its socket this way when a
/// client hangs up, and used to fail with `NotConnected` one run in many.
#[test]
fn closing_after_the_peer_reset_is_ok() {
    within_deadline(|| {
        current_thread().block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mut stream = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (peer, _) = listener.accept().unwrap();
            reset(peer);
            // Wait until the reset has arrived: the read fails (or sees EOF on a late RST).
            let mut buf = [0; 16];
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            futures_util::AsyncWriteExt::close(&mut stream)
                .await
                .unwrap();
            stream.shutdown(std::net::Shutdown::Both).unwrap();
        });
    });
}

#[test]
fn borrowed_halves_read_and_write_concurrently() {
    within_deadline(|| {
        current_thread().block_on(async {
            let (mut client, mut server) = connected_pair().await;

            // More than the socket buffers hold, so neither side can finish writing alone.
            let payload = vec![7u8; 4 * 1024 * 1024];
            let (mut reader, mut writer) = client.split();
            let send = async {
                writer.write_all(&payload).await.unwrap();
                writer.shutdown().unwrap();
            };
            let receive = async {
                let mut total = 0;
                let mut buf = vec![0; 65536];
                loop {
                    match reader.read(&mut buf).await.unwrap() {
                        0 => return total,
                        n => total += n,
                    }
                }
            };
            let echo = async {
                let (mut from, mut to) = server.split();
                let mut buf = vec![0; 65536];
                loop {
                    match from.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => to.write_all(&buf[..n]).await.unwrap(),
                    }
                }
                to.shutdown().unwrap();
            };
            let (((), total), ()) = join(join(send, receive), echo).await;
            assert_eq!(total, payload.len());
        });
    });
}

#[test]
fn from_std_and_socket_options() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = std_listener.local_addr().unwrap();
            let listener = TcpListener::from_std(std_listener).unwrap();
            let client = std::net::TcpStream::connect(addr).unwrap();
            let mut client = TcpStream::from_std(client).unwrap();
            let (mut server, _) = listener.accept().await.unwrap();

            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            client.write_all(b"hi").await.unwrap();
            client.flush().await.unwrap();
            let mut buf = [0; 2];
            let mut got = 0;
            while got < 2 {
                got += server.read(&mut buf[got..]).await.unwrap();
            }
            assert_eq!(&buf, b"hi");
        });
    });
}

#[test]
fn a_socket_that_outlives_its_runtime_fails_cleanly() {
    within_deadline(|| {
        let first = current_thread();
        let (mut stream, _peer) = first.block_on(async { connected_pair().await });
        drop(first);

        let error = current_thread()
            .block_on(async move { stream.read(&mut [0; 16]).await })
            .unwrap_err();
        assert!(error.to_string().contains("shut down"), "{error}");
        // `stream` is dropped inside the second runtime's block_on: it deregisters from the
        // first runtime's (dead) reactor without panicking.
    });
}

#[test]
fn sockets_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcpListener>();
    assert_send_sync::<TcpStream>();
    assert_send_sync::<tourbillon::net::tcp::OwnedReadHalf>();
    assert_send_sync::<tourbillon::net::tcp::OwnedWriteHalf>();
    assert_send_sync::<tourbillon::net::tcp::ReadHalf<'static>>();
    assert_send_sync::<tourbillon::net::UdpSocket>();
}
