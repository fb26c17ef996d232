//! `#[tourbillon::main]` and `#[tourbillon::test]`: run an `async fn` to completion on a
//! runtime that the attribute builds around it.
//!
//! Use them through the `tourbillon` crate (its `macros` feature, on by default), never from this
//! crate directly. Both take tokio's arguments, spelled as tokio spells them:
//!
//! | argument | values | default |
//! |---|---|---|
//! | `flavor` | `"multi_thread"`, `"current_thread"` | `main`: `"multi_thread"`; `test`: `"current_thread"` |
//! | `worker_threads` | an integer ≥ 1, multi-thread only | one worker per CPU |
//! | `crate` | the path the generated code names the runtime by | `"::tourbillon"` |
//!
//! # What the expansion is
//!
//! ```ignore
//! #[tourbillon::main(flavor = "multi_thread", worker_threads = 2)]
//! pub async fn serve(port: u16) -> std::io::Result<()> { /* body */ }
//! ```
//!
//! becomes a plain fn with the same attributes, visibility, name, arguments and return type:
//!
//! ```ignore
//! pub fn serve(port: u16) -> std::io::Result<()> {
//!     let body = async move {
//!         let output: std::io::Result<()> = { /* body */ };
//!         return output;
//!     };
//!     ::tourbillon::Builder::new_multi_thread()
//!         .worker_threads(2)
//!         .build()
//!         .expect("#[tourbillon] could not build its runtime")
//!         .block_on(body)
//! }
//! ```
//!
//! The body is an `async move` block, so the arguments belong to the future as they do in an
//! `async fn`, and `return` and `?` mean what they meant there. Binding the body's value to the
//! declared return type inside the future makes a type mismatch point at the body's last
//! expression, as it would in the `async fn`. A return type that mentions `impl Trait`, or `!`,
//! cannot be written in a `let`: that body is typed by the fn's return alone.
//! `#[tourbillon::test]` also adds `#[test]`; the generated names (`body`, `output`) are
//! hygienic, so the body cannot see or shadow them.
//!
//! # Errors at compile time
//!
//! Misuse is a compile error pointing at what is wrong: an fn that is not `async`, an unknown
//! argument, an unknown flavor, `worker_threads` on a current-thread runtime or set to zero, a
//! `main` or a test that takes arguments, a test that already has `#[test]`. A placeholder fn of
//! the same name is still emitted, so the error is the only one reported.

mod args;
mod expand;

use proc_macro::TokenStream;

/// Runs an `async fn` on a new tourbillon runtime: on `main`, the program's entry point; on any
/// other fn, a blocking fn that builds a runtime, runs the body and drops the runtime.
///
/// The runtime is multi-thread by default, with one worker per CPU. Arguments:
/// `flavor = "current_thread"` or `flavor = "multi_thread"`; `worker_threads = N` (multi-thread
/// only); `crate = "path"` if the generated code must reach the runtime through another path
/// than `::tourbillon`.
///
/// # Examples
///
/// ```
/// #[tourbillon::main]
/// async fn main() {
///     let answer = tourbillon::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// On a fn that is not `main`, with arguments and a `Result`:
///
/// ```
/// #[tourbillon::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn sum_squares(n: u64) -> Result<u64, tourbillon::JoinError> {
///     let mut total = 0;
///     for i in 0..n {
///         total += tourbillon::spawn(async move { i * i }).await?;
///     }
///     Ok(total)
/// }
///
/// # fn main() {
/// assert_eq!(sum_squares(10).unwrap(), 285);
/// # }
/// ```
///
/// # Panics
///
/// The generated fn panics if the runtime cannot be built (the OS refuses a thread or the
/// reactor), and, as `block_on` does, if it is called from inside a runtime.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Entry::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on its own tourbillon runtime.
///
/// The runtime is current-thread by default, as tokio's; `flavor = "multi_thread"` (with
/// `worker_threads = N` if wanted) gives a multi-thread one. The test may return a `Result`
/// (an `Err` fails it, as for `#[test]`), and keeps its other attributes (`#[should_panic]`,
/// `#[ignore]`, ...). Like any `#[test]`, it is compiled and run only by `cargo test`.
///
/// # Examples
///
/// ```
/// #[tourbillon::test]
/// async fn answers() {
///     assert_eq!(tourbillon::spawn(async { 42 }).await.unwrap(), 42);
/// }
///
/// #[tourbillon::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn reads_config() -> std::io::Result<()> {
///     let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
///     assert!(listener.local_addr()?.port() != 0);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// # Panics
///
/// The test panics (fails) if its runtime cannot be built.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Entry::Test, args.into(), item.into()).into()
}
