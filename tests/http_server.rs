//! The server examples: the shared HTTP module tested directly (it does no I/O; property tests
//! cut random pipelines and random garbage into random reads), then every HTTP
//! server's own accept loop served in-process on 127.0.0.1:0 and driven by a blocking client —
//! keep-alive on both paths, a pipelined pair in one write, garbage, oversized headers — the
//! echo example the same way, and the async servers against hostile clients: header-dripping
//! clients closed at the header timeout while a fast client is served, silent and idle
//! connections closed, non-HTTP input answered 400.
//!
//! The loops under test are the examples' own (`tourbillon_support::servers`), the very ones
//! `scripts/wrk-compare.sh` measures.

use tourbillon_support::servers::{
    echo as echo_server, http_server as tourbillon_server, http_server_mio as mio_server,
    http_server_threads as threads_server, http_server_tokio as tokio_server,
};
use tourbillon_support::{args, http, tokio_runtime, tourbillon_runtime};

use std::future::Future;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Outcome, RequestBuffer};
use proptest::prelude::*;

const GET_PLAINTEXT: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
const GET_JSON: &[u8] = b"GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n";
const JSON_BODY: &[u8] = br#"{"message":"Hello, World!"}"#;

// === the HTTP module ===

/// Delivers `bytes` as a server would: reads of as much as the spare space takes, each followed
/// by `respond`, until all is delivered or the answer is to close.
fn feed(input: &mut RequestBuffer, output: &mut Vec<u8>, mut bytes: &[u8]) -> Outcome {
    loop {
        let spare = input.spare_mut();
        assert!(!spare.is_empty(), "the contract promises room to read");
        let n = spare.len().min(bytes.len());
        spare[..n].copy_from_slice(&bytes[..n]);
        input.filled_by(n);
        bytes = &bytes[n..];
        let outcome = http::respond(input, output);
        if outcome == Outcome::Close || bytes.is_empty() {
            return outcome;
        }
    }
}

/// Splits an output buffer into (head, body) pairs, using each head's Content-Length.
fn split_responses(mut output: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut responses = Vec::new();
    while !output.is_empty() {
        let end = output
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete head");
        let head = String::from_utf8(output[..end].to_vec()).unwrap();
        let len = content_length(&head);
        let body = output[end + 4..end + 4 + len].to_vec();
        output = &output[end + 4 + len..];
        responses.push((head, body));
    }
    responses
}

fn content_length(head: &str) -> usize {
    header(head, "content-length")
        .expect("Content-Length")
        .parse()
        .unwrap()
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn respond_all(bytes: &[u8]) -> (Outcome, Vec<(String, Vec<u8>)>) {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let outcome = feed(&mut input, &mut output, bytes);
    (outcome, split_responses(&output))
}

#[test]
fn plaintext_and_json_have_bodies_and_all_four_headers() {
    let (outcome, responses) = respond_all(GET_PLAINTEXT);
    assert_eq!(outcome, Outcome::Continue);
    let (head, body) = &responses[0];
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(header(head, "content-type"), Some("text/plain"));
    assert_eq!(header(head, "server"), Some("tinyhttp"));
    assert_eq!(header(head, "date").map(str::len), Some(29));
    assert_eq!(body, b"Hello, World!");

    let (outcome, responses) = respond_all(GET_JSON);
    assert_eq!(outcome, Outcome::Continue);
    let (head, body) = &responses[0];
    assert_eq!(header(head, "content-type"), Some("application/json"));
    assert_eq!(body, JSON_BODY);
}

#[test]
fn pipelined_requests_are_all_answered_in_order_into_one_output() {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let requests = [
        GET_JSON,
        GET_PLAINTEXT,
        b"GET /missing HTTP/1.1\r\n\r\n",
        GET_JSON,
    ]
    .concat();
    assert_eq!(feed(&mut input, &mut output, &requests), Outcome::Continue);
    assert!(input.pending().is_empty(), "every request consumed");
    let responses = split_responses(&output);
    let bodies: Vec<&[u8]> = responses.iter().map(|(_, b)| b.as_slice()).collect();
    assert_eq!(bodies, [JSON_BODY, b"Hello, World!", b"", JSON_BODY]);
    assert!(responses[2].0.starts_with("HTTP/1.1 404 Not Found\r\n"));
}

#[test]
fn a_long_pipeline_straddling_many_reads_is_answered_in_order() {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let requests: Vec<u8> = (0..300)
        .flat_map(|i| {
            if i % 3 == 0 { GET_JSON } else { GET_PLAINTEXT }
                .iter()
                .copied()
        })
        .collect();
    assert!(requests.len() > 3 * 4096, "several buffers' worth");
    assert_eq!(feed(&mut input, &mut output, &requests), Outcome::Continue);
    let responses = split_responses(&output);
    assert_eq!(responses.len(), 300);
    for (i, (_, body)) in responses.iter().enumerate() {
        let expected: &[u8] = if i % 3 == 0 {
            JSON_BODY
        } else {
            b"Hello, World!"
        };
        assert_eq!(body, expected, "response {i}");
    }
    assert!(input.pending().is_empty());
}

#[test]
fn a_request_split_across_reads_is_answered_once_complete() {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let two = [GET_PLAINTEXT, GET_JSON].concat();
    let (first, rest) = two.split_at(GET_PLAINTEXT.len() + 10);
    assert_eq!(feed(&mut input, &mut output, first), Outcome::Continue);
    assert_eq!(split_responses(&output).len(), 1);
    assert_eq!(
        input.pending(),
        &GET_JSON[..10],
        "the partial request is kept"
    );
    assert_eq!(feed(&mut input, &mut output, rest), Outcome::Continue);
    let responses = split_responses(&output);
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[1].1, JSON_BODY);
}

#[test]
fn garbage_gets_400_and_close() {
    for garbage in [
        &b"garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x00\x01\x02\r\n\r\n",
    ] {
        let (outcome, responses) = respond_all(garbage);
        assert_eq!(outcome, Outcome::Close, "{garbage:?}");
        assert!(responses[0].0.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert_eq!(header(&responses[0].0, "connection"), Some("close"));
    }
}

/// A request head of `len` bytes with one long header, finished or not.
fn long_head(len: usize, finished: bool) -> Vec<u8> {
    let start = b"GET /json HTTP/1.1\r\nX-Pad: ";
    let end: &[u8] = if finished { b"\r\n\r\n" } else { b"" };
    let pad = vec![b'a'; len - start.len() - end.len()];
    [&start[..], &pad, end].concat()
}

#[test]
fn a_head_over_8_kib_gets_431_and_close_finished_or_not() {
    let (outcome, responses) = respond_all(&long_head(http::MAX_HEAD, true));
    assert_eq!(outcome, Outcome::Continue, "exactly 8 KiB is allowed");
    assert!(responses[0].0.starts_with("HTTP/1.1 200 OK\r\n"));

    for finished in [true, false] {
        let (outcome, responses) = respond_all(&long_head(http::MAX_HEAD + 1, finished));
        assert_eq!(outcome, Outcome::Close, "finished: {finished}");
        assert!(responses[0]
            .0
            .starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    }

    let mut many = b"GET /json HTTP/1.1\r\n".to_vec();
    for i in 0..=http::MAX_HEADERS {
        many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let (outcome, responses) = respond_all(&many);
    assert_eq!(outcome, Outcome::Close);
    assert!(responses[0].0.starts_with("HTTP/1.1 431 "));
}

#[test]
fn a_pending_partial_head_always_leaves_room_to_read() {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let partial = long_head(http::MAX_HEAD, false);
    assert_eq!(feed(&mut input, &mut output, &partial), Outcome::Continue);
    assert!(output.is_empty());
    assert!(!input.spare_mut().is_empty());
}

#[test]
fn other_paths_get_404_and_other_methods_405() {
    let (outcome, responses) = respond_all(b"GET /other HTTP/1.1\r\n\r\n");
    assert_eq!(outcome, Outcome::Continue);
    assert!(responses[0].0.starts_with("HTTP/1.1 404 Not Found\r\n"));
    let (outcome, responses) = respond_all(b"DELETE /json HTTP/1.1\r\n\r\n");
    assert_eq!(outcome, Outcome::Continue);
    assert!(responses[0].0.starts_with("HTTP/1.1 405 "));
}

#[test]
fn connection_close_and_http_1_0_close_unless_kept_alive() {
    let (outcome, responses) = respond_all(b"GET /json HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(outcome, Outcome::Close);
    assert_eq!(responses[0].1, JSON_BODY);
    assert_eq!(header(&responses[0].0, "connection"), Some("close"));

    let (outcome, _) = respond_all(b"GET /json HTTP/1.0\r\n\r\n");
    assert_eq!(outcome, Outcome::Close);
    let (outcome, _) = respond_all(b"GET /json HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert_eq!(outcome, Outcome::Continue);
}

#[test]
fn request_bodies_are_skipped_and_unsupported_ones_refused() {
    let mut input = RequestBuffer::new();
    let mut output = Vec::new();
    let with_body = b"GET /json HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    let (head, body) = with_body.split_at(with_body.len() - 3);
    assert_eq!(feed(&mut input, &mut output, head), Outcome::Continue);
    assert!(output.is_empty(), "no answer before the body is in");
    assert_eq!(
        feed(&mut input, &mut output, &[body, GET_PLAINTEXT].concat()),
        Outcome::Continue
    );
    let bodies: Vec<Vec<u8>> = split_responses(&output)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    assert_eq!(bodies, [JSON_BODY.to_vec(), b"Hello, World!".to_vec()]);

    let chunked = b"GET /json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let (outcome, responses) = respond_all(chunked);
    assert_eq!(outcome, Outcome::Close);
    assert!(responses[0].0.starts_with("HTTP/1.1 501 "));

    let huge = b"GET /json HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n";
    let (outcome, responses) = respond_all(huge);
    assert_eq!(outcome, Outcome::Close);
    assert!(responses[0].0.starts_with("HTTP/1.1 413 "));

    let (outcome, responses) = respond_all(b"GET /json HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
    assert_eq!(outcome, Outcome::Close);
    assert!(responses[0].0.starts_with("HTTP/1.1 400 "));
}

// === the HTTP module under random input ===

/// Delivers `bytes` in reads of the sizes `reads` cycles through (each capped by the spare
/// space), calling `respond` after each, until all is delivered or the answer is to close.
fn feed_in_reads(
    input: &mut RequestBuffer,
    output: &mut Vec<u8>,
    mut bytes: &[u8],
    reads: &[usize],
) -> Outcome {
    for &read in reads.iter().cycle() {
        let spare = input.spare_mut();
        assert!(!spare.is_empty(), "the contract promises room to read");
        let n = read.min(spare.len()).min(bytes.len());
        spare[..n].copy_from_slice(&bytes[..n]);
        input.filled_by(n);
        bytes = &bytes[n..];
        let outcome = http::respond(input, output);
        if outcome == Outcome::Close || bytes.is_empty() {
            return outcome;
        }
    }
    unreachable!("`reads` is never empty")
}

/// One valid request: a path, some padding headers, maybe a body.
fn request() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec!["/json", "/plaintext", "/missing"]),
        prop::collection::vec("[A-Za-z0-9]{1,40}", 0..6),
        prop::option::of("[a-z]{0,64}"),
    )
        .prop_map(|(path, pads, body)| {
            let mut request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n");
            for (i, pad) in pads.iter().enumerate() {
                request.push_str(&format!("X-Pad-{i}: {pad}\r\n"));
            }
            if let Some(body) = &body {
                request.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            request.push_str("\r\n");
            request.push_str(body.as_deref().unwrap_or(""));
            request.into_bytes()
        })
}

fn reads() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..2000usize, 1..20)
}

/// The status lines and bodies of `responses`, Date aside (it may tick over).
fn statuses_and_bodies(responses: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    responses
        .into_iter()
        .map(|(head, body)| (head.lines().next().unwrap().to_string(), body))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// However a pipeline of valid requests is cut into reads, every request is answered, in
    /// order, exactly as when it arrives in one piece.
    #[test]
    fn pipelines_are_answered_the_same_however_they_are_split(
        requests in prop::collection::vec(request(), 1..40),
        reads in reads(),
    ) {
        let bytes = requests.concat();
        let mut input = RequestBuffer::new();
        let mut output = Vec::new();
        prop_assert_eq!(feed_in_reads(&mut input, &mut output, &bytes, &reads), Outcome::Continue);
        prop_assert!(input.pending().is_empty());
        let split = statuses_and_bodies(split_responses(&output));
        prop_assert_eq!(split.len(), requests.len());
        let mut whole = Vec::new();
        for request in &requests {
            let (outcome, responses) = respond_all(request);
            prop_assert_eq!(outcome, Outcome::Continue);
            whole.extend(statuses_and_bodies(responses));
        }
        prop_assert_eq!(split, whole);
    }

    /// Random bytes, cut anywhere: never a panic; every answer is a well-formed response, and
    /// a close comes with `Connection: close` on its last answer.
    #[test]
    fn garbage_never_panics_and_closes_with_an_announced_close(
        bytes in prop::collection::vec(any::<u8>(), 0..20_000),
        reads in reads(),
    ) {
        let mut input = RequestBuffer::new();
        let mut output = Vec::new();
        let outcome = feed_in_reads(&mut input, &mut output, &bytes, &reads);
        let responses = split_responses(&output);
        if outcome == Outcome::Close {
            let (head, _) = responses.last().expect("a close is announced");
            prop_assert_eq!(header(head, "connection"), Some("close"));
        }
    }

    /// Input that cannot begin a request (a byte no method may start with) gets 400 and close
    /// on the first read.
    #[test]
    fn input_that_is_no_request_gets_400_and_close(
        first in prop_oneof![0u8..=8, 0x80u8..=0xff],
        rest in prop::collection::vec(any::<u8>(), 0..100),
        reads in reads(),
    ) {
        let bytes = [&[first][..], &rest].concat();
        let mut input = RequestBuffer::new();
        let mut output = Vec::new();
        prop_assert_eq!(feed_in_reads(&mut input, &mut output, &bytes, &reads), Outcome::Close);
        let responses = split_responses(&output);
        prop_assert_eq!(responses.len(), 1);
        prop_assert!(responses[0].0.starts_with("HTTP/1.1 400 "), "{}", responses[0].0);
    }

    /// A head that never ends gets 431 and close once it passes the limit, however it is cut.
    #[test]
    fn an_endless_head_gets_431_and_close(
        pad in "[a-z]{9000,12000}",
        reads in reads(),
    ) {
        let bytes = format!("GET /json HTTP/1.1\r\nX-Pad: {pad}").into_bytes();
        let mut input = RequestBuffer::new();
        let mut output = Vec::new();
        prop_assert_eq!(feed_in_reads(&mut input, &mut output, &bytes, &reads), Outcome::Close);
        let responses = split_responses(&output);
        prop_assert_eq!(responses.len(), 1);
        prop_assert!(responses[0].0.starts_with("HTTP/1.1 431 "), "{}", responses[0].0);
    }
}

#[test]
fn http_dates_are_imf_fixdates() {
    let cases: [(u64, &[u8; 29]); 4] = [
        (0, b"Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, b"Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, b"Tue, 29 Feb 2000 00:00:00 GMT"),
        (4_102_444_799, b"Thu, 31 Dec 2099 23:59:59 GMT"),
    ];
    for (secs, expected) in cases {
        assert_eq!(&http::format_http_date(secs), expected, "{secs}");
    }
}

#[test]
fn the_date_header_shows_the_current_second() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, responses) = respond_all(GET_JSON);
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let date = header(&responses[0].0, "date").unwrap().as_bytes().to_vec();
    assert!(
        (before..=after).any(|secs| http::format_http_date(secs).as_slice() == date),
        "{}",
        String::from_utf8_lossy(&date)
    );
}

#[test]
fn the_command_line_parses_address_and_runtime_shape() {
    use args::{self, Args, Flavor};
    let parse = |words: &[&str]| Args::parse(words.iter().map(|s| s.to_string()));
    let defaults = parse(&[]).unwrap();
    assert_eq!(defaults.addr, args::DEFAULT_ADDR);
    assert_eq!(
        defaults.flavor,
        Flavor::MultiThread {
            workers: args::DEFAULT_WORKERS
        }
    );
    let parsed = parse(&["127.0.0.1:9000", "--threads", "4"]).unwrap();
    assert_eq!(parsed.addr, "127.0.0.1:9000");
    assert_eq!(parsed.flavor, Flavor::MultiThread { workers: 4 });
    let parsed = parse(&["--current-thread", "0.0.0.0:1"]).unwrap();
    assert_eq!(parsed.flavor, Flavor::CurrentThread);
    assert_eq!(parsed.addr, "0.0.0.0:1");
    assert_eq!(parsed.events_per_tick, None);
    let parsed = parse(&["--events-per-tick", "64", "--current-thread"]).unwrap();
    assert_eq!(parsed.events_per_tick, Some(64));
    assert_eq!(parsed.flavor, Flavor::CurrentThread);
    assert_eq!(defaults.header_timeout, Duration::from_secs(10));
    assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
    let parsed = parse(&["--header-timeout", "1", "--idle-timeout", "2.5"]).unwrap();
    assert_eq!(parsed.header_timeout, Duration::from_secs(1));
    assert_eq!(parsed.idle_timeout, Duration::from_millis(2500));
    for wrong in [
        &["--threads"][..],
        &["--threads", "0"],
        &["--threads", "x"],
        &["--threads", "2", "--current-thread"],
        &["--bogus"],
        &["a:1", "b:2"],
        &["--events-per-tick"],
        &["--events-per-tick", "0"],
        &["--header-timeout"],
        &["--header-timeout", "0"],
        &["--idle-timeout", "-1"],
        &["--idle-timeout", "soon"],
    ] {
        assert!(parse(wrong).is_err(), "{wrong:?}");
    }
}

// === the servers, live ===

/// A client connection with generous timeouts, so a broken server fails the test, not hangs it.
fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    BufReader::new(stream)
}

/// Reads one response: (head, body).
fn read_response(client: &mut BufReader<TcpStream>) -> io::Result<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if client.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; content_length(&head)];
    client.read_exact(&mut body)?;
    Ok((head, body))
}

/// Whether the server closed the connection (EOF, or a reset after it closed).
fn is_closed(client: &mut BufReader<TcpStream>) -> bool {
    let mut rest = Vec::new();
    match client.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(error) => error.kind() == io::ErrorKind::ConnectionReset,
    }
}

/// Everything the issue asks of a live server, against one address.
fn exercise(addr: SocketAddr) {
    // Keep-alive across both paths, several times over one connection.
    let mut client = connect(addr);
    for _ in 0..3 {
        client.get_mut().write_all(GET_PLAINTEXT).unwrap();
        let (head, body) = read_response(&mut client).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert_eq!(body, b"Hello, World!");
        client.get_mut().write_all(GET_JSON).unwrap();
        let (head, body) = read_response(&mut client).unwrap();
        assert_eq!(header(&head, "content-type"), Some("application/json"));
        assert_eq!(body, JSON_BODY);
    }

    // A pipelined pair in one write: two responses, in order, on the same connection.
    client
        .get_mut()
        .write_all(&[GET_JSON, GET_PLAINTEXT].concat())
        .unwrap();
    assert_eq!(read_response(&mut client).unwrap().1, JSON_BODY);
    assert_eq!(read_response(&mut client).unwrap().1, b"Hello, World!");

    // Unknown path: 404, connection kept.
    client
        .get_mut()
        .write_all(b"GET /nope HTTP/1.1\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut client).unwrap();
    assert!(head.starts_with("HTTP/1.1 404 "), "{head}");
    client.get_mut().write_all(GET_JSON).unwrap();
    assert_eq!(read_response(&mut client).unwrap().1, JSON_BODY);

    // Garbage: 400, then the server closes.
    let mut client = connect(addr);
    client.get_mut().write_all(b"garbage\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut client).unwrap();
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert!(is_closed(&mut client));

    // A head over 8 KiB (unfinished, so the server has read every byte we sent): 431 and close.
    let mut client = connect(addr);
    client
        .get_mut()
        .write_all(&long_head(http::MAX_HEAD + 800, false))
        .unwrap();
    let (head, _) = read_response(&mut client).unwrap();
    assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
    assert!(is_closed(&mut client));
}

/// Runs `serve` (a server's accept loop, which never returns) on a thread of its own and hands
/// back the address it listens on. The thread dies with the test process.
fn spawn_server(serve: impl FnOnce(mpsc::Sender<SocketAddr>) + Send + 'static) -> SocketAddr {
    let (addr_tx, addr_rx) = mpsc::channel();
    thread::spawn(move || serve(addr_tx));
    addr_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server reports its address")
}

/// The command line `words` as an example parses it (every example loads the same `args.rs`).
fn args(words: &[&str]) -> args::Args {
    args::Args::parse(words.iter().map(|s| s.to_string())).unwrap()
}

/// Runs an example's accept loop `run` on a tourbillon runtime made by `runtime`, listening on
/// a free port of 127.0.0.1, with the command line `args`.
fn spawn_on_tourbillon<Args: Send + 'static, Run>(
    runtime: impl FnOnce() -> io::Result<tourbillon::Runtime> + Send + 'static,
    run: fn(tourbillon::net::TcpListener, Args) -> Run,
    args: Args,
) -> SocketAddr
where
    Run: Future<Output = io::Result<()>> + 'static,
{
    spawn_server(move |addr_tx| {
        runtime().unwrap().block_on(async move {
            let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            run(listener, args).await.unwrap();
        })
    })
}

/// The tourbillon HTTP server in `flavor` with the extra command-line `flags` (timeouts).
fn spawn_tourbillon_server_with(flavor: args::Flavor, flags: &[&str]) -> SocketAddr {
    spawn_on_tourbillon(
        move || tourbillon_runtime::build(flavor, None),
        serve_without_signals,
        args(flags),
    )
}

/// The tourbillon server's loop, with no signal handler installed in the test process
/// (`run` stops on SIGINT or SIGTERM; tests/graceful_shutdown.rs tests that).
fn serve_without_signals(
    listener: tourbillon::net::TcpListener,
    args: args::Args,
) -> impl Future<Output = io::Result<()>> {
    tourbillon_server::serve_until(listener, args, std::future::pending())
}

fn spawn_tourbillon_server(flavor: args::Flavor) -> SocketAddr {
    spawn_tourbillon_server_with(flavor, &[])
}

#[test]
fn tourbillon_serves_keep_alive_pipelining_and_errors_in_both_flavors() {
    use args::Flavor;
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread { workers: 2 }] {
        exercise(spawn_tourbillon_server(flavor));
    }
}

#[test]
fn tourbillon_serves_many_keep_alive_clients_at_once() {
    let addr = spawn_tourbillon_server(args::Flavor::MultiThread { workers: 2 });
    let clients: Vec<_> = (0..32)
        .map(|_| {
            thread::spawn(move || {
                let mut client = connect(addr);
                for _ in 0..50 {
                    client
                        .get_mut()
                        .write_all(&[GET_JSON, GET_PLAINTEXT].concat())
                        .unwrap();
                    assert_eq!(read_response(&mut client).unwrap().1, JSON_BODY);
                    assert_eq!(read_response(&mut client).unwrap().1, b"Hello, World!");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
}

fn spawn_tokio_server(flavor: args::Flavor) -> SocketAddr {
    spawn_tokio_server_with(flavor, &[])
}

/// The tokio twin in `flavor` with the extra command-line `flags` (timeouts).
fn spawn_tokio_server_with(flavor: args::Flavor, flags: &[&str]) -> SocketAddr {
    let args = args::Args::parse(flags.iter().map(|s| s.to_string())).unwrap();
    spawn_server(move |addr_tx| {
        tokio_runtime::build(flavor, None)
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                tokio_server::run(listener, args).await.unwrap();
            })
    })
}

#[test]
fn tokio_twin_serves_keep_alive_pipelining_and_errors_in_both_flavors() {
    use args::Flavor;
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread { workers: 2 }] {
        exercise(spawn_tokio_server(flavor));
    }
}

#[test]
fn threads_twin_serves_keep_alive_pipelining_and_errors() {
    exercise(spawn_server(|addr_tx| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        addr_tx.send(listener.local_addr().unwrap()).unwrap();
        threads_server::run(listener).unwrap();
    }));
}

#[test]
fn mio_twin_serves_keep_alive_pipelining_and_errors() {
    exercise(spawn_server(|addr_tx| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        addr_tx.send(listener.local_addr().unwrap()).unwrap();
        mio_server::run(mio::net::TcpListener::from_std(listener)).unwrap();
    }));
}

// === the echo example ===

#[test]
fn echo_returns_every_byte_on_concurrent_connections_in_both_flavors() {
    use args::Flavor;
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread { workers: 2 }] {
        let addr = spawn_on_tourbillon(
            move || tourbillon_runtime::build(flavor, None),
            echo_server::run,
            args::Args::parse([]).unwrap(),
        );
        let clients: Vec<_> = (0..16u8)
            .map(|seed| {
                thread::spawn(move || {
                    let sent: Vec<u8> = (0..64 * 1024u32)
                        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                        .collect();
                    let mut stream = TcpStream::connect(addr).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(20)))
                        .unwrap();
                    let mut writer = stream.try_clone().unwrap();
                    let expected = sent.clone();
                    // Write on a second thread so neither side's socket buffer can fill and stall.
                    let write = thread::spawn(move || {
                        writer.write_all(&sent).unwrap();
                        writer.shutdown(std::net::Shutdown::Write).unwrap();
                    });
                    let mut received = Vec::new();
                    stream.read_to_end(&mut received).unwrap();
                    write.join().unwrap();
                    assert!(
                        received == expected,
                        "{flavor:?}: echo of client {seed} differs"
                    );
                })
            })
            .collect();
        for client in clients {
            client.join().unwrap();
        }
    }
}

// === timeouts and hostile clients ===

/// Whether the server has closed `stream`, without waiting: EOF, or a reset after it closed.
/// Data (there should be none: the slow clients never finish a request) counts as open.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut buf = [0; 64];
    let closed = match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).unwrap();
    closed
}

/// `slow` clients that send a request line, then one header byte every 100 ms, never finishing;
/// meanwhile one fast client makes a request every 20 ms. Every slow client must be closed by
/// the server (within 20 s; it is told a 1 s header timeout), and every fast request answered.
fn slow_clients_are_closed_and_fast_ones_served(addr: SocketAddr, slow: usize) {
    let mut dripping: Vec<TcpStream> = (0..slow)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"GET /json HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    let fast = thread::spawn(move || {
        let mut client = connect(addr);
        let mut answered = 0;
        for _ in 0..100 {
            client.get_mut().write_all(GET_JSON).unwrap();
            assert_eq!(read_response(&mut client).unwrap().1, JSON_BODY);
            answered += 1;
            thread::sleep(Duration::from_millis(20));
        }
        answered
    });
    let started = std::time::Instant::now();
    let mut open = slow;
    while open > 0 && started.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(100));
        open = 0;
        for stream in &mut dripping {
            if !closed_by_server(stream) {
                // A write to a closed connection may fail: then the next read sees the close.
                let _ = stream.write_all(b"X");
                open += 1;
            }
        }
    }
    assert_eq!(
        open, 0,
        "{open} of {slow} header-dripping clients still open after 20 s"
    );
    assert_eq!(fast.join().unwrap(), 100, "every fast request answered");
}

#[test]
fn tourbillon_closes_slow_clients_at_the_header_timeout_in_both_flavors() {
    use args::Flavor;
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread { workers: 2 }] {
        let addr = spawn_tourbillon_server_with(flavor, &["--header-timeout", "1"]);
        slow_clients_are_closed_and_fast_ones_served(addr, 300);
    }
}

#[test]
fn tokio_twin_closes_slow_clients_at_the_header_timeout() {
    let flavor = args::Flavor::MultiThread { workers: 2 };
    let addr = spawn_tokio_server_with(flavor, &["--header-timeout", "1"]);
    slow_clients_are_closed_and_fast_ones_served(addr, 300);
}

/// A connection that never sends a byte is closed at the header timeout; one that is kept alive
/// after a request and then goes quiet, at the idle timeout; one that keeps talking, never.
fn silent_connections_are_closed(addr: SocketAddr) {
    let mut silent = connect(addr);
    let mut quiet = connect(addr);
    quiet.get_mut().write_all(GET_PLAINTEXT).unwrap();
    assert_eq!(read_response(&mut quiet).unwrap().1, b"Hello, World!");
    let mut chatty = connect(addr);
    // Chat for longer than both timeouts (1 s and 2 s), a request every 100 ms.
    for _ in 0..40 {
        chatty.get_mut().write_all(GET_JSON).unwrap();
        assert_eq!(read_response(&mut chatty).unwrap().1, JSON_BODY);
        thread::sleep(Duration::from_millis(100));
    }
    // Both reads below end at the server's close, or fail the test at the 20 s read timeout.
    assert!(is_closed(&mut silent), "a silent connection was kept");
    assert!(is_closed(&mut quiet), "an idle connection was kept");
}

#[test]
fn silent_and_idle_connections_are_closed_talking_ones_kept() {
    use args::Flavor;
    let flags = ["--header-timeout", "1", "--idle-timeout", "2"];
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread { workers: 2 }] {
        silent_connections_are_closed(spawn_tourbillon_server_with(flavor, &flags));
    }
    let flavor = args::Flavor::CurrentThread;
    silent_connections_are_closed(spawn_tokio_server_with(flavor, &flags));
}

#[test]
fn non_http_input_gets_400_and_close() {
    let addr = spawn_tourbillon_server(args::Flavor::MultiThread { workers: 2 });
    let inputs: [&[u8]; 4] = [
        // The start of a TLS ClientHello.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"GET /json HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
        b"GET /json HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
    ];
    for input in inputs {
        let mut client = connect(addr);
        client.get_mut().write_all(input).unwrap();
        let (head, _) = read_response(&mut client).unwrap();
        assert!(head.starts_with("HTTP/1.1 400 "), "{input:?}: {head}");
        assert!(is_closed(&mut client), "{input:?}");
    }
    // The server is still there.
    exercise(addr);
}
