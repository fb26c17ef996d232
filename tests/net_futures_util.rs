//! `TcpStream` and its halves under `futures_util::io`'s extension traits.

use tourbillon_support::testing as support;

use futures_util::future::join;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use support::{connected_pair, current_thread, multi_thread, within_deadline};

#[test]
fn read_exact_and_write_all_on_a_stream() {
    within_deadline(|| {
        multi_thread().block_on(async {
            let (mut client, mut server) = connected_pair().await;

            let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            let expected = message.clone();
            let sending = tourbillon::spawn(async move {
                AsyncWriteExt::write_all(&mut client, &message)
                    .await
                    .unwrap();
                client.close().await.unwrap(); // poll_close: shut down the write side
                client
            });
            let mut received = vec![0; expected.len()];
            AsyncReadExt::read_exact(&mut server, &mut received)
                .await
                .unwrap();
            assert!(received == expected);

            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty(), "EOF after the message");
            drop(sending.await.unwrap());
        });
    });
}

#[test]
fn copy_between_owned_halves_echoes() {
    within_deadline(|| {
        current_thread().block_on(async {
            let (client, server) = connected_pair().await;

            let echo = tourbillon::spawn(async move {
                let (mut reader, mut writer) = server.into_split();
                let copied = futures_util::io::copy(&mut reader, &mut writer)
                    .await
                    .unwrap();
                writer.close().await.unwrap();
                copied
            });

            let (mut reader, mut writer) = client.into_split();
            let request = b"echo me, through futures-util".repeat(1000);
            let send = async {
                writer.write_all(&request).await.unwrap();
                writer.close().await.unwrap();
            };
            let mut reply = Vec::new();
            let receive = reader.read_to_end(&mut reply);
            let ((), received) = join(send, receive).await;
            assert_eq!(received.unwrap(), request.len());
            assert!(reply == request);
            assert_eq!(echo.await.unwrap(), request.len() as u64);
        });
    });
}
