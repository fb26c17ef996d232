//! A tokio runtime beside tourbillon, as README.md ("Crates bound to tokio's runtime")
//! describes: tokio-bound code fails inside a tourbillon task, and runs when handed to a tokio
//! runtime on its own threads, its `JoinHandle` awaited and its channel read from tourbillon.

mod support;

use std::panic::catch_unwind;
use std::time::Duration;

use support::{assert_no_tokio_runtime, block_on_every_flavor};

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn tokio_bound_code_fails_inside_tourbillon() {
    block_on_every_flavor("tokio-bound code inside tourbillon", |flavor| async move {
        let sleep = catch_unwind(|| tokio::time::sleep(Duration::from_millis(1)));
        let panic = sleep.expect_err("tokio's sleep outside tokio");
        let message = match panic.downcast_ref::<String>() {
            Some(message) => message.clone(),
            None => panic.downcast_ref::<&str>().unwrap().to_string(),
        };
        assert!(
            message.contains("must be called from the context of a Tokio 1.x runtime"),
            "{flavor}: {message}"
        );
    });
}

#[test]
fn tokio_runtime_beside_tourbillon() {
    block_on_every_flavor("tokio runtime beside tourbillon", |flavor| async move {
        let tokio_rt = tokio_runtime();
        let tokio_handle = tokio_rt.handle().clone();
        // A tokio JoinHandle awaited on tourbillon: tokio's reactor and timer did the work.
        let echoed = tokio_handle.spawn(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
            client.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            buf
        });
        let echoed = echoed.await.unwrap();
        assert_eq!(&echoed, b"ping", "{flavor}");

        // Replies from tokio tasks through a channel read on tourbillon.
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        for i in 0..10u32 {
            let tx = tx.clone();
            tokio_handle.spawn(async move { tx.send(i).await.unwrap() });
        }
        drop(tx);
        let mut total = 0;
        while let Some(i) = rx.recv().await {
            assert_no_tokio_runtime(flavor);
            total += i;
        }
        assert_eq!(total, 45, "{flavor}");
        drop(tokio_rt);
    });
}
