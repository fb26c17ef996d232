//! The raw-mio twin of `http-server`: one thread, one `mio::Poll`, edge-triggered sockets and a
//! slot vector of connections, with no tasks, wakers or queues. It makes the same syscalls per
//! request that a runtime must (read, write, read until `WouldBlock`, `epoll_wait`), so it is the
//! ceiling for one core that `scripts/wrk-compare.sh` measures the runtimes against. It shares
//! the HTTP module and the command line; `--threads`, `--current-thread` and the timeouts are
//! accepted and ignored (it is always one thread).
//!
//! Edge triggering (mio's contract): an event says readiness *changed*, so each connection reads
//! until `WouldBlock` and writes until its output is gone or `WouldBlock`; the next event comes
//! only after that. Every connection is registered once for both directions and never again.
//!
//! ```text
//! cargo run --release --example http-server-mio -- [ADDR]
//! ```

#[path = "support/args.rs"]
pub mod args;
#[path = "support/http.rs"]
mod http;

use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// The listener's token; connections use their slot index.
const LISTENER: Token = Token(usize::MAX);

fn main() -> io::Result<()> {
    let args = args::Args::from_env();
    let std_listener = std::net::TcpListener::bind(&args.addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(std_listener);
    println!(
        "http-server-mio listening on {} (one thread; {:?}, events per tick {:?} and the timeouts ignored)",
        listener.local_addr()?,
        args.flavor,
        args.events_per_tick
    );
    run(listener)
}

/// Serves connections forever on the calling thread.
pub fn run(mut listener: TcpListener) -> io::Result<()> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut connections = Connections::default();
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut connections);
                continue;
            }
            let slot = event.token().0;
            // A slot freed earlier in this batch has nothing to drive.
            let Some(connection) = connections.get_mut(slot) else {
                continue;
            };
            if !matches!(connection.drive(), Ok(Keep::Open)) {
                // Dropping the stream closes it, which also removes it from the epoll set.
                connections.remove(slot);
            }
        }
    }
}

/// Takes every pending connection (edge-triggered: until `WouldBlock`).
fn accept_all(listener: &TcpListener, poll: &Poll, connections: &mut Connections) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(error) = stream.set_nodelay(true) {
                    eprintln!("set_nodelay: {error}");
                }
                let slot = connections.insert(Connection::new(stream));
                let connection = connections.get_mut(slot).expect("just inserted");
                let registered = poll.registry().register(
                    &mut connection.stream,
                    Token(slot),
                    Interest::READABLE | Interest::WRITABLE,
                );
                if let Err(error) = registered {
                    eprintln!("register: {error}");
                    connections.remove(slot);
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // EMFILE and friends: the connection waits in the backlog until the next one arrives.
            Err(error) => {
                eprintln!("accept: {error}");
                return;
            }
        }
    }
}

/// Whether a connection stays registered after [`Connection::drive`].
enum Keep {
    Open,
    Closed,
}

// === impl Connection ===

struct Connection {
    stream: TcpStream,
    input: http::RequestBuffer,
    /// Responses not yet written, from `written` on.
    output: Vec<u8>,
    written: usize,
    /// The HTTP module asked to close once `output` is written.
    closing: bool,
}

impl Connection {
    fn new(stream: TcpStream) -> Self {
        Connection {
            stream,
            input: http::RequestBuffer::new(),
            output: Vec::with_capacity(4096),
            written: 0,
            closing: false,
        }
    }

    /// Makes all the progress the socket allows: flush pending output, then read and answer,
    /// until a read or a write would block. Reading stops while output is stuck, so a client that
    /// does not read its responses cannot grow our buffer.
    fn drive(&mut self) -> io::Result<Keep> {
        loop {
            while self.written < self.output.len() {
                match self.stream.write(&self.output[self.written..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.written += n,
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(Keep::Open)
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
            }
            self.output.clear();
            self.written = 0;
            if self.closing {
                return Ok(Keep::Closed);
            }
            match self.stream.read(self.input.spare_mut()) {
                Ok(0) => return Ok(Keep::Closed),
                Ok(n) => {
                    self.input.filled_by(n);
                    let outcome = http::respond(&mut self.input, &mut self.output);
                    self.closing = outcome == http::Outcome::Close;
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(Keep::Open),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

// === impl Connections ===

/// Connections by slot index (the token), with freed slots reused first.
#[derive(Default)]
struct Connections {
    slots: Vec<Option<Connection>>,
    free: Vec<usize>,
}

impl Connections {
    fn insert(&mut self, connection: Connection) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(connection);
                slot
            }
            None => {
                self.slots.push(Some(connection));
                self.slots.len() - 1
            }
        }
    }

    fn get_mut(&mut self, slot: usize) -> Option<&mut Connection> {
        self.slots.get_mut(slot)?.as_mut()
    }

    fn remove(&mut self, slot: usize) {
        if self.slots[slot].take().is_some() {
            self.free.push(slot);
        }
    }
}
