//! The crate's internals, exposed to `loom-tests/` only in `--cfg loom` builds.
//!
//! The models in `loom-tests/` must drive the library's own code, not a copy of it, yet the
//! scheduler, task and reactor internals are `pub(crate)`. This module re-exports exactly the
//! pieces the models need, and only when the crate is compiled for loom; a normal build has no
//! such module. Nothing here is a public API: it changes whenever the models do.

// === task and scheduler (loom-tests/tests/{task,injector,local_queue,parker,idle,shutdown}.rs) ===

// === reactor and timers (loom-tests/tests/{reactor,timers}.rs) ===
//
// Thin wrappers, as above: each model-facing type owns one library object and forwards to its
// real methods. The reactor runs on the scripted fake event source (`src/io/fake.rs`); the
// timers on the real driver with an `unpark` of the model's choosing.

pub use reactor_api::*;
pub use time_api::*;

mod reactor_api {
    use std::io;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use crate::io::fake::{self, FakePeer, FakePoller, FakeRegistrar, FakeSource};
    use crate::io::{Direction, Driver, Handle, Registered};

    /// A new reactor on a fresh fake kernel: the blocking half and the shared half.
    pub fn reactor() -> (Reactor, ReactorHandle) {
        let (poller, registrar) = fake::new();
        let (driver, handle) = Driver::with_poller(poller, registrar.clone());
        (Reactor { driver }, ReactorHandle { handle, registrar })
    }

    /// The reactor's blocking half (`io::Driver` on the fake poller).
    pub struct Reactor {
        driver: Driver<FakePoller>,
    }

    impl Reactor {
        /// `Driver::turn`: frees released slots, polls (blocking when `timeout` is `None`),
        /// dispatches, wakes.
        pub fn turn(&mut self, timeout: Option<Duration>) {
            self.driver.turn(timeout);
        }
    }

    /// The reactor's shared half (`io::Handle` on the fake registrar).
    #[derive(Clone)]
    pub struct ReactorHandle {
        handle: Handle<FakeRegistrar>,
        registrar: FakeRegistrar,
    }

    impl ReactorHandle {
        /// A fake socket registered with this reactor (`Registered::with_handle`), and the peer
        /// that writes into it.
        ///
        /// # Errors
        /// The reactor has shut down.
        pub fn socket(&self) -> io::Result<(Socket, Peer)> {
            let (source, peer) = self.registrar.socket();
            let io = Registered::with_handle(source, self.handle.clone())?;
            self.registrar.bind(io.get_ref(), io.token());
            Ok((Socket { io }, Peer { peer }))
        }

        /// Slots holding a registration: live ones, and released ones the driver has not freed
        /// yet (driver rule 1).
        pub fn registrations(&self) -> usize {
            self.handle.registrations()
        }

        /// `Handle::unpark`.
        pub fn unpark(&self) {
            self.handle.unpark();
        }

        /// `Handle::shutdown`.
        pub fn shutdown(&self) {
            self.handle.shutdown();
        }
    }

    /// A registered fake socket (`Registered<FakeSource, FakeRegistrar>`); dropping it
    /// deregisters it.
    pub struct Socket {
        io: Registered<FakeSource, FakeRegistrar>,
    }

    impl Socket {
        /// Reads one byte through `Registered::poll_io` (the owner slot).
        pub fn poll_read(&self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
            self.poll_read_then(cx, || {})
        }

        /// [`poll_read`](Self::poll_read), running `after_read` right after each read syscall
        /// (see [`poll_read_stream`](Self::poll_read_stream)).
        pub fn poll_read_then(
            &self,
            cx: &mut Context<'_>,
            mut after_read: impl FnMut(),
        ) -> Poll<io::Result<usize>> {
            self.io.poll_io(cx, Direction::Read, |source| {
                let result = source.read(1);
                after_read();
                result
            })
        }

        /// Reads up to `len` bytes through `Registered::poll_io_stream` (the owner slot): a
        /// short read clears the readiness it started from. `after_read` runs right after each
        /// read syscall, as the world goes on between the syscall and the code after it (a
        /// model writes the next byte there).
        pub fn poll_read_stream(
            &self,
            cx: &mut Context<'_>,
            len: usize,
            mut after_read: impl FnMut(),
        ) -> Poll<io::Result<usize>> {
            self.io.poll_io_stream(cx, Direction::Read, len, |source| {
                let result = source.read(len);
                after_read();
                result
            })
        }

        /// Reads one byte through `Registered::async_io_shared` (a shared waiter slot).
        pub async fn read_shared(&self) -> io::Result<usize> {
            self.io
                .async_io_shared(Direction::Read, |source| source.read(1))
                .await
        }
    }

    /// The remote end of a [`Socket`].
    pub struct Peer {
        peer: FakePeer,
    }

    impl Peer {
        /// Writes one byte; the fake kernel queues a readable event if the socket is registered.
        pub fn write(&self) {
            self.peer.write();
        }
    }
}

mod time_api {
    use std::time::Instant;

    use crate::time::{Handle, Sleep};

    /// The timer driver's shared handle (`time::Handle`).
    #[derive(Clone)]
    pub struct Timers {
        handle: Handle,
    }

    impl Timers {
        /// A timer driver that calls `unpark` when an insert must wake a parked thread.
        pub fn new(unpark: impl Fn() + Send + Sync + 'static) -> Timers {
            Timers {
                handle: Handle::new(Box::new(unpark)),
            }
        }

        /// A `Sleep` on this driver until `deadline`.
        pub fn sleep_until(&self, deadline: Instant) -> Sleep {
            Sleep::new(self.handle.clone(), deadline)
        }

        /// `Handle::before_park`: the park timeout, armed for inserts to see.
        pub fn before_park(&self) -> Option<Instant> {
            self.handle.before_park()
        }

        /// `Handle::after_park`: disarms and fires what is due at `now`.
        pub fn after_park(&self, now: Instant) {
            self.handle.after_park(now);
        }

        /// `Handle::process`: fires what is due at `now` (one atomic load if nothing is).
        pub fn process(&self, now: Instant) {
            self.handle.process(now);
        }

        /// `Handle::shutdown`.
        pub fn shutdown(&self) {
            self.handle.shutdown();
        }

        /// Is no entry linked into the wheel?
        pub fn is_empty(&self) -> bool {
            self.handle.is_empty()
        }
    }
}
