//! The fleet's start window. Before anything paces a key (no limit configured, none
//! learned or announced), a store that learns together lets the fleet's requests out the
//! way TCP's slow start lets segments out: at most a window of them beyond the answers
//! accepted so far, the window beginning at [`START_WINDOW`] and doubling every
//! [`START_DOUBLING`], open for good once it reaches [`START_OPEN`]. N processes starting
//! at once on a fresh key then meet a server's burst with a few requests, not with every
//! process's threads, so the fleet's first 429 costs a few more, not dozens. On a healthy
//! server the answers open the window within milliseconds; on a slow one (answers taking
//! seconds) time alone opens it, in [`START_DOUBLING`] × log2(open ÷ first): 150 ms. The
//! rule is stated here once: [`MemoryStore::learning_together`](super::MemoryStore::learning_together)
//! applies it through `fleet_book`, and the Redis store's `paused.lua` with these
//! constants as arguments.

use std::time::Duration;

/// Requests the fleet may have out on a fresh key before any answer came back.
pub const START_WINDOW: u32 = 2;
/// How often the start window doubles with no answer.
pub const START_DOUBLING: Duration = Duration::from_millis(25);
/// The window at which the start is over: nothing is counted from then on.
pub const START_OPEN: u32 = 128;
/// A key nobody decided on for this long starts with a window again.
pub const START_IDLE: Duration = Duration::from_secs(30);
/// The longest a caller waits before asking again while the window is full (an answer
/// accepted meanwhile widens it).
pub const START_POLL: Duration = Duration::from_millis(5);

/// What the start window says about one more request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// The window reached [`START_OPEN`]: the start is over.
    Open,
    /// Within the window: send (and count it).
    Go,
    /// The window is full: ask again after this wait.
    Wait(Duration),
}

/// Whether one more request may go, `elapsed` after the key's first decision, `sent`
/// requests let out so far, `accepted` answers accepted since.
pub(crate) fn admit(elapsed: Duration, sent: u64, accepted: u64) -> Admit {
    let first = f64::from(START_WINDOW);
    let doublings = elapsed.as_nanos() as f64 / START_DOUBLING.as_nanos() as f64;
    let allowed = first * doublings.exp2() + accepted as f64;
    if allowed >= f64::from(START_OPEN) {
        return Admit::Open;
    }
    if (sent + 1) as f64 <= allowed {
        return Admit::Go;
    }
    // When time alone lets one more out: first × 2^(t ÷ doubling) = sent + 1 − accepted.
    let needed = (sent + 1).saturating_sub(accepted) as f64;
    let at = START_DOUBLING.mul_f64((needed / first).log2().max(0.0));
    Admit::Wait(
        at.saturating_sub(elapsed)
            .clamp(Duration::from_millis(1), START_POLL),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_requests_go_then_the_window_waits_for_answers_or_time() {
        assert_eq!(admit(Duration::ZERO, 0, 0), Admit::Go);
        assert_eq!(admit(Duration::ZERO, 1, 0), Admit::Go);
        // Full: time alone lets the third out when the window reaches 3 (25 ms x log2 1.5
        // = 14.6 ms), asked again within the poll and at least a millisecond apart; the
        // fourth after one doubling.
        assert_eq!(admit(Duration::ZERO, 2, 0), Admit::Wait(START_POLL));
        assert_eq!(admit(14 * MS, 2, 0), Admit::Wait(MS));
        assert_eq!(admit(15 * MS, 2, 0), Admit::Go);
        assert_eq!(admit(24 * MS, 3, 0), Admit::Wait(MS));
        assert_eq!(admit(START_DOUBLING, 3, 0), Admit::Go);
        // Each accepted answer lets one more out at once.
        assert_eq!(admit(Duration::ZERO, 2, 1), Admit::Go);
        assert_eq!(admit(Duration::ZERO, 3, 1), Admit::Wait(START_POLL));
    }

    #[test]
    fn the_window_opens_for_good_by_answers_or_after_six_doublings() {
        assert_eq!(admit(Duration::ZERO, 200, 126), Admit::Open);
        assert_eq!(admit(Duration::ZERO, 200, 125), Admit::Wait(START_POLL));
        assert_eq!(admit(START_DOUBLING * 6, 1000, 0), Admit::Open);
        assert_eq!(admit(START_DOUBLING * 5, 63, 0), Admit::Go);
        assert_eq!(admit(START_DOUBLING * 5, 64, 0), Admit::Wait(MS));
    }
}
