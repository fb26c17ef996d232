//! Cooperative budgeting: a task that always finds its I/O ready must still yield.
//!
//! Each task poll runs with a budget of [`BUDGET`] I/O operations (a thread-local counter set
//! by the harness). Every reactor-backed operation spends one unit; when the budget is gone the
//! operation returns `Pending` after waking the task, so the task goes to the back of the run
//! queue and the others get their turn. Outside a task poll (e.g. a `block_on` future) there
//! is no budget and nothing is ever refused.
//!
//! [`with_budget`] also says whether the poll was refused an operation, so the harness can tell
//! the task's scheduler (`Schedule::budget_forced_yield`), which counts it: this module, at the
//! bottom of the crate, knows no runtime to count in.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations per poll: tokio's figure, large enough that a busy connection rarely yields.
const BUDGET: u8 = 128;

/// The budget of the poll running on this thread.
#[derive(Clone, Copy)]
struct Budget {
    /// Operations left; `None` outside a task poll (no limit).
    remaining: Option<u8>,
    /// An operation was refused during this poll.
    refused: bool,
}

impl Budget {
    const UNLIMITED: Budget = Budget {
        remaining: None,
        refused: false,
    };
    const FRESH: Budget = Budget {
        remaining: Some(BUDGET),
        refused: false,
    };
}

std::thread_local! {
    static CURRENT: Cell<Budget> = const { Cell::new(Budget::UNLIMITED) };
}

/// Runs `f` (a task poll) with a fresh budget, restoring the previous one after. Returns `f`'s
/// output and whether an operation was refused for want of budget.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> (R, bool) {
    /// Restores the previous budget, also if `f` panics.
    struct Restore(Budget);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CURRENT.try_with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|b| b.replace(Budget::FRESH)));
    let out = f();
    (out, CURRENT.with(|b| b.get().refused))
}

/// Spends one unit, or — when the budget is gone — wakes the task and returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let exhausted = CURRENT.with(|b| {
        let budget = b.get();
        match budget.remaining {
            None => false,
            Some(0) => {
                b.set(Budget {
                    refused: true,
                    ..budget
                });
                true
            }
            Some(n) => {
                b.set(Budget {
                    remaining: Some(n - 1),
                    ..budget
                });
                false
            }
        }
    });
    if exhausted {
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
        let (spent, refused) = with_budget(|| {
            let mut ready = 0;
            while poll_proceed(&mut cx).is_ready() {
                ready += 1;
            }
            ready
        });
        assert_eq!(spent, BUDGET as usize);
        assert!(refused, "the poll was refused its last operation");
        assert!(
            poll_proceed(&mut cx).is_ready(),
            "budget restored after the poll"
        );
    }

    #[test]
    fn a_poll_within_its_budget_is_not_refused() {
        let mut cx = Context::from_waker(Waker::noop());
        let ((), refused) = with_budget(|| {
            for _ in 0..BUDGET {
                assert!(poll_proceed(&mut cx).is_ready());
            }
        });
        assert!(!refused, "every operation fit in the budget");
        // The next poll starts with a fresh budget and no refusal.
        let ((), refused) = with_budget(|| assert!(poll_proceed(&mut cx).is_ready()));
        assert!(!refused);
    }
}
