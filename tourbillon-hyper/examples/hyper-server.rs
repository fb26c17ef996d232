//! hyper 1.x on tourbillon: `/plaintext` and `/json` as the root crate's `http-server` answers
//! them, over HTTP/1.1 and HTTP/2 (hyper-util's auto builder tells them apart by the first
//! bytes of each connection). The closest benchmark to what users run.
//!
//! ```text
//! cargo run --release -p tourbillon-hyper --example hyper-server -- [ADDR]
//!     [--threads N | --current-thread] [--events-per-tick N]
//! curl -i http://127.0.0.1:8080/json
//! curl -i --http2-prior-knowledge http://127.0.0.1:8080/plaintext
//! ```
//!
//! The command line, the runtime and the accept loop are the root examples' own
//! (`examples/support/`); the handler is `support/service.rs`, shared with the tokio twin
//! `hyper-server-tokio` that `scripts/wrk-compare.sh` measures this server against.

#[path = "../../examples/support/args.rs"]
pub mod args;
#[path = "support/service.rs"]
pub mod service;
#[path = "../../examples/support/tourbillon_runtime.rs"]
pub mod tourbillon_runtime;

use std::io;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::server::conn::auto;
use tourbillon::net::TcpListener;
use tourbillon_hyper::{TourbillonExecutor, TourbillonIo, TourbillonTimer};

fn main() -> io::Result<()> {
    // hyper keeps its own header-read timeout (30 s once a timer is set): the root servers'
    // `--header-timeout` and `--idle-timeout` are not used here.
    tourbillon_runtime::main("hyper-server", |listener, _| run(listener))
}

/// Accepts connections forever, serving each one (HTTP/1.1 or HTTP/2) on its own task.
pub async fn run(listener: TcpListener) -> io::Result<()> {
    let mut builder = auto::Builder::new(TourbillonExecutor::new());
    builder.http1().timer(TourbillonTimer::new());
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
