//! The hyper service both hyper servers run (`hyper-server` on tourbillon, `hyper-server-tokio`
//! on tokio), so `scripts/wrk-compare.sh` compares runtimes under the same handler. It answers
//! what the root crate's `examples/support/http.rs` answers, over HTTP/1.1 and HTTP/2:
//!
//! - `GET /plaintext` → `Hello, World!` (`text/plain`);
//! - `GET /json` → `{"message":"Hello, World!"}` (`application/json`);
//! - another method on those paths → 405, any other path → 404, with an empty body.
//!
//! Every response carries `server: tinyhttp`, `content-type` and `content-length` (set here:
//! hyper's HTTP/1 would leave it out of an empty body); hyper adds `date` (its own per-second
//! cache).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use hyper::{Method, Request, Response, StatusCode};

const PLAINTEXT: &[u8] = b"Hello, World!";
const JSON: &[u8] = br#"{"message":"Hello, World!"}"#;

/// Answers one request (the body of the request is not read: no route takes one).
pub async fn respond<B>(request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/plaintext") => (StatusCode::OK, "text/plain", PLAINTEXT),
        (&Method::GET, "/json") => (StatusCode::OK, "application/json", JSON),
        (_, "/plaintext" | "/json") => (StatusCode::METHOD_NOT_ALLOWED, "text/plain", &b""[..]),
        _ => (StatusCode::NOT_FOUND, "text/plain", &b""[..]),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("tinyhttp"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    Ok(response)
}
