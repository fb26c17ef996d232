//! Timers: a hierarchical timing wheel, `sleep`, `timeout` and `interval`.
