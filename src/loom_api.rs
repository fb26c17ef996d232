//! The crate's internals, exposed to `loom-tests/` only in `--cfg loom` builds.
//!
//! The models in `loom-tests/` must drive the library's own code, not a copy of it, yet the
//! scheduler, task and reactor internals are `pub(crate)`. This module re-exports exactly the
//! pieces the models need, and only when the crate is compiled for loom; a normal build has no
//! such module. Nothing here is a public API: it changes whenever the models do.

// === task and scheduler (loom-tests/tests/{task,injector,local_queue,parker,idle,shutdown}.rs) ===

// === reactor and timers (loom-tests/tests/{reactor,timers}.rs) ===
