//! # tourbillon
//!
//! An async runtime built to be read, model-checked and measured.
//!
//! See README.md for a tour of the source tree.
#![warn(missing_docs, rust_2018_idioms)]

pub(crate) mod loom;

pub(crate) mod io;
pub mod runtime;
pub mod net;
pub mod time;
