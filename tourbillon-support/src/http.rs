//! The HTTP/1.1 core shared by every server example: parsing, routing, response bytes and the
//! cached `Date` header. It does no I/O, so the tourbillon server and its tokio,
//! thread-per-connection and raw-mio twins measure only their runtimes: each one owns a socket
//! loop and calls into this file (the command line is in `args.rs`).
//!
//! Behaviour (that of tokio's `tinyhttp` example):
//! - `GET /plaintext` → `Hello, World!` (`text/plain`), `GET /json` → `{"message":"Hello, World!"}`
//!   (`application/json`); every response carries `Server`, `Content-Type`, `Content-Length` and
//!   `Date`. Other paths get 404, other methods 405.
//! - Keep-alive, and pipelining: [`respond`] answers every complete request in the input and
//!   appends all the responses to one output buffer, so a server writes them with one syscall.
//! - A malformed request gets 400, a request head over [`MAX_HEAD`] bytes (or with more than
//!   [`MAX_HEADERS`] headers) 431, a body that cannot fit the buffer 413, a chunked body 501; each
//!   of those is followed by [`Outcome::Close`].
//!
//! # The caller's contract
//! 1. Read into [`RequestBuffer::spare_mut`], then record the bytes with
//!    [`RequestBuffer::filled_by`]. After [`respond`] returns [`Outcome::Continue`], the spare
//!    area is never empty, so a read of 0 bytes always means end of stream.
//! 2. Call [`respond`] after every read that returned data, then write what it appended. Output
//!    left unwritten may stay in the buffer across calls: responses are only ever appended, so
//!    they stay in request order. (Every server here writes it all before reading again.)
//! 3. On [`Outcome::Close`], write the output, then close the connection.
//!
//! # Date
//! The `Date` header is formatted at most once a second per thread and cached in a thread-local;
//! the clock is read once per [`respond`] call (the vDSO `clock_gettime`, not a syscall).

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::time::{SystemTime, UNIX_EPOCH};

/// The largest request head (request line and headers) accepted; larger ones get 431.
pub const MAX_HEAD: usize = 8 * 1024;

/// The most headers one request may carry; more get 431.
pub const MAX_HEADERS: usize = 32;

/// The most a [`RequestBuffer`] grows to: one maximal head plus room for pipelined requests
/// behind it. A request whose head and body together exceed it gets 413.
pub const BUFFER_CAPACITY: usize = 2 * MAX_HEAD;

/// What a [`RequestBuffer`] starts with: room for a typical request, or a pipelined batch of
/// small ones, without committing [`BUFFER_CAPACITY`] bytes to every idle connection.
const INITIAL_BUFFER: usize = 4 * 1024;

/// The `Server` header's value, identical for every twin so that responses are byte-for-byte equal.
const SERVER: &[u8] = b"tinyhttp";

/// What the connection does after [`respond`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the connection open and read more.
    Continue,
    /// Write the output, then close: the client asked to, or sent something we refuse.
    Close,
}

// === impl RequestBuffer ===

/// The bytes received on one connection and not yet answered: an initialised array with a window
/// `start..end` of pending bytes, so consuming a request is an index bump, not a memmove. It
/// starts at 4 KiB and doubles, up to [`BUFFER_CAPACITY`], only when one partial request fills it.
pub struct RequestBuffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl RequestBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        RequestBuffer {
            bytes: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
        }
    }

    /// The free space after the pending bytes, for the next read. Moves a pending partial request
    /// to the front first, or grows the buffer if the partial request fills it (rare: only when a
    /// request straddles two reads). Never empty while the caller keeps the contract above.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.bytes.len() && self.bytes.len() < BUFFER_CAPACITY {
            self.bytes
                .resize((2 * self.bytes.len()).min(BUFFER_CAPACITY), 0);
        }
        &mut self.bytes[self.end..]
    }

    /// Records that a read put `n` bytes at the front of [`RequestBuffer::spare_mut`].
    ///
    /// # Panics
    /// If `n` exceeds the spare space.
    pub fn filled_by(&mut self, n: usize) {
        assert!(self.end + n <= self.bytes.len(), "read past the buffer");
        self.end += n;
    }

    /// The received bytes not yet consumed by [`respond`].
    pub fn pending(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
    }
}

impl Default for RequestBuffer {
    fn default() -> Self {
        Self::new()
    }
}

// === respond ===

/// Answers every complete request in `input`, appending the responses to `output` in order, and
/// consumes those requests. A trailing partial request stays in `input` for the next read.
pub fn respond(input: &mut RequestBuffer, output: &mut Vec<u8>) -> Outcome {
    let date = http_date_now();
    loop {
        let pending = input.pending();
        if pending.is_empty() {
            return Outcome::Continue;
        }
        let request = match parse(pending) {
            Parsed::Request(request) => request,
            Parsed::Partial => return Outcome::Continue,
            Parsed::Reject(status) => {
                write_response(output, &Response::error(status), &date, true);
                return Outcome::Close;
            }
        };
        let total = request.head_len + request.body_len;
        if total > BUFFER_CAPACITY {
            write_response(
                output,
                &Response::error(Status::PayloadTooLarge),
                &date,
                true,
            );
            return Outcome::Close;
        }
        if total > pending.len() {
            return Outcome::Continue; // wait for the rest of the body
        }
        input.consume(total);
        write_response(output, &request.response, &date, request.close);
        if request.close {
            return Outcome::Close;
        }
    }
}

/// The result of parsing the front of the input.
enum Parsed {
    /// A complete head.
    Request(Request),
    /// Not a complete head yet, and still within [`MAX_HEAD`].
    Partial,
    /// Refused: answer with this status and close.
    Reject(Status),
}

/// What [`respond`] needs from one parsed request head (it owns nothing of the input, so the
/// input can be consumed afterwards).
struct Request {
    head_len: usize,
    body_len: usize,
    close: bool,
    response: Response,
}

fn parse(pending: &[u8]) -> Parsed {
    let mut headers = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    let head_len = match request.parse_with_uninit_headers(pending, &mut headers) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Partial) if pending.len() <= MAX_HEAD => return Parsed::Partial,
        Ok(_) | Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Reject(Status::HeadersTooLarge)
        }
        Err(_) => return Parsed::Reject(Status::BadRequest),
    };
    // HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 closes unless told `keep-alive`.
    let mut close = request.version == Some(0);
    let mut body_len = 0;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            match parse_decimal(header.value) {
                Some(len) => body_len = len,
                None => return Parsed::Reject(Status::BadRequest),
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Reject(Status::NotImplemented);
        } else if header.name.eq_ignore_ascii_case("connection") {
            if contains_token(header.value, b"close") {
                close = true;
            } else if contains_token(header.value, b"keep-alive") {
                close = false;
            }
        }
    }
    let response = match (request.method, request.path) {
        (Some("GET"), Some("/plaintext")) => Response::PLAINTEXT,
        (Some("GET"), Some("/json")) => Response::JSON,
        (_, Some("/plaintext" | "/json")) => Response::error(Status::MethodNotAllowed),
        _ => Response::error(Status::NotFound),
    };
    Parsed::Request(Request {
        head_len,
        body_len,
        close,
        response,
    })
}

/// A non-negative decimal with no sign or spaces, as `Content-Length` requires.
fn parse_decimal(value: &[u8]) -> Option<usize> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0usize, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        acc.checked_mul(10)?.checked_add(usize::from(digit))
    })
}

/// Whether a comma-separated header value lists `token` (case-insensitive).
fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

// === responses ===

/// The statuses this server can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    HeadersTooLarge,
    NotImplemented,
}

impl Status {
    fn line(self) -> &'static [u8] {
        match self {
            Status::Ok => b"200 OK",
            Status::BadRequest => b"400 Bad Request",
            Status::NotFound => b"404 Not Found",
            Status::MethodNotAllowed => b"405 Method Not Allowed",
            Status::PayloadTooLarge => b"413 Payload Too Large",
            Status::HeadersTooLarge => b"431 Request Header Fields Too Large",
            Status::NotImplemented => b"501 Not Implemented",
        }
    }
}

/// A response with a static body.
struct Response {
    status: Status,
    content_type: &'static [u8],
    body: &'static [u8],
}

impl Response {
    const PLAINTEXT: Response = Response {
        status: Status::Ok,
        content_type: b"text/plain",
        body: b"Hello, World!",
    };
    const JSON: Response = Response {
        status: Status::Ok,
        content_type: b"application/json",
        body: br#"{"message":"Hello, World!"}"#,
    };

    /// An empty-bodied error response.
    fn error(status: Status) -> Response {
        Response {
            status,
            content_type: b"text/plain",
            body: b"",
        }
    }
}

fn write_response(output: &mut Vec<u8>, response: &Response, date: &HttpDate, close: bool) {
    output.extend_from_slice(b"HTTP/1.1 ");
    output.extend_from_slice(response.status.line());
    output.extend_from_slice(b"\r\nServer: ");
    output.extend_from_slice(SERVER);
    output.extend_from_slice(b"\r\nContent-Type: ");
    output.extend_from_slice(response.content_type);
    output.extend_from_slice(b"\r\nContent-Length: ");
    write_decimal(output, response.body.len());
    output.extend_from_slice(b"\r\nDate: ");
    output.extend_from_slice(date);
    if close {
        output.extend_from_slice(b"\r\nConnection: close");
    }
    output.extend_from_slice(b"\r\n\r\n");
    output.extend_from_slice(response.body);
}

fn write_decimal(output: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    output.extend_from_slice(&digits[at..]);
}

// === the Date header ===

/// An IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`: always 29 bytes.
pub type HttpDate = [u8; 29];

thread_local! {
    /// The last formatted date and the Unix second it shows (`u64::MAX`: none yet).
    static DATE_CACHE: Cell<(u64, HttpDate)> = const { Cell::new((u64::MAX, [0; 29])) };
}

/// The current time as an HTTP date, reformatted only when the second has changed.
pub fn http_date_now() -> HttpDate {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    DATE_CACHE.with(|cache| {
        let (second, date) = cache.get();
        if second == now {
            return date;
        }
        let date = format_http_date(now);
        cache.set((now, date));
        date
    })
}

/// Formats seconds since the Unix epoch as an IMF-fixdate (RFC 9110 §5.6.7).
pub fn format_http_date(unix_secs: u64) -> HttpDate {
    const WEEKDAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);

    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(WEEKDAYS[(days % 7) as usize]); // 1970-01-01 was a Thursday
    put_two_digits(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    put_two_digits(&mut out[12..14], year / 100);
    put_two_digits(&mut out[14..16], year % 100);
    put_two_digits(&mut out[17..19], secs_of_day / 3600);
    put_two_digits(&mut out[20..22], secs_of_day / 60 % 60);
    put_two_digits(&mut out[23..25], secs_of_day % 60);
    out
}

fn put_two_digits(out: &mut [u8], n: u64) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01: Howard Hinnant's
/// `civil_from_days`, which counts 400-year eras starting on 1 March.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
