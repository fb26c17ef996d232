//! Unix domain sockets through the public API: a stream echo over a listener, `pair`, borrowed
//! and owned halves, the futures-io traits, std conversions, datagrams, and sockets that
//! outlive their runtime. Every scenario on both runtime flavors.

mod support;

use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::future::join;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use support::{current_thread, within_deadline, FLAVORS};
use tourbillon::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use tourbillon::net::{UnixDatagram, UnixListener, UnixStream};

const CONNECTIONS: usize = 50;
const PAYLOAD: usize = 64 * 1024;

/// A fresh path for a socket file: unique per process, test and flavor.
fn socket_path(test: &str, flavor: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tourbillon-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name: String = format!("{test}-{flavor}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!("{name}.sock"));
    let _ = std::fs::remove_file(&path);
    path
}

async fn read_to_end(stream: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.unwrap();
    received
}

fn pattern(seed: usize) -> Vec<u8> {
    (0..PAYLOAD).map(|j| (seed * 31 + j * 7) as u8).collect()
}

#[test]
fn stream_echo_over_a_listener() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            let path = socket_path("echo", name);
            flavor().block_on(async {
                let listener = UnixListener::bind(&path).unwrap();
                assert_eq!(
                    listener.local_addr().unwrap().as_pathname(),
                    Some(path.as_path())
                );
                let server = tourbillon::spawn(async move {
                    for _ in 0..CONNECTIONS {
                        let (mut stream, peer) = listener.accept().await.unwrap();
                        assert!(peer.is_unnamed());
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
                    .map(|i| {
                        let path = path.clone();
                        tourbillon::spawn(async move {
                            let stream = UnixStream::connect(&path).await.unwrap();
                            let (mut reader, mut writer) = stream.into_split();
                            let payload = pattern(i);
                            let expected = payload.clone();
                            let writing = tourbillon::spawn(async move {
                                writer.write_all(&payload).await.unwrap();
                            });
                            assert_eq!(read_to_end(&mut reader).await, expected);
                            writing.await.unwrap();
                        })
                    })
                    .collect();
                for client in clients {
                    client.await.unwrap();
                }
                server.await.unwrap();
            });
            std::fs::remove_file(&path).unwrap();
        });
    }
}

#[test]
fn pair_carries_bytes_both_ways_and_eof() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (mut a, mut b) = UnixStream::pair().unwrap();
                assert!(a.peer_addr().unwrap().is_unnamed(), "{name}");
                a.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                b.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"ping");
                b.write_all(b"pong").await.unwrap();
                b.shutdown(Shutdown::Write).unwrap();
                assert_eq!(read_to_end(&mut a).await, b"pong", "{name}");
            })
        });
    }
}

#[test]
fn borrowed_halves_echo_concurrently() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (mut client, mut server) = UnixStream::pair().unwrap();
                let payload = pattern(7);
                let expected = payload.clone();
                // A payload larger than the socket buffers: the echo must read and write at once.
                let echo = async {
                    let (mut reader, mut writer): (ReadHalf<'_>, WriteHalf<'_>) =
                        UnixStream::split(&mut server);
                    let mut buf = vec![0; 4096];
                    loop {
                        match reader.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => writer.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                    writer.shutdown().unwrap();
                };
                let talk = async {
                    // The inherent split, not `AsyncReadExt::split` (which takes the stream by value).
                    let (mut reader, mut writer) = UnixStream::split(&mut client);
                    let sending = async {
                        writer.write_all(&payload).await.unwrap();
                        writer.shutdown().unwrap();
                    };
                    let (_, received) = join(sending, read_to_end(&mut reader)).await;
                    received
                };
                let ((), received) = join(echo, talk).await;
                assert_eq!(received, expected, "{name}");
            })
        });
    }
}

#[test]
fn owned_halves_move_to_their_own_tasks() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (client, server) = UnixStream::pair().unwrap();
                let (mut reader, mut writer): (OwnedReadHalf, OwnedWriteHalf) = server.into_split();
                tourbillon::spawn(async move {
                    let mut buf = vec![0; 4096];
                    loop {
                        match reader.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => writer.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                    // Dropping the owned write half shuts down the write side.
                });
                let (mut reader, mut writer) = client.into_split();
                let payload = pattern(3);
                let expected = payload.clone();
                let writing = tourbillon::spawn(async move {
                    writer.write_all(&payload).await.unwrap();
                });
                assert_eq!(read_to_end(&mut reader).await, expected, "{name}");
                writing.await.unwrap();
            })
        });
    }
}

#[test]
fn futures_io_traits_work_on_the_stream() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (mut a, mut b) = UnixStream::pair().unwrap();
                AsyncWriteExt::write_all(&mut a, b"via futures-io")
                    .await
                    .unwrap();
                AsyncWriteExt::close(&mut a).await.unwrap();
                assert_eq!(read_to_end(&mut b).await, b"via futures-io", "{name}");
            })
        });
    }
}

#[test]
fn std_conversions_keep_the_connection() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            flavor().block_on(async move {
                let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
                let mut a = UnixStream::from_std(a).unwrap();
                let mut b = UnixStream::from_std(b).unwrap();
                a.write_all(b"1").await.unwrap();
                // into_std deregisters: registering the same socket again must succeed.
                let a = UnixStream::from_std(a.into_std().unwrap()).unwrap();
                let mut buf = [0; 1];
                b.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"1", "{name}");
                drop(a);
                assert_eq!(b.read(&mut buf).await.unwrap(), 0, "{name}");
            })
        });
    }
}

#[test]
fn connect_to_nothing_fails() {
    within_deadline(|| {
        let path = socket_path("nothing", "");
        current_thread().block_on(async {
            let err = UnixStream::connect(&path).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        });
    });
}

#[test]
fn many_tasks_share_one_listener() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            let path = socket_path("shared-listener", name);
            flavor().block_on(async {
                let listener = Arc::new(UnixListener::bind(&path).unwrap());
                let acceptors: Vec<_> = (0..4)
                    .map(|_| {
                        let listener = listener.clone();
                        tourbillon::spawn(async move {
                            let (mut stream, _) = listener.accept().await.unwrap();
                            stream.write_all(b"!").await.unwrap();
                        })
                    })
                    .collect();
                for _ in 0..4 {
                    let mut client = UnixStream::connect(&path).await.unwrap();
                    assert_eq!(read_to_end(&mut client).await, b"!");
                }
                for acceptor in acceptors {
                    acceptor.await.unwrap();
                }
            });
            std::fs::remove_file(&path).unwrap();
        });
    }
}

#[test]
fn datagrams_between_a_pair_and_to_a_path() {
    for (name, flavor) in FLAVORS {
        within_deadline(move || {
            let path = socket_path("datagram", name);
            flavor().block_on(async {
                let (a, b) = UnixDatagram::pair().unwrap();
                let receiving = tourbillon::spawn(async move {
                    let mut buf = [0; 16];
                    let n = b.recv(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                });
                a.send(b"one datagram").await.unwrap();
                assert_eq!(receiving.await.unwrap(), b"one datagram", "{name}");

                let server = UnixDatagram::bind(&path).unwrap();
                let client = UnixDatagram::unbound().unwrap();
                client.send_to(b"to a path", &path).await.unwrap();
                let mut buf = [0; 16];
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], b"to a path");
                assert!(from.is_unnamed());
            });
            std::fs::remove_file(&path).unwrap();
        });
    }
}

#[test]
fn a_stream_that_outlives_its_runtime_fails_instead_of_hanging() {
    within_deadline(|| {
        let rt = current_thread();
        let (mut a, _b) = rt.block_on(async { UnixStream::pair().unwrap() });
        drop(rt);
        let other = current_thread();
        assert!(other.block_on(a.read(&mut [0; 4])).is_err());
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<UnixStream>();
    assert_send_sync::<UnixListener>();
    assert_send_sync::<UnixDatagram>();
    assert_send_sync::<ReadHalf<'static>>();
    assert_send_sync::<WriteHalf<'static>>();
    assert_send_sync::<OwnedReadHalf>();
    assert_send_sync::<OwnedWriteHalf>();
}
