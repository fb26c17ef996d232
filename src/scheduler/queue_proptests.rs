//! Property tests of the run queues against `VecDeque` models, single-threaded (the loom models
//! in `loom-tests/` cover the races; these cover long sequences loom cannot reach).
//!
//! - Two local rings (`local.rs`) and one injector (`injector.rs`) under random push, pop and
//!   steal-half in both directions: every pop returns the model's front, a push onto a full
//!   ring moves the model's oldest half plus the new task to the injector, a steal takes the
//!   model's front `len - len / 2` (none into a ring more than half full) and hands back the
//!   last of them, and the lengths agree after every step.
//! - The injector alone under random push, batch push, pop and batch pop: FIFO order and length.
//!
//! Tasks are real task cells; a task's identity is what it records when it runs, so every task
//! taken out of a queue is run once, which also frees it. At the end every queue is drained and
//! every task must have run exactly once.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Arc;

use proptest::prelude::*;

use super::super::injector::{Injector, Pop};
use super::{new, Local, Steal, CAPACITY};
use crate::task::{spawn_task, Notified, OwnedTasks, RawTask, Schedule};

thread_local! {
    /// The id of the task that ran last on this thread.
    static RAN: Cell<Option<u32>> = const { Cell::new(None) };
    /// The entry `spawn_task` just handed to [`Tasks::spawned`].
    static SPAWNED: Cell<Option<Notified<Tasks>>> = const { Cell::new(None) };
}

/// Makes tasks that record their id when run; owns them until they complete.
#[derive(Clone)]
struct Tasks {
    owned: Arc<OwnedTasks>,
}

impl Schedule for Tasks {
    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("the test tasks never wake themselves")
    }

    fn spawned(&self, task: Notified<Self>) {
        SPAWNED.set(Some(task));
    }

    fn release(&self, task: RawTask) -> bool {
        self.owned.remove(task)
    }
}

impl Tasks {
    fn new() -> Tasks {
        Tasks {
            owned: Arc::new(OwnedTasks::new()),
        }
    }

    /// A run-queue entry for a new task that records `id` when it runs.
    fn make(&self, id: u32) -> Notified<Tasks> {
        let join = spawn_task(async move { RAN.set(Some(id)) }, self, |raw| {
            self.owned.bind(raw)
        });
        drop(join); // detached: the task frees itself when it completes
        SPAWNED
            .take()
            .expect("spawn_task hands the entry over at once")
    }
}

/// Runs `task` and returns the id it recorded.
fn run(task: Notified<Tasks>) -> u32 {
    task.run();
    RAN.take().expect("the task ran")
}

fn pop_injector(injector: &Injector<Tasks>) -> Option<Notified<Tasks>> {
    match injector.pop() {
        Pop::Task(task) => Some(task),
        Pop::Empty => None,
        Pop::Busy | Pop::Inconsistent => panic!("one thread, yet the injector is busy"),
    }
}

/// A ring with its thieves' handle, and its model.
struct Ring {
    local: Local<Tasks>,
    steal: Steal<Tasks>,
    model: VecDeque<u32>,
}

#[derive(Debug, Clone)]
enum RingOp {
    /// Push `count` new tasks onto ring `side`.
    Push { side: usize, count: usize },
    /// Pop up to `count` tasks from ring `side`.
    Pop { side: usize, count: usize },
    /// Ring `side` steals half of the other ring.
    Steal { side: usize },
    /// Pop one task from the injector.
    PopInjector,
}

fn ring_op() -> impl Strategy<Value = RingOp> {
    prop_oneof![
        // Bursts as long as the ring, so overflow happens often.
        4 => (0..2usize, 1..=CAPACITY).prop_map(|(side, count)| RingOp::Push { side, count }),
        3 => (0..2usize, 1..=CAPACITY).prop_map(|(side, count)| RingOp::Pop { side, count }),
        2 => (0..2usize).prop_map(|side| RingOp::Steal { side }),
        1 => Just(RingOp::PopInjector),
    ]
}

/// Tasks made, and how many times each has run.
struct Tally {
    tasks: Tasks,
    runs: Vec<u32>,
}

impl Tally {
    fn make(&mut self) -> (u32, Notified<Tasks>) {
        let id = u32::try_from(self.runs.len()).unwrap();
        self.runs.push(0);
        (id, self.tasks.make(id))
    }

    fn run(&mut self, task: Notified<Tasks>) -> u32 {
        let id = run(task);
        self.runs[id as usize] += 1;
        id
    }

    fn check_all_ran_once(&self) {
        for (id, &runs) in self.runs.iter().enumerate() {
            assert_eq!(runs, 1, "task {id} ran {runs} times");
        }
        assert_eq!(self.tasks.owned.alive(), 0, "a task cell is still alive");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn local_rings_and_overflow_match_the_model(ops in prop::collection::vec(ring_op(), 1..64)) {
        let mut tally = Tally { tasks: Tasks::new(), runs: Vec::new() };
        let injector = Injector::new();
        let mut injected = VecDeque::new();
        let mut rings: [Ring; 2] = std::array::from_fn(|_| {
            let (local, steal) = new();
            Ring { local, steal, model: VecDeque::new() }
        });
        for op in ops {
            match op {
                RingOp::Push { side, count } => {
                    let ring = &mut rings[side];
                    for _ in 0..count {
                        let (id, task) = tally.make();
                        ring.local.push_back_or_overflow(task, &injector);
                        if ring.model.len() == CAPACITY {
                            injected.extend(ring.model.drain(..CAPACITY / 2));
                            injected.push_back(id);
                        } else {
                            ring.model.push_back(id);
                        }
                    }
                }
                RingOp::Pop { side, count } => {
                    let ring = &mut rings[side];
                    for _ in 0..count {
                        let got = ring.local.pop().map(|task| tally.run(task));
                        prop_assert_eq!(got, ring.model.pop_front());
                    }
                }
                RingOp::Steal { side } => {
                    let [a, b] = &mut rings;
                    let (thief, victim) = if side == 0 { (a, b) } else { (b, a) };
                    let stolen = victim.steal.steal_into(&mut thief.local);
                    let n = victim.model.len() - victim.model.len() / 2;
                    let expected = if thief.model.len() > CAPACITY / 2 || n == 0 {
                        None
                    } else {
                        let mut taken: VecDeque<u32> = victim.model.drain(..n).collect();
                        let last = taken.pop_back();
                        thief.model.extend(taken);
                        last
                    };
                    prop_assert_eq!(stolen.map(|task| tally.run(task)), expected);
                }
                RingOp::PopInjector => {
                    let got = pop_injector(&injector).map(|task| tally.run(task));
                    prop_assert_eq!(got, injected.pop_front());
                }
            }
            for ring in &rings {
                prop_assert_eq!(ring.local.len(), ring.model.len());
                prop_assert_eq!(ring.steal.len(), ring.model.len());
            }
            prop_assert_eq!(injector.len(), injected.len());
        }
        for ring in &mut rings {
            while let Some(task) = ring.local.pop() {
                let id = tally.run(task);
                prop_assert_eq!(Some(id), ring.model.pop_front());
            }
            prop_assert!(ring.model.is_empty());
        }
        while let Some(task) = pop_injector(&injector) {
            let id = tally.run(task);
            prop_assert_eq!(Some(id), injected.pop_front());
        }
        prop_assert!(injected.is_empty());
        tally.check_all_ran_once();
    }
}

#[derive(Debug, Clone)]
enum InjectorOp {
    Push,
    PushBatch(usize),
    Pop,
    PopBatch(usize),
}

fn injector_op() -> impl Strategy<Value = InjectorOp> {
    prop_oneof![
        Just(InjectorOp::Push),
        (0..40usize).prop_map(InjectorOp::PushBatch),
        Just(InjectorOp::Pop),
        (1..40usize).prop_map(InjectorOp::PopBatch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_injector_is_a_fifo(ops in prop::collection::vec(injector_op(), 1..64)) {
        let mut tally = Tally { tasks: Tasks::new(), runs: Vec::new() };
        let injector = Injector::new();
        let mut model = VecDeque::new();
        for op in ops {
            match op {
                InjectorOp::Push => {
                    let (id, task) = tally.make();
                    injector.push(task);
                    model.push_back(id);
                }
                InjectorOp::PushBatch(count) => {
                    let batch: Vec<_> = (0..count).map(|_| tally.make()).collect();
                    model.extend(batch.iter().map(|(id, _)| *id));
                    injector.push_batch(batch.into_iter().map(|(_, task)| task));
                }
                InjectorOp::Pop => {
                    let got = pop_injector(&injector).map(|task| tally.run(task));
                    prop_assert_eq!(got, model.pop_front());
                }
                InjectorOp::PopBatch(max) => {
                    let mut got = Vec::new();
                    let outcome = injector.pop_batch(max, |task| got.push(task));
                    let expected: Vec<u32> = model.drain(..max.min(model.len())).collect();
                    match outcome {
                        Pop::Task(n) => prop_assert_eq!(n, got.len()),
                        Pop::Empty => prop_assert!(got.is_empty()),
                        other => panic!("one thread, yet the injector says {other:?}"),
                    }
                    let got: Vec<u32> = got.into_iter().map(|task| tally.run(task)).collect();
                    prop_assert_eq!(got, expected);
                }
            }
            prop_assert_eq!(injector.len(), model.len());
            prop_assert_eq!(injector.is_empty(), model.is_empty());
        }
        while let Some(task) = pop_injector(&injector) {
            let id = tally.run(task);
            prop_assert_eq!(Some(id), model.pop_front());
        }
        prop_assert!(model.is_empty());
        tally.check_all_ran_once();
    }
}
