//! Fault injection: the reactor and the TCP streams misbehave on purpose, within what the OS is
//! allowed to do, so that tests show the runtime copes.
//!
//! Off unless the environment variable `TOURBILLON_FAULTS` is set when the first runtime starts
//! (read once per process), to a comma-separated list of:
//!
//! | word       | what happens                                                                 |
//! |------------|------------------------------------------------------------------------------|
//! | `spurious` | one poll in four also reports read+write readiness for a token seen earlier, whether or not its socket is ready (mio: "spurious events are possible") |
//! | `late`     | each event is held back, one in four, and reported by the next poll instead (which then does not block) |
//! | `eintr`    | one poll in eight returns `Interrupted` at once, without waiting or reporting events |
//! | `short`    | one TCP stream read or write in two (vectored writes excepted) is offered fewer bytes (at least one) than the caller's buffer holds, as a kernel may do |
//! | `all`      | all of the above                                                             |
//! | `seed=N`   | the seed of the random choices (default 1); each poller and thread derives its own |
//!
//! An unknown word panics when the first runtime starts, so a misspelt CI setting cannot
//! silently test nothing. Under `--cfg loom` faults are always off (the models script their own
//! events).
//!
//! # Why these are fair
//!
//! Each fault is something the reactor's contract (`poller.rs`) or the socket's already allows:
//! readiness is a hint that the syscall settles (a spurious event costs one `WouldBlock`), an
//! interrupted wait is an ordinary early return, and a stream read or write may move fewer bytes
//! than asked. A late event is an event that arrived a little later. A held or spurious event
//! can reach a token whose socket was dropped in between: the slot is then empty (the event is
//! ignored) or reused (the new socket sees one spurious readiness), both harmless. Shortening
//! shrinks the buffer the syscall is given, not the result, so a short transfer still means the
//! kernel had no more (`registration.rs` rule 3 stays true).

use std::cell::Cell;
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use super::scheduled_io::Ready;

/// The faults chosen by `TOURBILLON_FAULTS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Plan {
    spurious: bool,
    late: bool,
    eintr: bool,
    short: bool,
    seed: u64,
}

impl Plan {
    /// Parses the variable's value.
    fn parse(value: &str) -> Result<Plan, String> {
        let mut plan = Plan {
            seed: 1,
            ..Plan::default()
        };
        for word in value.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "spurious" => plan.spurious = true,
                "late" => plan.late = true,
                "eintr" => plan.eintr = true,
                "short" => plan.short = true,
                "all" => {
                    (plan.spurious, plan.late, plan.eintr, plan.short) = (true, true, true, true)
                }
                _ => match word.strip_prefix("seed=").map(str::parse) {
                    Some(Ok(seed)) => plan.seed = seed,
                    _ => return Err(format!("TOURBILLON_FAULTS: unknown fault `{word}`")),
                },
            }
        }
        Ok(plan)
    }

    fn polls_misbehave(&self) -> bool {
        self.spurious || self.late || self.eintr
    }
}

/// The process's plan: `None` when no fault is switched on.
fn plan() -> Option<&'static Plan> {
    static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
    PLAN.get_or_init(|| {
        if cfg!(loom) {
            return None;
        }
        let value = std::env::var("TOURBILLON_FAULTS").ok()?;
        let plan = Plan::parse(&value).unwrap_or_else(|message| panic!("{message}"));
        (plan != Plan::default()).then_some(plan)
    })
    .as_ref()
}

/// xorshift64*: small, fast, and good enough to pick faults.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so nearby seeds give unrelated streams (and never 0).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// === poll faults ===

/// Tokens remembered as targets of spurious events.
const SEEN_TOKENS: usize = 64;

/// The misbehaving half of a poller: wraps each wait of the real one (`MioPoller`).
#[derive(Debug)]
pub(super) struct PollFaults {
    plan: Plan,
    rng: Rng,
    /// Events held back by `late`, reported by the next poll.
    held: Vec<(usize, Ready)>,
    /// Recently reported tokens (a ring), for `spurious`.
    seen: Vec<usize>,
    seen_next: usize,
}

impl PollFaults {
    /// The poll faults of the process's plan, if any; each poller gets its own random stream.
    pub(super) fn from_env() -> Option<PollFaults> {
        static POLLERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let plan = *plan().filter(|plan| plan.polls_misbehave())?;
        // Relaxed: a counter that only makes seeds differ; it orders nothing.
        let poller = POLLERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(PollFaults {
            plan,
            rng: Rng::new(plan.seed ^ poller.rotate_left(32)),
            held: Vec::new(),
            seen: Vec::with_capacity(SEEN_TOKENS),
            seen_next: 0,
        })
    }

    /// One poll with faults: `wait(timeout, report)` is the real poll, reporting each event it
    /// collected (the waker's token excluded) to `report`.
    pub(super) fn poll(
        &mut self,
        timeout: Option<Duration>,
        wait: impl FnOnce(Option<Duration>, &mut dyn FnMut(usize, Ready)) -> io::Result<()>,
        mut on_event: impl FnMut(usize, Ready),
    ) -> io::Result<()> {
        if self.plan.eintr && self.rng.one_in(8) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        // Held events are due now: do not block before reporting them.
        let timeout = if self.held.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let late = std::mem::take(&mut self.held);
        let mut fresh = Vec::new();
        wait(timeout, &mut |token, ready| fresh.push((token, ready)))?;
        for (token, ready) in late {
            on_event(token, ready);
        }
        for (token, ready) in fresh {
            self.remember(token);
            if self.plan.late && self.rng.one_in(4) {
                self.held.push((token, ready));
            } else {
                on_event(token, ready);
            }
        }
        if self.plan.spurious && !self.seen.is_empty() && self.rng.one_in(4) {
            let token = self.seen[self.rng.below(self.seen.len())];
            on_event(token, Ready::READABLE | Ready::WRITABLE);
        }
        Ok(())
    }

    fn remember(&mut self, token: usize) {
        if self.seen.len() < SEEN_TOKENS {
            self.seen.push(token);
        } else {
            self.seen[self.seen_next] = token;
            self.seen_next = (self.seen_next + 1) % SEEN_TOKENS;
        }
    }
}

// === short reads and writes ===

thread_local! {
    /// This thread's random stream for `short`, seeded on first use.
    static SHORT_RNG: Cell<Option<u64>> = const { Cell::new(None) };
}

/// How many of `len` bytes a stream read or write offers the kernel: `len`, or under `short`
/// one time in two fewer (but at least 1, so that a transfer of 0 still means end of stream).
fn offered(len: usize) -> usize {
    let Some(plan) = plan().filter(|plan| plan.short) else {
        return len;
    };
    if len < 2 {
        return len;
    }
    SHORT_RNG.with(|state| {
        let mut rng = Rng(state.get().unwrap_or_else(|| {
            use std::hash::{BuildHasher, RandomState};
            // Each thread its own stream (thread ids are not integers on stable Rust).
            let thread = RandomState::new().hash_one(std::thread::current().id());
            Rng::new(plan.seed ^ thread).0
        }));
        let offered = if rng.one_in(2) {
            1 + rng.below(len - 1)
        } else {
            len
        };
        state.set(Some(rng.0));
        offered
    })
}

/// The part of a read buffer a stream read offers the kernel (see [`offered`]).
pub(crate) fn read_buf(buf: &mut [u8]) -> &mut [u8] {
    let len = offered(buf.len());
    &mut buf[..len]
}

/// The part of a write buffer a stream write offers the kernel (see [`offered`]).
pub(crate) fn write_buf(buf: &[u8]) -> &[u8] {
    &buf[..offered(buf.len())]
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_variable_parses_words_all_and_a_seed() {
        let plan = Plan::parse("spurious, eintr,seed=7").unwrap();
        assert!(plan.spurious && plan.eintr && !plan.late && !plan.short);
        assert_eq!(plan.seed, 7);
        let all = Plan::parse("all").unwrap();
        assert!(all.spurious && all.late && all.eintr && all.short);
        assert_eq!(all.seed, 1);
        assert!(Plan::parse("spuriuos").is_err());
        assert!(Plan::parse("seed=x").is_err());
    }

    fn faults(plan: &str) -> PollFaults {
        PollFaults {
            plan: Plan::parse(plan).unwrap(),
            rng: Rng::new(3),
            held: Vec::new(),
            seen: Vec::new(),
            seen_next: 0,
        }
    }

    /// Polls `faults` `turns` times over a source that reports `events[turn]`; returns what
    /// reached the caller on each turn and the timeouts the real poll was given.
    fn run(
        faults: &mut PollFaults,
        events: &[Vec<usize>],
    ) -> (Vec<Vec<usize>>, Vec<Option<Duration>>) {
        let mut reported = Vec::new();
        let mut timeouts = Vec::new();
        for turn_events in events {
            let mut got = Vec::new();
            let _ = faults.poll(
                None,
                |timeout, report| {
                    timeouts.push(timeout);
                    turn_events
                        .iter()
                        .for_each(|&token| report(token, Ready::READABLE));
                    Ok(())
                },
                |token, _| got.push(token),
            );
            reported.push(got);
        }
        (reported, timeouts)
    }

    #[test]
    fn late_events_arrive_on_the_next_poll_which_does_not_block() {
        let mut faults = faults("late");
        let events: Vec<Vec<usize>> = (0..200).map(|t| vec![t]).chain([vec![]]).collect();
        let (reported, timeouts) = run(&mut faults, &events);
        let mut all: Vec<usize> = reported.concat();
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<_>>(), "every event once");
        let held = (0..200).filter(|&t| !reported[t].contains(&t)).count();
        assert!(held > 10, "only {held} of 200 events were late");
        for t in 0..200 {
            if !reported[t].contains(&t) {
                assert!(
                    reported[t + 1].contains(&t),
                    "event {t} came more than a turn late"
                );
                assert_eq!(timeouts[t + 1], Some(Duration::ZERO));
            }
        }
    }

    #[test]
    fn eintr_returns_without_waiting_and_spurious_events_name_seen_tokens() {
        let mut faults = faults("eintr,spurious");
        let events: Vec<Vec<usize>> = (0..400).map(|t| vec![t % 10]).collect();
        let (reported, timeouts) = run(&mut faults, &events);
        let interrupted = 400 - timeouts.len();
        assert!(
            interrupted > 10,
            "only {interrupted} of 400 polls interrupted"
        );
        let extra: usize = reported.iter().map(|r| r.len().saturating_sub(1)).sum();
        assert!(extra > 10, "only {extra} spurious events in 400 polls");
        assert!(reported.concat().iter().all(|&token| token < 10));
    }
}
