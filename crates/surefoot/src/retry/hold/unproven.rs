//! A host not proven up — it has not answered yet, or its last answer was a failure
//! counting toward an outage — admits at most [`UNPROVEN_IN_FLIGHT`] attempts in flight;
//! the others wait (at most [`UNPROVEN_WAIT`]) for an answer, like a probe before the
//! flood. With a shared store, an outage another process found is joined first.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{lock, HostHold, Shared, PROBE_BASE, UNPROVEN_IN_FLIGHT, UNPROVEN_WAIT};

/// An attempt admitted to a host not proven up; its end (drop) lets the next one go.
pub(crate) struct Unproven {
    pub(super) hold: Arc<HostHold>,
}

impl Drop for Unproven {
    fn drop(&mut self) {
        let mut st = lock(&self.hold.state);
        st.unproven_in_flight = st.unproven_in_flight.saturating_sub(1);
        drop(st);
        self.hold.changed.notify_waiters();
    }
}

impl HostHold {
    /// Admit an attempt to a host not proven up: at once while fewer than
    /// [`UNPROVEN_IN_FLIGHT`] are in flight; else wait until one ends, the host answers,
    /// or an outage begins (the caller's hold then takes over) — at most the smaller of
    /// `max_wait` and [`UNPROVEN_WAIT`]. Returns the admission to keep until the attempt's
    /// outcome is recorded (none when no longer needed), and the time waited.
    pub(crate) async fn admit_unproven(
        self: &Arc<Self>,
        max_wait: Duration,
        shared: Option<Shared<'_>>,
    ) -> (Option<Unproven>, Duration) {
        // An outage another process found: join it before sending (asked at most once
        // per PROBE_BASE, so calls starting together cost one round trip).
        let ask = shared.filter(|_| {
            let mut st = lock(&self.state);
            let now = Instant::now();
            let due = st
                .shared_checked
                .is_none_or(|t| now.saturating_duration_since(t) >= PROBE_BASE);
            if due {
                st.shared_checked = Some(now);
            }
            due
        });
        if let Some(sh) = ask
            && let Some(o) = sh.store.outage_since(sh.id).await
        {
            self.join(o);
            return (None, Duration::ZERO);
        }
        let start = Instant::now();
        // Time held counts only once the call actually waited.
        let mut waited = false;
        let held = |waited: bool| {
            if waited {
                start.elapsed()
            } else {
                Duration::ZERO
            }
        };
        let give_up_at = start + max_wait.min(UNPROVEN_WAIT);
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_proven() {
                return (None, held(waited));
            }
            {
                let mut st = lock(&self.state);
                if st.outage.is_some() {
                    return (None, held(waited));
                }
                if st.unproven_in_flight < UNPROVEN_IN_FLIGHT {
                    st.unproven_in_flight += 1;
                    let admitted = Unproven { hold: self.clone() };
                    return (Some(admitted), held(waited));
                }
            }
            if Instant::now() >= give_up_at {
                return (None, held(waited));
            }
            waited = true;
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep_until(give_up_at) => {}
            }
        }
    }
}
