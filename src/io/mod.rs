//! The reactor: readiness from mio, delivered to the tasks waiting on it.
