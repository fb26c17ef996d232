//! One HTTP connection served to completion, written once for every async server: the
//! tourbillon server and its tokio twin run this very loop, so `scripts/wrk-compare.sh` compares
//! runtimes, not two copies of the server. It expects `http.rs` to be loaded as the sibling
//! module `http`.

use std::future::Future;
use std::io;

use super::http;

/// The three socket operations the loop needs, implemented by each runtime's `TcpStream`.
pub trait Connection {
    /// Reads into `buf`; `Ok(0)` means the peer closed its side.
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
    /// Writes all of `buf`.
    fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
    /// Turns off Nagle's algorithm: answers leave as soon as they are written.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
}

/// Reads, answers every complete request, writes the answers in one go; until the peer closes
/// or a response says to close.
pub async fn serve<C: Connection>(mut stream: C) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = http::RequestBuffer::new();
    let mut output = Vec::with_capacity(4096);
    loop {
        let n = stream.read(input.spare_mut()).await?;
        if n == 0 {
            return Ok(());
        }
        input.filled_by(n);
        let outcome = http::respond(&mut input, &mut output);
        stream.write_all(&output).await?;
        output.clear();
        if outcome == http::Outcome::Close {
            return Ok(());
        }
    }
}
