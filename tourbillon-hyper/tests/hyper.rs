//! hyper 1.x client and server on tourbillon, both flavors, with no tokio runtime anywhere:
//! every handler and client task asserts that `tokio::runtime::Handle::try_current()` fails.
//!
//! - HTTP/1.1 keep-alive: 100 requests on one connection;
//! - HTTP/2: 100 concurrent streams on one connection (the handlers wait on one barrier until
//!   all 100 are in, which only concurrent streams can pass);
//! - hyper-util's auto builder serving an HTTP/1.1 and an HTTP/2 client on one listener;
//! - `header_read_timeout` (on `TourbillonTimer`) closing a client that never sends a head;
//! - the generic futures-io path of `TourbillonIo` (a type that is not `TcpStream`);
//! - the way back: an upgraded connection (`101 Switching Protocols`) as futures-io, both ends.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, UPGRADE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Version};
use support::{current_thread, multi_thread, one_worker, within_deadline};
use tourbillon::net::{TcpListener, TcpStream};
use tourbillon::Runtime;
use tourbillon_hyper::{TourbillonExecutor, TourbillonIo, TourbillonTimer};

const REQUESTS: usize = 100;

fn assert_no_tokio_runtime() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "a tokio runtime is current: the test must run on tourbillon alone"
    );
}

/// Answers `<version> <path>`, after checking that no tokio runtime is around.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    assert_no_tokio_runtime();
    let body = format!("{:?} {}", request.version(), request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

fn get(path: &str) -> Request<Empty<Bytes>> {
    Request::get(path).body(Empty::new()).unwrap()
}

async fn body_string(response: Response<Incoming>) -> String {
    assert!(response.status().is_success());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A listener that serves exactly one connection with `serve`, then reports its result.
async fn serve_one<F, Fut>(serve: F) -> (std::net::SocketAddr, tourbillon::JoinHandle<Fut::Output>)
where
    F: FnOnce(TourbillonIo<TcpStream>) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tourbillon::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(TourbillonIo::new(stream)).await
    });
    (addr, server)
}

/// Connects and hands the stream to hyper's HTTP/1 client; the connection runs as a task.
async fn http1_client<T>(
    io: TourbillonIo<T>,
) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>>
where
    TourbillonIo<T>: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tourbillon::spawn(async move {
        assert_no_tokio_runtime();
        connection.await.unwrap();
    });
    sender
}

async fn http2_client(stream: TcpStream) -> hyper::client::conn::http2::SendRequest<Empty<Bytes>> {
    let (sender, connection) = hyper::client::conn::http2::Builder::new(TourbillonExecutor::new())
        .timer(TourbillonTimer::new())
        .handshake(TourbillonIo::new(stream))
        .await
        .unwrap();
    tourbillon::spawn(async move {
        assert_no_tokio_runtime();
        connection.await.unwrap();
    });
    sender
}

// === HTTP/1.1 keep-alive ===

fn http1_keep_alive(rt: Runtime) {
    rt.block_on(async {
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let (addr, server) = serve_one(|io| async move {
            let service = service_fn(move |request| {
                counter.fetch_add(1, Ordering::Relaxed);
                echo(request)
            });
            hyper::server::conn::http1::Builder::new()
                .timer(TourbillonTimer::new())
                .serve_connection(io, service)
                .await
        })
        .await;

        let client = tourbillon::spawn(async move {
            assert_no_tokio_runtime();
            let stream = TcpStream::connect(addr).await.unwrap();
            let mut sender = http1_client(TourbillonIo::new(stream)).await;
            for i in 0..REQUESTS {
                sender.ready().await.unwrap();
                let response = sender.send_request(get(&format!("/{i}"))).await.unwrap();
                assert_eq!(body_string(response).await, format!("HTTP/1.1 /{i}"));
            }
            // Dropping the sender closes the connection: the server's future then completes.
        });
        client.await.unwrap();
        server.await.unwrap().unwrap();
        // One accepted connection served every request: keep-alive held.
        assert_eq!(served.load(Ordering::Relaxed), REQUESTS);
    });
}

#[test]
fn http1_keep_alive_current_thread() {
    within_deadline(|| http1_keep_alive(current_thread()));
}

#[test]
fn http1_keep_alive_multi_thread() {
    within_deadline(|| http1_keep_alive(multi_thread()));
}

// === HTTP/2: concurrent streams on one connection ===

fn http2_concurrent_streams(rt: Runtime) {
    rt.block_on(async {
        // Every handler waits here until all of them have started: the test passes only if
        // the 100 streams are open at once.
        let barrier = Arc::new(tokio::sync::Barrier::new(REQUESTS));
        let (addr, server) = serve_one(move |io| async move {
            let service = service_fn(move |request| {
                let barrier = barrier.clone();
                async move {
                    barrier.wait().await;
                    echo(request).await
                }
            });
            hyper::server::conn::http2::Builder::new(TourbillonExecutor::new())
                .timer(TourbillonTimer::new())
                .serve_connection(io, service)
                .await
        })
        .await;

        let sender = http2_client(TcpStream::connect(addr).await.unwrap()).await;
        let requests: Vec<_> = (0..REQUESTS)
            .map(|i| {
                let mut sender = sender.clone();
                tourbillon::spawn(async move {
                    assert_no_tokio_runtime();
                    let response = sender.send_request(get(&format!("/{i}"))).await.unwrap();
                    assert_eq!(response.version(), Version::HTTP_2);
                    assert_eq!(body_string(response).await, format!("HTTP/2.0 /{i}"));
                })
            })
            .collect();
        for request in requests {
            request.await.unwrap();
        }
        drop(sender);
        server.await.unwrap().unwrap();
    });
}

#[test]
fn http2_concurrent_streams_current_thread() {
    within_deadline(|| http2_concurrent_streams(current_thread()));
}

#[test]
fn http2_concurrent_streams_multi_thread() {
    within_deadline(|| http2_concurrent_streams(multi_thread()));
}

#[test]
fn http2_concurrent_streams_one_worker() {
    within_deadline(|| http2_concurrent_streams(one_worker()));
}

// === hyper-util's auto builder: HTTP/1.1 and HTTP/2 on one listener ===

fn auto_builder_serves_both(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tourbillon::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(TourbillonExecutor::new());
            builder.http1().timer(TourbillonTimer::new());
            builder.http2().timer(TourbillonTimer::new());
            let builder = Arc::new(builder);
            let mut connections = Vec::new();
            for _ in 0..2 {
                let (stream, _) = listener.accept().await.unwrap();
                let builder = builder.clone();
                connections.push(tourbillon::spawn(async move {
                    builder
                        .serve_connection(TourbillonIo::new(stream), service_fn(echo))
                        .await
                        .unwrap();
                }));
            }
            for connection in connections {
                connection.await.unwrap();
            }
        });

        let mut h1 = http1_client(TourbillonIo::new(TcpStream::connect(addr).await.unwrap())).await;
        let mut h2 = http2_client(TcpStream::connect(addr).await.unwrap()).await;
        for i in 0..10 {
            // An HTTP/1 sender takes the next request only once the previous one is done.
            h1.ready().await.unwrap();
            let response = h1.send_request(get(&format!("/h1/{i}"))).await.unwrap();
            assert_eq!(body_string(response).await, format!("HTTP/1.1 /h1/{i}"));
            let response = h2.send_request(get(&format!("/h2/{i}"))).await.unwrap();
            assert_eq!(body_string(response).await, format!("HTTP/2.0 /h2/{i}"));
        }
        drop((h1, h2));
        server.await.unwrap();
    });
}

#[test]
fn auto_builder_serves_both_current_thread() {
    within_deadline(|| auto_builder_serves_both(current_thread()));
}

#[test]
fn auto_builder_serves_both_multi_thread() {
    within_deadline(|| auto_builder_serves_both(multi_thread()));
}

#[test]
fn auto_builder_serves_both_one_worker() {
    within_deadline(|| auto_builder_serves_both(one_worker()));
}

// === header_read_timeout on TourbillonTimer ===

fn header_read_timeout_closes_a_silent_client(rt: Runtime) {
    rt.block_on(async {
        let (addr, server) = serve_one(|io| async move {
            hyper::server::conn::http1::Builder::new()
                .timer(TourbillonTimer::new())
                .header_read_timeout(Duration::from_millis(50))
                .serve_connection(io, service_fn(echo))
                .await
        })
        .await;

        let mut client = TcpStream::connect(addr).await.unwrap();
        // Half a request head, then silence.
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let error = server.await.unwrap().unwrap_err();
        assert!(
            error.is_timeout(),
            "the connection ended for another reason: {error}"
        );
        // The server closed the socket: the client reads EOF (or a reset), never a response.
        let mut rest = Vec::new();
        match client.read_to_end(&mut rest).await {
            Ok(_) => assert!(rest.is_empty() || rest.starts_with(b"HTTP/1.1 408")),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        }
    });
}

#[test]
fn header_read_timeout_current_thread() {
    within_deadline(|| header_read_timeout_closes_a_silent_client(current_thread()));
}

#[test]
fn header_read_timeout_multi_thread() {
    within_deadline(|| header_read_timeout_closes_a_silent_client(multi_thread()));
}

// === the generic futures-io path ===

/// A futures-io stream that is not a `TcpStream`: `TourbillonIo` zero-fills hyper's buffer for
/// it and reports no vectored writes.
struct Generic(TcpStream);

impl AsyncRead for Generic {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Generic {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

fn generic_futures_io(rt: Runtime) {
    rt.block_on(async {
        let (addr, server) = serve_one(|io| async move {
            let io = TourbillonIo::new(Generic(io.into_inner()));
            hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service_fn(echo))
                .await
        })
        .await;
        let io = TourbillonIo::new(Generic(TcpStream::connect(addr).await.unwrap()));
        assert!(!hyper::rt::Write::is_write_vectored(&io));
        let mut sender = http1_client(io).await;
        for i in 0..10 {
            sender.ready().await.unwrap();
            let response = sender.send_request(get(&format!("/{i}"))).await.unwrap();
            assert_eq!(body_string(response).await, format!("HTTP/1.1 /{i}"));
        }
        drop(sender);
        server.await.unwrap().unwrap();
    });
}

#[test]
fn generic_futures_io_current_thread() {
    within_deadline(|| generic_futures_io(current_thread()));
}

#[test]
fn generic_futures_io_multi_thread() {
    within_deadline(|| generic_futures_io(multi_thread()));
}

#[test]
fn tcp_stream_reports_vectored_writes() {
    within_deadline(|| {
        current_thread().block_on(async {
            let (client, _server) = support::connected_pair().await;
            assert!(hyper::rt::Write::is_write_vectored(&TourbillonIo::new(
                client
            )));
        });
    });
}

// === the way back: an upgraded connection as futures-io ===

/// Switches to the `echo` protocol, then echoes through futures-io on the upgraded connection.
async fn upgrade_to_echo(
    mut request: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, Infallible> {
    assert_no_tokio_runtime();
    assert_eq!(request.headers()[UPGRADE], "echo");
    let upgrade = hyper::upgrade::on(&mut request);
    tourbillon::spawn(async move {
        let mut upgraded = TourbillonIo::new(upgrade.await.unwrap());
        let mut buf = [0; 64];
        loop {
            let n = upgraded.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            upgraded.write_all(&buf[..n]).await.unwrap();
        }
    });
    let mut response = Response::new(Empty::new());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    response
        .headers_mut()
        .insert(CONNECTION, "upgrade".parse().unwrap());
    response
        .headers_mut()
        .insert(UPGRADE, "echo".parse().unwrap());
    Ok(response)
}

fn upgraded_connection_as_futures_io(rt: Runtime) {
    rt.block_on(async {
        let (addr, server) = serve_one(|io| async move {
            hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service_fn(upgrade_to_echo))
                .with_upgrades()
                .await
        })
        .await;

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TourbillonIo::new(stream))
                .await
                .unwrap();
        tourbillon::spawn(connection.with_upgrades());
        let request = Request::get("/")
            .header(CONNECTION, "upgrade")
            .header(UPGRADE, "echo")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        let mut upgraded = TourbillonIo::new(hyper::upgrade::on(response).await.unwrap());
        for message in [&b"ping"[..], b"a longer message", b"!"] {
            upgraded.write_all(message).await.unwrap();
            let mut echoed = vec![0; message.len()];
            upgraded.read_exact(&mut echoed).await.unwrap();
            assert_eq!(echoed, message);
        }
        upgraded.close().await.unwrap();
        server.await.unwrap().unwrap();
    });
}

#[test]
fn upgraded_connection_current_thread() {
    within_deadline(|| upgraded_connection_as_futures_io(current_thread()));
}

#[test]
fn upgraded_connection_multi_thread() {
    within_deadline(|| upgraded_connection_as_futures_io(multi_thread()));
}
