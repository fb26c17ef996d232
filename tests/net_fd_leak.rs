//! 1,000 sequential connections leave the process's open-descriptor count where it was.
//!
//! Alone in its file, so no other test of this binary opens descriptors meanwhile.

use tourbillon_support::testing as support;

use support::{multi_thread, open_fds, within_deadline};
use tourbillon::net::{TcpListener, TcpStream};

#[test]
fn a_thousand_sequential_connections_leak_no_descriptor() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let before = open_fds();
            for i in 0..1000u32 {
                let mut client = TcpStream::connect(addr).await.unwrap();
                let (mut server, _) = listener.accept().await.unwrap();
                client.write_all(&i.to_le_bytes()).await.unwrap();
                let mut buf = [0; 4];
                let mut got = 0;
                while got < 4 {
                    got += server.read(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(u32::from_le_bytes(buf), i);
                if i % 2 == 0 {
                    // Half of them closed through owned halves, which must close too.
                    drop(client.into_split());
                } else {
                    drop(client);
                }
                drop(server);
            }
            assert_eq!(open_fds(), before, "descriptors leaked");
        });
    });
}
