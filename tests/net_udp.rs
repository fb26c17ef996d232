//! UDP round trips, connected and not, and one socket shared by many receiving tasks.

use tourbillon_support::testing as support;

use std::io::ErrorKind;
use std::sync::Arc;

use support::{current_thread, multi_thread, within_deadline};
use tourbillon::net::UdpSocket;

#[test]
fn send_to_and_recv_from_round_trips() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let server_addr = server.local_addr().unwrap();
            let echo = tourbillon::spawn(async move {
                let mut buf = [0; 64];
                for _ in 0..100 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            });

            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let mut buf = [0; 64];
            for i in 0..100u32 {
                client.send_to(&i.to_le_bytes(), server_addr).await.unwrap();
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, server_addr);
                assert_eq!(&buf[..n], i.to_le_bytes());
            }
            echo.await.unwrap();
        });
    });
}

#[test]
fn connected_sockets_send_and_recv() {
    within_deadline(|| {
        current_thread().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

            a.send(b"ping").await.unwrap();
            let mut buf = [0; 16];
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            b.send(b"pong").await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
        });
    });
}

#[test]
fn many_tasks_receive_on_one_shared_socket() {
    within_deadline(|| {
        multi_thread().block_on(async {
            const RECEIVERS: usize = 8;
            let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let addr = socket.local_addr().unwrap();
            let receivers: Vec<_> = (0..RECEIVERS)
                .map(|_| {
                    let socket = socket.clone();
                    tourbillon::spawn(async move {
                        let mut buf = [0; 8];
                        let n = socket.recv(&mut buf).await.unwrap();
                        assert_eq!(n, 1);
                        buf[0] as usize
                    })
                })
                .collect();
            // Let every receiver reach its wait before anything is sent.
            for _ in 0..10 {
                tourbillon::task::yield_now().await;
            }
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for i in 0..RECEIVERS {
                sender.send_to(&[i as u8], addr).await.unwrap();
            }
            let mut got = Vec::new();
            for receiver in receivers {
                got.push(receiver.await.unwrap());
            }
            got.sort_unstable();
            assert_eq!(got, (0..RECEIVERS).collect::<Vec<_>>());
        });
    });
}

#[cfg(target_os = "linux")]
#[test]
fn a_connected_socket_reports_an_unreachable_port() {
    within_deadline(|| {
        current_thread().block_on(async {
            let closed = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(closed).await.unwrap();
            socket.send(b"anyone?").await.unwrap();
            // The ICMP port-unreachable comes back as an error on the next receive.
            let error = socket.recv(&mut [0; 16]).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
        });
    });
}
