//! # tourbillon-hyper
//!
//! hyper 1.x on tourbillon: the three pieces hyper asks of a runtime, as hyper-util's `rt::tokio`
//! module provides them for tokio.
//!
//! | item | hyper trait | what it does |
//! |------|-------------|--------------|
//! | [`TourbillonExecutor`] | `hyper::rt::Executor` | spawns hyper's background tasks (HTTP/2 streams and connection drivers) on the runtime it was made in, from any thread |
//! | [`TourbillonTimer`] | `hyper::rt::Timer` | sleeps on tourbillon's timer wheel (header read timeouts, HTTP/2 keep-alive); `reset` moves a sleep in place |
//! | [`TourbillonIo`] | `hyper::rt::Read` / `Write` | wraps a [`tourbillon::net::TcpStream`] (or any `futures-io` type) as a hyper connection, and a hyper connection (an upgraded one) as `futures-io` |
//!
//! This crate is a workspace member of its own, not a module of the core, so that hyper (and
//! the parts of tokio it pulls in) stay out of the core crate and its loom build. No tokio
//! runtime is involved anywhere: the tests check that none is current inside hyper's handlers.
//!
//! # Examples
//!
//! An HTTP/1.1 server and client on one runtime:
//!
//! ```
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::{service::service_fn, Request, Response};
//! use tourbillon::net::{TcpListener, TcpStream};
//! use tourbillon_hyper::TourbillonIo;
//!
//! # tourbillon::block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tourbillon::spawn(async move {
//!     let (stream, _) = listener.accept().await.unwrap();
//!     let hello = service_fn(|_req: Request<hyper::body::Incoming>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//!     });
//!     hyper::server::conn::http1::Builder::new()
//!         .serve_connection(TourbillonIo::new(stream), hello)
//!         .await
//!         .unwrap();
//! });
//!
//! let stream = TcpStream::connect(addr).await?;
//! let (mut sender, connection) = hyper::client::conn::http1::handshake(TourbillonIo::new(stream))
//!     .await
//!     .unwrap();
//! tourbillon::spawn(connection);
//! let request = Request::get("/").body(Empty::<Bytes>::new()).unwrap();
//! let response = sender.send_request(request).await.unwrap();
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(body, "hello");
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```
#![warn(missing_docs, rust_2018_idioms)]

mod executor;
mod io;
mod timer;

pub use executor::TourbillonExecutor;
pub use io::TourbillonIo;
pub use timer::TourbillonTimer;
