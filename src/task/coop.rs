//! Cooperative budgeting: a task that always finds its I/O ready must still yield.
//!
//! Each task poll runs with a budget of [`BUDGET`] I/O operations (a thread-local counter set
//! by the harness). Every reactor-backed operation spends one unit; when the budget is gone the
//! operation returns `Pending` after waking the task, so the task goes to the back of the run
//! queue and the others get their turn. Outside a task poll (e.g. a `block_on` future) there
//! is no budget and nothing is ever refused.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations per poll: tokio's figure, large enough that a busy connection rarely yields.
const BUDGET: u8 = 128;

std::thread_local! {
    static REMAINING: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (a task poll) with a fresh budget, restoring the previous one after.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = REMAINING.try_with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|r| r.replace(Some(BUDGET))));
    f()
}

/// Spends one unit, or — when the budget is gone — wakes the task and returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let exhausted = REMAINING.with(|r| match r.get() {
        None => false,
        Some(0) => true,
        Some(n) => {
            r.set(Some(n - 1));
            false
        }
    });
    if exhausted {
        // Outside a runtime's context (a task polled by hand in a test) there is nothing to count.
        let _ = crate::runtime::context::with_current(|handle| {
            handle.scheduler_metrics().budget_forced_yield.incr()
        });
        cx.waker().wake_by_ref();
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn budget_runs_out_inside_a_poll_only() {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(poll_proceed(&mut cx).is_ready(), "no budget outside a poll");
        let spent = with_budget(|| {
            let mut ready = 0;
            while poll_proceed(&mut cx).is_ready() {
                ready += 1;
            }
            ready
        });
        assert_eq!(spent, BUDGET as usize);
        assert!(
            poll_proceed(&mut cx).is_ready(),
            "budget restored after the poll"
        );
    }
}
