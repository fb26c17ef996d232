//! tokio's `AsyncRead`/`AsyncWrite` on tourbillon sockets (feature `tokio-io`): tokio-util's
//! line codec and tokio's `io::copy` over a loopback `TcpStream` and its halves, with no tokio
//! runtime anywhere.
//!
//! Run with `cargo test --features tokio-io --test tokio_io`.

mod support;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Framed, FramedRead, FramedWrite, LinesCodec};
use tourbillon::net::{TcpListener, TcpStream};

use support::{assert_no_tokio_runtime, block_on_every_flavor};

const LINES: usize = 200;

/// A line echo server on the owned halves: `FramedRead` on one, `FramedWrite` on the other.
/// Returns how many lines it echoed once the client closes its side.
async fn serve_lines(listener: TcpListener) -> usize {
    assert_no_tokio_runtime("server task");
    let (stream, _) = listener.accept().await.unwrap();
    let (read, write) = stream.into_split();
    let mut requests = FramedRead::new(read, LinesCodec::new());
    let mut replies = FramedWrite::new(write, LinesCodec::new());
    let mut echoed = 0;
    while let Some(line) = requests.next().await {
        replies
            .send(format!("echo {}", line.unwrap()))
            .await
            .unwrap();
        echoed += 1;
    }
    // The client closed its write side: close ours (poll_shutdown), so it reads the end.
    SinkExt::<String>::close(&mut replies).await.unwrap();
    echoed
}

#[test]
fn lines_codec_echo_over_tcp() {
    block_on_every_flavor("LinesCodec echo", |flavor| async move {
        assert_no_tokio_runtime(flavor);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tourbillon::spawn(serve_lines(listener));
        let client = TcpStream::connect(addr).await.unwrap();
        let mut lines = Framed::new(client, LinesCodec::new());

        // One at a time: each reply comes back before the next request goes out.
        for i in 0..LINES / 2 {
            lines.send(format!("one {i}")).await.unwrap();
            let reply = lines.next().await.unwrap().unwrap();
            assert_eq!(reply, format!("echo one {i}"), "{flavor}");
        }
        // Pipelined: every request written (and flushed) before any reply is read.
        for i in 0..LINES / 2 {
            lines.feed(format!("many {i}")).await.unwrap();
        }
        SinkExt::<String>::flush(&mut lines).await.unwrap();
        for i in 0..LINES / 2 {
            let reply = lines.next().await.unwrap().unwrap();
            assert_eq!(reply, format!("echo many {i}"), "{flavor}");
        }

        // Closing the sink shuts down the write side; the server then closes its own.
        SinkExt::<String>::close(&mut lines).await.unwrap();
        assert!(lines.next().await.is_none(), "{flavor}: no end of stream");
        assert_eq!(server.await.unwrap(), LINES, "{flavor}");
    });
}

#[test]
fn tokio_io_copy_echo_on_borrowed_halves() {
    block_on_every_flavor("tokio::io::copy echo", |flavor| async move {
        let (mut client, mut server) = support::connected_pair().await;
        let echo = tourbillon::spawn(async move {
            assert_no_tokio_runtime("echo task");
            let (mut read, mut write) = server.split();
            let copied = tokio::io::copy(&mut read, &mut write).await.unwrap();
            // The trait's `shutdown` (the halves also have a plain one).
            AsyncWriteExt::shutdown(&mut write).await.unwrap();
            copied
        });
        // Larger than a socket buffer, so both sides wait on the reactor on the way.
        let sent: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let (mut read, mut write) = client.split();
        let writer = async {
            // Through tokio's traits, not the halves' own methods of the same names.
            AsyncWriteExt::write_all(&mut write, &sent).await.unwrap();
            AsyncWriteExt::shutdown(&mut write).await.unwrap();
        };
        let mut received = Vec::new();
        let reader = read.read_to_end(&mut received);
        let ((), read_bytes) = futures_util::future::join(writer, reader).await;
        assert_eq!(read_bytes.unwrap(), sent.len(), "{flavor}");
        assert!(received == sent, "{flavor}: the echo differs");
        assert_eq!(echo.await.unwrap(), sent.len() as u64, "{flavor}");
    });
}

#[test]
fn lines_codec_over_a_unix_stream_pair_and_owned_halves() {
    block_on_every_flavor("LinesCodec over UnixStream", |flavor| async move {
        let (client, server) = tourbillon::net::UnixStream::pair().unwrap();
        let echo = tourbillon::spawn(async move {
            assert_no_tokio_runtime("unix echo task");
            let (read, write) = server.into_split();
            let mut lines = FramedRead::new(read, LinesCodec::new());
            let mut replies = FramedWrite::new(write, LinesCodec::new());
            while let Some(line) = lines.next().await {
                replies
                    .send(format!("echo {}", line.unwrap()))
                    .await
                    .unwrap();
            }
        });
        let mut lines = Framed::new(client, LinesCodec::new());
        for i in 0..10 {
            lines.send(format!("unix {i}")).await.unwrap();
            let reply = lines.next().await.unwrap().unwrap();
            assert_eq!(reply, format!("echo unix {i}"), "{flavor}");
        }
        SinkExt::<String>::close(&mut lines).await.unwrap();
        echo.await.unwrap();
    });
}
