//! Cooperative budgeting: a task whose socket is always ready still lets others run.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use tourbillon::net::UdpSocket;

#[test]
fn an_always_ready_socket_does_not_starve_other_tasks() {
    // 200 datagrams wait in the kernel before the reader starts, so every `recv` is ready at
    // once: without a budget the reader would take all 200 in one poll.
    const DATAGRAMS: usize = 200;
    let rt = tourbillon::Builder::new_current_thread().build().unwrap();
    let received_when_other_ran = rt.block_on(async {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = receiver.local_addr().unwrap();
        for _ in 0..DATAGRAMS {
            sender.send_to(b"x", to).await.unwrap();
        }
        let received = Arc::new(AtomicUsize::new(0));
        let reader = tourbillon::spawn({
            let received = received.clone();
            async move {
                let mut buf = [0u8; 16];
                for _ in 0..DATAGRAMS {
                    receiver.recv_from(&mut buf).await.unwrap();
                    received.fetch_add(1, SeqCst);
                }
            }
        });
        let other = tourbillon::spawn({
            let received = received.clone();
            async move { received.load(SeqCst) }
        });
        let seen = other.await.unwrap();
        reader.await.unwrap();
        assert_eq!(received.load(SeqCst), DATAGRAMS);
        seen
    });
    assert!(
        received_when_other_ran < DATAGRAMS,
        "the other task ran only after all {DATAGRAMS} reads"
    );
}
