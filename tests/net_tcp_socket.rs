//! The rest of the TCP API through the public names: `TcpStream::{readable, writable, try_read,
//! try_write, peek, from_std, into_std}`, `TcpListener::from_std`, and `TcpSocket` (options,
//! bind, listen, connect). Every scenario on both runtime flavors.

mod support;

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::Poll;

use support::{connected_pair, within_deadline, FLAVORS};
use tourbillon::net::{TcpListener, TcpSocket, TcpStream};

/// Polls `future` once with the task's real waker; true if it is still pending.
async fn is_pending<F: Future>(mut future: Pin<&mut F>) -> bool {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_pending())).await
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn try_read_would_block_clears_readiness_and_readable_waits_for_data() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (mut client, server) = connected_pair().await;
                // A new stream counts as readable; the read finds nothing and clears it.
                server.readable().await.unwrap();
                let err = server.try_read(&mut [0; 8]).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::WouldBlock, "{name}");
                // Known drained: try_read says so without a wait, and readable() waits.
                assert_eq!(
                    server.try_read(&mut [0; 8]).unwrap_err().kind(),
                    ErrorKind::WouldBlock
                );
                {
                    let mut readable = pin!(server.readable());
                    assert!(is_pending(readable.as_mut()).await, "{name}: did not wait");
                    client.write_all(b"data").await.unwrap();
                    readable.await.unwrap();
                }
                let mut buf = [0; 8];
                let mut got = 0;
                while got < 4 {
                    server.readable().await.unwrap();
                    match server.try_read(&mut buf[got..]) {
                        Ok(n) => got += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
                assert_eq!(&buf[..4], b"data");
            })
        });
    }
}

#[test]
fn try_write_fills_the_buffer_then_writable_waits_for_the_peer_to_read() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (client, mut server) = connected_pair().await;
                let chunk = vec![7u8; 64 * 1024];
                let mut sent = 0;
                loop {
                    match client.try_write(&chunk) {
                        Ok(n) => sent += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            // Space freed since (an ACK) makes writable() ready again: then
                            // keep filling. Once it waits, the buffer is full.
                            let mut writable = pin!(client.writable());
                            if is_pending(writable.as_mut()).await {
                                // The peer drains everything sent; the writer is woken.
                                let mut buf = vec![0; 64 * 1024];
                                let mut received = 0;
                                while received < sent {
                                    received += server.read(&mut buf).await.unwrap();
                                }
                                writable.await.unwrap();
                                break;
                            }
                        }
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
                assert!(sent > 0, "{name}");
                assert!(client.try_write(b"more").unwrap() > 0, "{name}");
            })
        });
    }
}

#[test]
fn peek_leaves_the_data_for_the_next_read() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (mut client, server) = connected_pair().await;
                let peeking = tourbillon::spawn(async move {
                    let mut buf = [0; 4];
                    let n = server.peek(&mut buf).await.unwrap();
                    (server, buf[..n].to_vec())
                });
                client.write_all(b"peek").await.unwrap();
                let (mut server, peeked) = peeking.await.unwrap();
                assert!(!peeked.is_empty() && b"peek".starts_with(&peeked), "{name}");
                let mut buf = [0; 4];
                let mut got = 0;
                while got < 4 {
                    got += server.read(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(&buf, b"peek", "{name}");
            })
        });
    }
}

#[test]
fn std_conversions_keep_the_connection() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let std_listener = std::net::TcpListener::bind(loopback()).unwrap();
                let addr = std_listener.local_addr().unwrap();
                let listener = TcpListener::from_std(std_listener).unwrap();
                let std_client = std::net::TcpStream::connect(addr).unwrap();
                let mut client = TcpStream::from_std(std_client).unwrap();
                let (server, _) = listener.accept().await.unwrap();

                // Out of the runtime and back: into_std deregisters, so registering again works.
                let mut std_server = server.into_std().unwrap();
                std_server.set_nonblocking(false).unwrap();
                std_server.write_all(b"from std").unwrap();
                let server = TcpStream::from_std(std_server).unwrap();

                let mut buf = [0; 8];
                let mut got = 0;
                while got < 8 {
                    got += client.read(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(&buf, b"from std", "{name}");
                drop(server);
                assert_eq!(client.read(&mut buf).await.unwrap(), 0, "{name}");
            })
        });
    }
}

#[test]
fn tcp_socket_listens_and_connects_with_options_set() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                assert!(socket.reuseaddr().unwrap());
                socket.set_recv_buffer_size(64 * 1024).unwrap();
                assert!(socket.recv_buffer_size().unwrap() >= 64 * 1024, "{name}");
                socket.bind(loopback()).unwrap();
                let addr = socket.local_addr().unwrap();
                let listener = socket.listen(64).unwrap();
                assert_eq!(listener.local_addr().unwrap(), addr);

                let client = TcpSocket::new_v4().unwrap();
                client.set_send_buffer_size(64 * 1024).unwrap();
                assert!(client.send_buffer_size().unwrap() >= 64 * 1024, "{name}");
                let mut client = client.connect(addr).await.unwrap();
                let (mut server, peer) = listener.accept().await.unwrap();
                assert_eq!(peer, client.local_addr().unwrap());

                client.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                let mut got = 0;
                while got < 4 {
                    got += server.read(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(&buf, b"ping", "{name}");
            })
        });
    }
}

#[test]
fn tcp_socket_connect_to_a_closed_port_is_refused() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let addr = {
                    let listener = std::net::TcpListener::bind(loopback()).unwrap();
                    listener.local_addr().unwrap()
                };
                let err = TcpSocket::new_v4()
                    .unwrap()
                    .connect(addr)
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{name}");
            })
        });
    }
}

#[test]
fn reuseport_lets_two_listeners_share_a_port_and_without_it_bind_fails() {
    within_deadline(|| {
        support::current_thread().block_on(async {
            let first = TcpSocket::new_v4().unwrap();
            first.set_reuseport(true).unwrap();
            assert!(first.reuseport().unwrap());
            first.bind(loopback()).unwrap();
            let first = first.listen(16).unwrap();
            let addr = first.local_addr().unwrap();

            let second = TcpSocket::new_v4().unwrap();
            second.set_reuseport(true).unwrap();
            second.bind(addr).unwrap();
            let _second = second.listen(16).unwrap();

            let third = TcpSocket::new_v4().unwrap();
            let err = third.bind(addr).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
        })
    });
}

#[test]
fn tcp_socket_v6_on_the_loopback() {
    within_deadline(|| {
        support::current_thread().block_on(async {
            // A host without IPv6 cannot make the socket or bind ::1; nothing to test there.
            let Ok(socket) = TcpSocket::new_v6() else {
                return;
            };
            if socket.bind("[::1]:0".parse().unwrap()).is_err() {
                return;
            }
            let listener = socket.listen(16).unwrap();
            let addr = listener.local_addr().unwrap();
            assert!(addr.is_ipv6());
            let client = TcpSocket::new_v6().unwrap().connect(addr).await.unwrap();
            let (_server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
        })
    });
}

#[test]
fn a_blocking_std_peer_sees_what_try_write_sent() {
    within_deadline(|| {
        support::multi_thread().block_on(async {
            let std_listener = std::net::TcpListener::bind(loopback()).unwrap();
            let addr = std_listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (mut peer, _) = std_listener.accept().unwrap();
            client.writable().await.unwrap();
            assert_eq!(client.try_write(b"abc").unwrap(), 3);
            let mut buf = [0; 3];
            peer.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"abc");
        })
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcpSocket>();
    assert_send_sync::<TcpStream>();
    assert_send_sync::<TcpListener>();
}
