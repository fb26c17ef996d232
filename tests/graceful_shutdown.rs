//! The http-server example's graceful shutdown, driven by a real SIGTERM: it stops accepting,
//! closes the connections with no request in hand at once, lets a connection that is halfway
//! through a request finish it and get its answer, and `run` returns `Ok` (so the example's
//! `main` exits 0). Signals are process-wide, so this test has a binary of its own, and it
//! raises each signal only once the server has answered a request (by then `run` has
//! registered its handlers). Nothing here waits on time: each step waits for the server's
//! answer or close.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use tourbillon_support::args::{Args, Flavor};
use tourbillon_support::servers::http_server as server;
use tourbillon_support::testing::{self as support, watchdog};
use tourbillon_support::tourbillon_runtime;

const GET_JSON: &[u8] = b"GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n";
const JSON_BODY: &[u8] = br#"{"message":"Hello, World!"}"#;

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(support::DEADLINE)).unwrap();
    stream
}

/// Reads one whole response (this server's answers are small and end with the JSON body).
fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut response = Vec::new();
    let mut buf = [0; 1024];
    while !response.ends_with(JSON_BODY) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the answer: {response:?}");
        response.extend_from_slice(&buf[..n]);
    }
    response
}

/// Reads until the server closes the connection; what came before the close.
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}"),
    }
    rest
}

fn graceful_shutdown_on(flavor: Flavor) {
    let args = Args::parse(["--header-timeout", "20"].map(String::from)).unwrap();
    let rt = tourbillon_runtime::build(flavor, None).unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let serving = std::thread::spawn(move || {
        rt.block_on(async move {
            let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            server::run(listener, args).await
        })
    });
    let addr = addr_rx.recv().unwrap();

    // An idle keep-alive connection, answered once (so `run` has registered its handlers).
    let mut idle = connect(addr);
    idle.write_all(GET_JSON).unwrap();
    read_response(&mut idle);
    // A connection halfway through its second request: both requests go in one write, so
    // once the first is answered the server holds the second's first half.
    let mut halfway = connect(addr);
    let first_and_a_half = [GET_JSON, &GET_JSON[..10]].concat();
    halfway.write_all(&first_and_a_half).unwrap();
    read_response(&mut halfway);

    // SAFETY: raising a signal has no memory-safety preconditions; `run` installed a handler
    // for it (the answers above came after `run` registered), so the process survives it.
    assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);

    // The idle connection is closed without another word.
    assert!(
        read_to_close(&mut idle).is_empty(),
        "{flavor:?}: idle got data"
    );
    // The halfway request is answered, then the connection closes.
    halfway.write_all(&GET_JSON[10..]).unwrap();
    let answer = read_response(&mut halfway);
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{flavor:?}: {answer:?}"
    );
    assert!(read_to_close(&mut halfway).is_empty());
    // `run` returns Ok: the example's `main` exits 0.
    serving.join().unwrap().unwrap();
    // The listener closed before `run` returned: nothing accepts any more.
    let error = TcpStream::connect(addr).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{flavor:?}");
}

#[test]
fn sigterm_drains_the_http_server_and_run_returns_ok() {
    watchdog("http-server graceful shutdown on SIGTERM", || {
        for flavor in [
            Flavor::CurrentThread,
            Flavor::MultiThread { workers: 1 },
            Flavor::MultiThread { workers: 2 },
        ] {
            graceful_shutdown_on(flavor);
        }
    });
}
