//! tourbillon-hyper's `hyper-server-tokio` twin's server: the same hyper service on
//! hyper-util's tokio adapters (`TokioExecutor`, `TokioTimer`, `TokioIo`).

use std::io;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use super::hyper_service as service;

/// Accepts connections forever, serving each one (HTTP/1.1 or HTTP/2) on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let builder = builder.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let io = TokioIo::new(stream);
                    let _ = builder
                        .serve_connection(io, service_fn(service::respond))
                        .await;
                });
            }
            // Out of file descriptors, or a connection reset before we took it: the listener is
            // still fine.
            Err(error) => eprintln!("accept: {error}"),
        }
    }
}
