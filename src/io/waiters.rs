//! The tasks waiting on one direction of a registration.
//!
//! Two kinds of waiter, because two kinds of caller:
//!
//! 1. **The owner** — the `poll_*` API (`AsyncRead`, `AsyncWrite`, `poll_accept`) and the
//!    `&mut self` methods of `TcpStream` and its halves. Their caller holds the only right to
//!    this direction, so one slot suffices; it costs no allocation, and a newer waker simply
//!    replaces the older one (the same task, polled again).
//! 2. **Shared waiters** — the `&self` async methods of `TcpListener` and `UdpSocket`, which
//!    several tasks may await at once on one socket. Each waiting future owns a key into a small
//!    slab for as long as it lives: polling again refreshes its slot, dropping the future frees
//!    it. So every waiting task is woken, and a cancelled one leaves nothing behind.
//!
//! A wake empties every slot but keeps the keys: the woken futures will poll again and reuse
//! them. All of it lives under the registration's waiters lock (`scheduled_io` rule 3).

use std::task::Waker;

/// The waiters of one direction.
#[derive(Default)]
pub(crate) struct DirectionWaiters {
    owner: Option<Waker>,
    /// Indexed by a shared waiter's key; `None` while its future is not waiting.
    shared: Vec<Option<Waker>>,
    /// Keys no future holds.
    free_keys: Vec<usize>,
}

impl DirectionWaiters {
    /// Stores the owner's waker (rule 1).
    pub(crate) fn set_owner(&mut self, waker: &Waker) {
        set(&mut self.owner, waker);
    }

    /// Stores a shared waiter's waker under `key`, taking a key on its first wait (rule 2).
    pub(crate) fn set_shared(&mut self, key: &mut Option<usize>, waker: &Waker) {
        let key = *key.get_or_insert_with(|| match self.free_keys.pop() {
            Some(key) => key,
            None => {
                self.shared.push(None);
                self.shared.len() - 1
            }
        });
        set(&mut self.shared[key], waker);
    }

    /// The future holding `key` is gone: frees its slot (rule 2).
    pub(crate) fn remove_shared(&mut self, key: usize) {
        self.shared[key] = None;
        self.free_keys.push(key);
    }

    /// Moves every stored waker into `wake_list`, keeping the keys.
    pub(crate) fn take_all(&mut self, wake_list: &mut Vec<Waker>) {
        wake_list.extend(self.owner.take());
        wake_list.extend(self.shared.iter_mut().filter_map(Option::take));
    }
}

/// Stores `waker` in `slot`, cloning only if the slot does not already wake the same task.
fn set(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    #[test]
    fn every_shared_waiter_is_woken_and_keys_survive_the_wake() {
        let mut waiters = DirectionWaiters::default();
        let (a, a_waker) = waker();
        let (b, b_waker) = waker();
        let (mut a_key, mut b_key) = (None, None);
        waiters.set_shared(&mut a_key, &a_waker);
        waiters.set_shared(&mut b_key, &b_waker);
        assert_ne!(a_key, b_key);

        let mut wake_list = Vec::new();
        waiters.take_all(&mut wake_list);
        wake_list.drain(..).for_each(Waker::wake);
        assert_eq!(a.0.load(Ordering::SeqCst), 1);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);

        let key_before = a_key;
        waiters.set_shared(&mut a_key, &a_waker);
        assert_eq!(a_key, key_before, "a woken future keeps its key");
    }

    #[test]
    fn a_removed_waiter_is_not_woken_and_its_key_is_reused() {
        let mut waiters = DirectionWaiters::default();
        let (gone, gone_waker) = waker();
        let mut key = None;
        waiters.set_shared(&mut key, &gone_waker);
        waiters.remove_shared(key.unwrap());

        let mut wake_list = Vec::new();
        waiters.take_all(&mut wake_list);
        assert!(wake_list.is_empty());
        assert_eq!(gone.0.load(Ordering::SeqCst), 0);

        let mut next = None;
        waiters.set_shared(&mut next, &gone_waker);
        assert_eq!(next, key);
    }

    #[test]
    fn the_owner_slot_holds_the_latest_waker() {
        let mut waiters = DirectionWaiters::default();
        let (first, first_waker) = waker();
        let (second, second_waker) = waker();
        waiters.set_owner(&first_waker);
        waiters.set_owner(&second_waker);
        let mut wake_list = Vec::new();
        waiters.take_all(&mut wake_list);
        wake_list.drain(..).for_each(Waker::wake);
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }
}
