//! Tasks waiting on sockets sleep: the reactor blocks in the OS poll, nothing spins.
//!
//! Its own test binary, because it reads the whole process's CPU time.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::{
    current_thread, multi_thread, process_cpu_ticks, within_deadline, MAX_TICKS_PER_IDLE_SECOND,
};
use tourbillon::net::TcpListener;
use tourbillon::Runtime;

const IDLE: Duration = Duration::from_secs(1);

/// A reader and an acceptor wait for one second; then a plain thread sends, and the read must
/// return what it sent (so the wait was real), not before it was sent.
fn waits_on_sockets_without_spinning(rt: Runtime) {
    let (used, sent_at, read_at) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();

        let reading = tourbillon::spawn(async move {
            // A stream read may return part of what was sent (TOURBILLON_FAULTS=short makes it
            // so): read until all four bytes are in.
            let mut buf = [0; 4];
            let mut n = 0;
            while n < buf.len() {
                n += server.read(&mut buf[n..]).await.unwrap();
            }
            (buf.to_vec(), Instant::now())
        });
        let accepting = tourbillon::spawn(async move { listener.accept().await.map(|_| ()) });

        let before = process_cpu_ticks();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(IDLE);
            let sent_at = Instant::now();
            client.write_all(b"ping").unwrap();
            std::net::TcpStream::connect(addr).unwrap(); // releases the acceptor
            sent_at
        });
        let (got, read_at) = reading.await.unwrap();
        accepting.await.unwrap().unwrap();
        let used = process_cpu_ticks() - before;
        assert_eq!(got, b"ping");
        (used, sender.join().unwrap(), read_at)
    });
    assert!(
        read_at >= sent_at,
        "the read returned before the data was sent"
    );
    assert!(
        used < MAX_TICKS_PER_IDLE_SECOND,
        "waiting on sockets used {used} ticks in {IDLE:?}"
    );
}

#[test]
fn tasks_waiting_on_sockets_sleep_on_two_workers() {
    within_deadline(|| waits_on_sockets_without_spinning(multi_thread()));
}

#[test]
fn tasks_waiting_on_sockets_sleep_on_current_thread() {
    within_deadline(|| waits_on_sockets_without_spinning(current_thread()));
}
