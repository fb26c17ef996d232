//! `TcpStream::poll_read_uninit`: reads into a `MaybeUninit` buffer; only the filled prefix is
//! ever treated as initialised (valgrind's memcheck, in scripts/sanitizers.sh, would flag a read
//! of the rest).

mod support;

use std::future::poll_fn;
use std::mem::MaybeUninit;

use support::{connected_pair, current_thread, multi_thread, within_deadline};
use tourbillon::net::TcpStream;
use tourbillon::Runtime;

/// Reads once into a fresh uninitialised buffer of `capacity` bytes; returns the filled prefix.
async fn read_uninit(stream: &mut TcpStream, capacity: usize) -> Vec<u8> {
    let mut buf: Vec<MaybeUninit<u8>> = Vec::with_capacity(capacity);
    // SAFETY: `MaybeUninit<u8>` needs no initialisation, and `capacity` elements are allocated.
    unsafe { buf.set_len(capacity) };
    let n = poll_fn(|cx| stream.poll_read_uninit(cx, &mut buf))
        .await
        .unwrap();
    assert!(n <= capacity);
    // SAFETY: `poll_read_uninit` initialised exactly the first `n` bytes.
    let filled = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
    filled.to_vec()
}

fn reads_only_the_filled_prefix(rt: Runtime) {
    rt.block_on(async {
        let (mut client, mut server) = connected_pair().await;

        // The reader waits (Pending) until data arrives, then gets exactly what was sent, into
        // a buffer much larger than the data.
        let reader = tourbillon::spawn(async move {
            let first = read_uninit(&mut server, 4096).await;
            (server, first)
        });
        client.write_all(b"hello").await.unwrap();
        let (mut server, first) = reader.await.unwrap();
        assert_eq!(first, b"hello");

        // A buffer smaller than the data: the rest stays in the socket for the next read.
        client.write_all(b"0123456789").await.unwrap();
        let mut got = Vec::new();
        while got.len() < 10 {
            let part = read_uninit(&mut server, 4).await;
            assert!(!part.is_empty() && part.len() <= 4);
            got.extend_from_slice(&part);
        }
        assert_eq!(got, b"0123456789");

        // EOF is `Ok(0)`, every time.
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(read_uninit(&mut server, 16).await.is_empty());
        assert!(read_uninit(&mut server, 16).await.is_empty());
    });
}

#[test]
fn read_uninit_current_thread() {
    within_deadline(|| reads_only_the_filled_prefix(current_thread()));
}

#[test]
fn read_uninit_multi_thread() {
    within_deadline(|| reads_only_the_filled_prefix(multi_thread()));
}
