//! tourbillon-hyper's `hyper-server` example's server: hyper-util's auto builder (HTTP/1.1 and
//! HTTP/2) on tourbillon's executor, timer and sockets, behind the root servers' accept loop.

use std::io;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::server::conn::auto;
use tourbillon::net::TcpListener;
use tourbillon_hyper::{TourbillonExecutor, TourbillonIo, TourbillonTimer};

use super::hyper_service as service;
use crate::args::Args;
use crate::tourbillon_runtime;

/// Accepts connections forever, serving each one (HTTP/1.1 or HTTP/2) on its own task. The
/// command line's `--header-timeout` is hyper's HTTP/1 `header_read_timeout`; hyper has no
/// idle timeout, so `--idle-timeout` is not used.
pub async fn run(listener: TcpListener, args: Args) -> io::Result<()> {
    let mut builder = auto::Builder::new(TourbillonExecutor::new());
    builder
        .http1()
        .timer(TourbillonTimer::new())
        .header_read_timeout(args.header_timeout);
    builder.http2().timer(TourbillonTimer::new());
    let builder = Arc::new(builder);
    tourbillon_runtime::accept_forever(listener, move |stream, _| {
        let builder = builder.clone();
        tourbillon::spawn(async move {
            // As the root servers do: answers leave as soon as they are written.
            let _ = stream.set_nodelay(true);
            let io = TourbillonIo::new(stream);
            // The client is gone or misbehaved: nothing to tell it, and the server goes on.
            let _ = builder
                .serve_connection(io, service_fn(service::respond))
                .await;
        });
    })
    .await
}
