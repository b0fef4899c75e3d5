//! New connections to a host recovering from an outage. The ramp (`ramp`) counts calls,
//! but a call that finds its pool empty opens a connection, and a server's accept queue is
//! small (a Python `http.server` holds 6): when many pools (one per thread, or per client)
//! open at once, the kernel drops the SYNs that do not fit and the callers wait for TCP's
//! retransmit, a second or more. So while a host is in an outage (its ramp included), and
//! for [`OPENS_GRACE`] after the last connection opened under this rule, at most
//! [`RECOVERY_OPENS`] connections to it are opening at a time: counted from the connect
//! until the first bytes of an answer come back on it (the server accepted and served it),
//! it fails or closes, or [`OPEN_HOLD`] passes (a slow first answer does not stall the
//! others). A healthy host's connections open without waiting.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{lock, HostHold};

/// Connections opening at once, at most, to a host recovering from an outage (below the
/// smallest accept queue in common use: Python's `listen(5)` holds 6).
///
/// ```
/// assert_eq!(surefoot::retry::hold::RECOVERY_OPENS, 4);
/// ```
pub const RECOVERY_OPENS: usize = 4;
/// The longest a connection counts as opening (its first answer may be slow to come).
///
/// ```
/// assert_eq!(surefoot::retry::hold::OPEN_HOLD, std::time::Duration::from_millis(250));
/// ```
pub const OPEN_HOLD: Duration = Duration::from_millis(250);
/// How long after an outage (or the last connection opened under the rule) the rule
/// lasts: the calls the ramp's end lets go open their connections within it.
///
/// ```
/// assert_eq!(surefoot::retry::hold::OPENS_GRACE, std::time::Duration::from_secs(1));
/// ```
pub const OPENS_GRACE: Duration = Duration::from_secs(1);

/// The connections opening to a host under the rule.
#[derive(Default)]
pub(super) struct Opens {
    /// Each connection opening: its id and when it was let go.
    opening: Vec<(u64, Instant)>,
    next_id: u64,
    /// Until when the rule lasts once the outage is over.
    until: Option<Instant>,
}

impl Opens {
    /// The outage is over: the rule lasts [`OPENS_GRACE`] more.
    pub(super) fn outage_ended(&mut self, now: Instant) {
        self.until = Some(now + OPENS_GRACE);
    }
}

/// A connection's place among those opening; given back when its first answer comes
/// ([`OpenSlot::answered`]) or when dropped (the connect failed, the connection closed).
pub(crate) struct OpenSlot {
    taken: Option<(Arc<HostHold>, u64)>,
}

impl OpenSlot {
    /// The connection's first answer came back: the next may open.
    pub(crate) fn answered(&mut self) {
        if let Some((hold, id)) = self.taken.take() {
            let mut st = lock(&hold.state);
            st.opens.opening.retain(|(i, _)| *i != id);
            drop(st);
            hold.opens_changed.notify_waiters();
        }
    }

    /// Whether this connection still counts as opening.
    #[cfg(test)]
    fn is_counted(&self) -> bool {
        self.taken.is_some()
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.answered();
    }
}

impl HostHold {
    /// Wait for the turn to open a connection to this host: at once when the host is
    /// healthy; while it recovers, once fewer than [`RECOVERY_OPENS`] are opening. Keep the
    /// slot with the connection and call [`OpenSlot::answered`] on its first answer.
    pub(crate) async fn open_connection(self: &Arc<Self>) -> OpenSlot {
        loop {
            let changed = self.opens_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wake_at = {
                let mut st = lock(&self.state);
                let now = Instant::now();
                let ruled = st.outage.is_some() || st.opens.until.is_some_and(|t| now < t);
                if !ruled {
                    st.opens.until = None;
                    st.opens.opening.clear();
                    return OpenSlot { taken: None };
                }
                let o = &mut st.opens;
                o.opening.retain(|(_, at)| now < *at + OPEN_HOLD);
                if o.opening.len() < RECOVERY_OPENS {
                    o.next_id += 1;
                    let id = o.next_id;
                    o.opening.push((id, now));
                    if let Some(t) = o.until.as_mut() {
                        *t = (*t).max(now + OPENS_GRACE);
                    }
                    return OpenSlot {
                        taken: Some((self.clone(), id)),
                    };
                }
                // The first to stop counting: when its hold runs out (or an answer, below).
                o.opening.iter().map(|(_, at)| *at + OPEN_HOLD).min()
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        _ = &mut changed => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn e503() -> Error {
        Error::from_response(503, &http::HeaderMap::new(), b"", false)
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_recovering_host_has_a_few_connections_opening_at_a_time() {
        let h = Arc::new(HostHold::new("http://h:5"));
        // Healthy: no limit, nothing counted.
        let free: Vec<_> = futures::future::join_all((0..10).map(|_| h.open_connection())).await;
        assert!(free.iter().all(|s| !s.is_counted()));
        for call in 1..=3 {
            h.record_failure(call, &e503(), None);
        }
        assert!(h.in_outage());
        let mut slots = Vec::new();
        for _ in 0..RECOVERY_OPENS {
            slots.push(h.open_connection().await);
        }
        assert!(slots.iter().all(OpenSlot::is_counted));
        let next = {
            let h = h.clone();
            tokio::spawn(async move { h.open_connection().await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!next.is_finished(), "a fifth waits for an answer");
        slots[0].answered();
        let fifth = next.await.unwrap();
        assert!(fifth.is_counted());
        // A slow first answer holds its place at most OPEN_HOLD.
        let t0 = Instant::now();
        let sixth = h.open_connection().await;
        assert!(sixth.is_counted());
        assert_eq!(t0.elapsed(), OPEN_HOLD - Duration::from_millis(10));
        // The outage ends: the rule lasts OPENS_GRACE after the last open under it.
        h.record_success(None);
        assert!(!h.in_outage());
        drop((slots, fifth, sixth));
        assert!(h.open_connection().await.is_counted());
        tokio::time::sleep(OPENS_GRACE).await;
        assert!(!h.open_connection().await.is_counted());
    }
}
