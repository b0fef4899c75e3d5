//! The waker an inline connection (`client::inline`) is polled with: a wake that comes
//! while the call itself is polling the connection (hyper's request channel when the call
//! hands it a request, the answer's channel when the connection delivers the answer) is
//! answered by polling once more right there, instead of waking the call's task — which
//! would make the runtime check its I/O driver once more (an `epoll_wait` that finds
//! nothing) and poll the whole call again from the top before it sleeps. A wake that comes
//! while the call is not polling (the socket became readable) goes to the call's own
//! waker, as before.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// How many times one poll polls again for wakes of its own before it hands the wake to
/// the runtime (a future that keeps waking itself, as hyper's yields do, still lets the
/// runtime run).
const ROUNDS: usize = 4;

/// One connection's waker (made once per connection).
pub(crate) struct Quiet {
    state: Arc<State>,
    waker: Waker,
}

struct State {
    /// Set while a poll is under way: a wake then only sets `again`.
    polling: AtomicBool,
    again: AtomicBool,
    /// The waker of the call that polled last.
    outer: Mutex<Option<Waker>>,
}

impl Quiet {
    pub(crate) fn new() -> Quiet {
        let state = Arc::new(State {
            polling: AtomicBool::new(false),
            again: AtomicBool::new(false),
            outer: Mutex::new(None),
        });
        let waker = Waker::from(Arc::clone(&state));
        Quiet { state, waker }
    }

    /// Polls `f` with this waker, again while something `f` polled woke it during the poll
    /// (up to [`ROUNDS`] times; then the call's waker is woken and the poll returns
    /// `Pending`). A wake during a poll that ends `Ready` is dropped: the call polls the
    /// connection again whenever it next waits on it, and a connection idle in the pool is
    /// polled by no one until it is taken out.
    pub(crate) fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        mut f: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.register(cx.waker());
        let mut inner = Context::from_waker(&self.waker);
        for _ in 0..ROUNDS {
            self.state.polling.store(true, SeqCst);
            self.state.again.store(false, SeqCst);
            let polled = f(&mut inner);
            self.state.polling.store(false, SeqCst);
            if polled.is_ready() || !self.state.again.load(SeqCst) {
                return polled;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Forgets the wakes of this poll so far: for a caller that has just woken the
    /// connection itself (handed it a request) and polls everything it waits on next.
    pub(crate) fn settled(&self) {
        self.state.again.store(false, SeqCst);
    }

    fn register(&self, waker: &Waker) {
        let mut outer = self.state.outer.lock().unwrap_or_else(|e| e.into_inner());
        if !outer.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *outer = Some(waker.clone());
        }
    }
}

impl Wake for State {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.polling.load(SeqCst) {
            self.again.store(true, SeqCst);
            // Still polling: the poll sees `again` when it ends. Otherwise it may already
            // have looked, so the wake goes on to the call.
            if self.polling.load(SeqCst) {
                return;
            }
        }
        let outer = self.outer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(waker) = outer {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A waker that counts its wakes.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn outer() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (Arc::clone(&count), Waker::from(count))
    }

    #[test]
    fn a_wake_during_the_poll_polls_again_without_waking_the_call() {
        let (count, waker) = outer();
        let quiet = Quiet::new();
        let mut polls = 0;
        let polled = quiet.poll(&mut Context::from_waker(&waker), |cx| {
            polls += 1;
            if polls == 1 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(polls)
        });
        assert_eq!(polled, Poll::Ready(2));
        assert_eq!(count.0.load(SeqCst), 0);
    }

    #[test]
    fn a_wake_after_the_poll_wakes_the_call() {
        let (count, waker) = outer();
        let quiet = Quiet::new();
        let mut kept = None;
        let polled: Poll<()> = quiet.poll(&mut Context::from_waker(&waker), |cx| {
            kept = Some(cx.waker().clone());
            Poll::Pending
        });
        assert!(polled.is_pending());
        assert_eq!(count.0.load(SeqCst), 0);
        kept.expect("the waker was kept").wake();
        assert_eq!(count.0.load(SeqCst), 1);
    }

    #[test]
    fn a_poll_that_keeps_waking_itself_hands_the_wake_to_the_call() {
        let (count, waker) = outer();
        let quiet = Quiet::new();
        let mut polls = 0;
        let polled: Poll<()> = quiet.poll(&mut Context::from_waker(&waker), |cx| {
            polls += 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        });
        assert!(polled.is_pending());
        assert_eq!(polls, ROUNDS);
        assert_eq!(count.0.load(SeqCst), 1);
    }

    #[test]
    fn a_wake_from_another_thread_during_the_poll_is_not_lost() {
        for _ in 0..200 {
            let (count, waker) = outer();
            let quiet = Quiet::new();
            let mut polls = 0;
            let mut woken = None;
            let polled: Poll<()> = quiet.poll(&mut Context::from_waker(&waker), |cx| {
                polls += 1;
                if woken.is_none() {
                    let w = cx.waker().clone();
                    woken = Some(std::thread::spawn(move || w.wake()));
                }
                Poll::Pending
            });
            assert!(polled.is_pending());
            woken.expect("spawned").join().expect("woke");
            // The poll saw the wake (and polled again), or the call was woken.
            assert!(polls >= 2 || count.0.load(SeqCst) >= 1, "a wake was lost");
        }
    }
}
