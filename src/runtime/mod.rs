//! The runtime: Builder, Runtime, Handle, the thread-local context, shutdown.
//!
//! (Placeholder: the core runtime lands next.)

pub(crate) mod driver;

use std::sync::Arc;

/// A handle to a runtime: spawns tasks onto it and reaches its driver from any thread.
#[derive(Clone)]
pub struct Handle {
    driver: Arc<driver::DriverHandle>,
}

impl Handle {
    /// The handle of the runtime this thread is running in.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    pub fn current() -> Handle {
        panic!("there is no reactor running, must be called from the context of a tourbillon runtime")
    }

    /// The reactor and timer wheel of this runtime.
    pub(crate) fn driver(&self) -> &driver::DriverHandle {
        &self.driver
    }
}
