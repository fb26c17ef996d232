//! A scripted event source for loom models: the [`Poller`]/[`Registrar`] pair the reactor runs on
//! under `--cfg loom`, with a tiny in-memory "kernel" behind it.
//!
//! The models in `loom-tests/tests/reactor.rs` drive the real driver, readiness word and
//! registration code through this fake; only the OS is replaced. The kernel keeps, under one loom
//! `Mutex`:
//!
//! - per fake socket (a [`FakeSource`]), the bytes waiting to be read and the token it is
//!   registered under;
//! - the queue of events not yet collected by a poll, and whether a wake is pending.
//!
//! It keeps the [`Poller`] contract (see `poller`), which is what makes it a faithful stand-in:
//!
//! 1. Edge-triggered: every [`FakePeer::write`] to a registered socket queues one `READABLE`
//!    event (as epoll does for each arrival of data); a read that drains the socket queues
//!    nothing.
//! 2. Binding a socket that already holds data to its token queues an event (poller rule 2).
//! 3. [`Poller::poll`] collects the queued events under the kernel lock, releases it, and only
//!    then calls `on_event` (poller rule 3). Between the two, a deregistration on another thread
//!    can complete: that is the "event in flight" the driver's rule 1 is about.
//! 4. [`Registrar::deregister`] drops the token's queued events; no later poll reports it
//!    (poller rule 4).
//! 5. A poll with no timeout blocks on a loom `Condvar` until an event is queued or
//!    [`Registrar::wake`] is called, so a lost wakeup is a loom deadlock. A poll with a non-zero
//!    timeout returns at once, as if the time had passed: loom has no clock. The wake itself is
//!    not an event (poller rule 5).

use std::io;
use std::time::Duration;

use super::poller::{Poller, Registrar};
use super::scheduled_io::Ready;
use crate::loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The in-memory kernel shared by the poller, the registrar, the sources and the peers.
struct Kernel {
    state: Mutex<KernelState>,
    /// Signalled when an event is queued or a wake is delivered (rule 5).
    changed: Condvar,
}

#[derive(Default)]
struct KernelState {
    /// Index = socket id.
    sockets: Vec<SocketState>,
    /// Index = token; `true` while the token is registered.
    registered: Vec<bool>,
    /// Events queued and not yet collected by a poll (rule 1).
    events: Vec<(usize, Ready)>,
    /// A wake was delivered and not yet consumed by a poll (rule 5).
    woken: bool,
}

#[derive(Default)]
struct SocketState {
    /// Bytes the peer wrote and nobody read yet.
    data: usize,
    /// The token the socket is registered under, once bound.
    token: Option<usize>,
}

/// The blocking half: the driver polls it.
pub(crate) struct FakePoller {
    kernel: Arc<Kernel>,
}

/// The shared half: registers, deregisters, wakes. Clone it to make sockets.
#[derive(Clone)]
pub(crate) struct FakeRegistrar {
    kernel: Arc<Kernel>,
}

/// The socket a `Registered` wraps: reads take the bytes its peer wrote.
pub(crate) struct FakeSource {
    kernel: Arc<Kernel>,
    id: usize,
}

/// The remote end of a fake socket: writes data into it.
pub(crate) struct FakePeer {
    kernel: Arc<Kernel>,
    id: usize,
}

/// A new fake kernel: its poller and its registrar.
pub(crate) fn new() -> (FakePoller, FakeRegistrar) {
    let kernel = Arc::new(Kernel {
        state: Mutex::new(KernelState::default()),
        changed: Condvar::new(),
    });
    (
        FakePoller {
            kernel: kernel.clone(),
        },
        FakeRegistrar { kernel },
    )
}

// === impl Kernel ===

impl Kernel {
    fn lock(&self) -> MutexGuard<'_, KernelState> {
        self.state.lock().unwrap()
    }
}

impl KernelState {
    /// Queues an edge for socket `id` if it is bound to a registered token (rules 1, 2).
    fn edge(&mut self, id: usize) -> bool {
        match self.sockets[id].token {
            Some(token) if self.registered.get(token) == Some(&true) => {
                self.events.push((token, Ready::READABLE));
                true
            }
            _ => false,
        }
    }
}

// === impl FakeRegistrar ===

impl FakeRegistrar {
    /// A new, unregistered socket and its peer.
    pub(crate) fn socket(&self) -> (FakeSource, FakePeer) {
        let id = {
            let mut state = self.kernel.lock();
            state.sockets.push(SocketState::default());
            state.sockets.len() - 1
        };
        (
            FakeSource {
                kernel: self.kernel.clone(),
                id,
            },
            FakePeer {
                kernel: self.kernel.clone(),
                id,
            },
        )
    }

    /// Binds `source` to the token the reactor registered it under (the mio registration
    /// carries the token inside the source; `Registrar::register` only sees the token). Queues
    /// an event if data is already there (rule 2).
    pub(crate) fn bind(&self, source: &FakeSource, token: usize) {
        let mut state = self.kernel.lock();
        state.sockets[source.id].token = Some(token);
        if state.sockets[source.id].data > 0 && state.edge(source.id) {
            self.kernel.changed.notify_one();
        }
    }
}

impl Registrar for FakeRegistrar {
    fn register(&self, _source: &mut impl mio::event::Source, token: usize) -> io::Result<()> {
        let mut state = self.kernel.lock();
        if state.registered.len() <= token {
            state.registered.resize(token + 1, false);
        }
        assert!(!state.registered[token], "token {token} registered twice");
        state.registered[token] = true;
        Ok(())
    }

    fn deregister(&self, _source: &mut impl mio::event::Source, token: usize) -> io::Result<()> {
        let mut state = self.kernel.lock();
        assert!(state.registered[token], "token {token} was not registered");
        state.registered[token] = false;
        // Rule 4: nothing queued for the token survives its deregistration.
        state.events.retain(|&(t, _)| t != token);
        for socket in &mut state.sockets {
            if socket.token == Some(token) {
                socket.token = None;
            }
        }
        Ok(())
    }

    fn wake(&self) -> io::Result<()> {
        self.kernel.lock().woken = true;
        self.kernel.changed.notify_one();
        Ok(())
    }
}

// === impl FakePoller ===

impl Poller for FakePoller {
    type Registrar = FakeRegistrar;

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut on_event: impl FnMut(usize, Ready),
    ) -> io::Result<()> {
        let events = {
            let mut state = self.kernel.lock();
            if timeout.is_none() {
                // Rule 5: block until an event or a wake; a lost one leaves loom deadlocked.
                while state.events.is_empty() && !state.woken {
                    state = self.kernel.changed.wait(state).unwrap();
                }
            }
            state.woken = false;
            std::mem::take(&mut state.events)
        };
        // Rule 3: dispatched after the kernel lock is released.
        for (token, ready) in events {
            on_event(token, ready);
        }
        Ok(())
    }
}

// === impl FakeSource ===

impl FakeSource {
    /// Takes up to `len` bytes, or `WouldBlock` if none is there. A read shorter than `len`
    /// has drained the socket, as for a real stream socket (`registration` rule 3 relies on it).
    pub(crate) fn read(&self, len: usize) -> io::Result<usize> {
        let mut state = self.kernel.lock();
        let socket = &mut state.sockets[self.id];
        if socket.data == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = socket.data.min(len);
        socket.data -= n;
        Ok(n)
    }
}

/// Never called: the fake registrar does not go through mio.
impl mio::event::Source for FakeSource {
    fn register(
        &mut self,
        _registry: &mio::Registry,
        _token: mio::Token,
        _interests: mio::Interest,
    ) -> io::Result<()> {
        unreachable!("a FakeSource is registered with a FakeRegistrar only")
    }

    fn reregister(
        &mut self,
        _registry: &mio::Registry,
        _token: mio::Token,
        _interests: mio::Interest,
    ) -> io::Result<()> {
        unreachable!("the reactor never re-registers a source")
    }

    fn deregister(&mut self, _registry: &mio::Registry) -> io::Result<()> {
        unreachable!("a FakeSource is deregistered with a FakeRegistrar only")
    }
}

// === impl FakePeer ===

impl FakePeer {
    /// Writes one byte into the socket; queues an event if it is registered (rule 1).
    pub(crate) fn write(&self) {
        let mut state = self.kernel.lock();
        state.sockets[self.id].data += 1;
        if state.edge(self.id) {
            self.kernel.changed.notify_one();
        }
    }
}
