//! The `http-server` example's server: tourbillon's `TcpStream` plugged into the shared
//! connection loop (`connection`), one task per connection behind the shared accept loop, and
//! the graceful shutdown on Ctrl-C or SIGTERM: stop accepting, close the connections that have
//! no request in hand, give those that do the header timeout to finish it and get their answer
//! (tests/graceful_shutdown.rs).

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tourbillon::net::{TcpListener, TcpStream};
use tourbillon::signal::unix::{signal, SignalKind};
use tourbillon::task::AbortHandle;

use crate::args::Args;
use crate::{connection, tourbillon_runtime};

/// Serves until Ctrl-C or SIGTERM, then shuts down gracefully (see [`serve_until`]), giving
/// the requests in hand the header timeout to finish.
pub async fn run(listener: TcpListener, args: Args) -> io::Result<()> {
    let stop = shutdown_signal()?;
    serve_until(listener, args, stop).await
}

/// The first of SIGINT (Ctrl-C) and SIGTERM. Both listeners are registered before this returns,
/// so a signal that comes while the server starts is not lost.
///
/// # Errors
/// The signal handlers cannot be installed.
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        futures_util::future::select(pin!(interrupt.recv()), pin!(terminate.recv())).await;
    })
}

/// Serves each connection on its own task with the command line's header and idle timeouts
/// until `stop` completes; then stops accepting (the listener closes), tells every connection
/// to close after the answer in hand ([`connection::Drain`]), closes at once those with no
/// request in hand ([`connection::Activity`]), and gives the others the header timeout before
/// closing them too.
pub async fn serve_until(
    listener: TcpListener,
    args: Args,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let timeouts = connection::Timeouts {
        header: args.header_timeout,
        idle: args.idle_timeout,
    };
    let drain = Arc::new(connection::Drain::default());
    let mut connections = Connections::default();
    let accepting = tourbillon_runtime::accept_forever(listener, |stream, _| {
        let activity = Arc::new(connection::Activity::default());
        let (drain, in_task) = (drain.clone(), activity.clone());
        let task = tourbillon::spawn(async move {
            // The client is gone, misbehaved or overstayed: nothing to tell it, and the server
            // goes on.
            let _ = connection::serve(stream, timeouts, &drain, &in_task).await;
        });
        connections.add(task.abort_handle(), activity);
    });
    futures_util::future::select(pin!(stop), pin!(accepting)).await;
    // The accept loop and the listener it owned are gone: new connections are refused.
    drain.start();
    connections.close_idle();
    let deadline = Instant::now() + args.header_timeout;
    while !connections.all_finished() && Instant::now() < deadline {
        tourbillon::time::sleep(Duration::from_millis(10)).await;
    }
    connections.close_all();
    Ok(())
}

/// The live connections of [`serve_until`]: what it needs to close each one.
#[derive(Default)]
struct Connections {
    open: Vec<(AbortHandle, Arc<connection::Activity>)>,
    /// `open`'s length after the last sweep of finished connections.
    swept_len: usize,
}

impl Connections {
    fn add(&mut self, task: AbortHandle, activity: Arc<connection::Activity>) {
        // Sweep when the list has doubled since the last sweep: amortised O(1) per connection,
        // and the list stays within twice the number of live connections.
        if self.open.len() >= 2 * self.swept_len.max(64) {
            self.open.retain(|(task, _)| !task.is_finished());
            self.swept_len = self.open.len();
        }
        self.open.push((task, activity));
    }

    fn close_idle(&self) {
        for (task, activity) in &self.open {
            if !activity.is_busy() {
                task.abort();
            }
        }
    }

    fn all_finished(&self) -> bool {
        self.open.iter().all(|(task, _)| task.is_finished())
    }

    fn close_all(&self) {
        self.open.iter().for_each(|(task, _)| task.abort());
    }
}

impl connection::Connection for TcpStream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::read(self, buf).await
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        TcpStream::write_all(self, buf).await
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        TcpStream::set_nodelay(self, nodelay)
    }

    async fn timeout<F: Future + Send>(limit: Duration, future: F) -> Option<F::Output> {
        tourbillon::time::timeout(limit, future).await.ok()
    }
}
