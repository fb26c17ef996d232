//! `accept` under `EMFILE`: the error comes back at once, and the listener works again once
//! descriptors are available.
//!
//! Alone in its file: it lowers the process's descriptor limit, which would break tests running
//! beside it.

mod support;

use std::os::fd::AsRawFd;

use support::{current_thread, nofile_limit, set_nofile_limit, within_deadline};
use tourbillon::net::TcpListener;

#[test]
fn accept_returns_emfile_and_the_listener_recovers() {
    within_deadline(|| {
        current_thread().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // Completed handshakes wait in the backlog until accepted.
            let first = std::net::TcpStream::connect(addr).unwrap();
            let second = std::net::TcpStream::connect(addr).unwrap();

            // The lowest free descriptor becomes the limit: no new descriptor can be made.
            let lowest_free = std::fs::File::open("/dev/null").unwrap().as_raw_fd();
            let original = nofile_limit();
            set_nofile_limit(libc::rlimit {
                rlim_cur: lowest_free as libc::rlim_t,
                rlim_max: original.rlim_max,
            });
            let results = [listener.accept().await.err(), listener.accept().await.err()];
            set_nofile_limit(original);

            for error in results {
                let error = error.expect("accept cannot succeed without a free descriptor");
                assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{error}");
            }
            let (_, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, first.local_addr().unwrap());
            let (_, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, second.local_addr().unwrap());
        });
    });
}
