//! tourbillon-hyper's `hyper-server-tokio` twin's server: the same hyper service on
//! hyper-util's tokio adapters (`TokioExecutor`, `TokioTimer`, `TokioIo`).

use std::io;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use super::hyper_service as service;
use crate::args::Args;
use crate::tokio_runtime;

/// Accepts connections forever, serving each one (HTTP/1.1 or HTTP/2) on its own task. The
/// command line's `--header-timeout` is hyper's HTTP/1 `header_read_timeout`; hyper has no
/// idle timeout, so `--idle-timeout` is not used.
pub async fn run(listener: TcpListener, args: Args) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(args.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    tokio_runtime::accept_forever(listener, move |stream, _| {
        let builder = builder.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(stream);
            let _ = builder
                .serve_connection(io, service_fn(service::respond))
                .await;
        });
    })
    .await
}
