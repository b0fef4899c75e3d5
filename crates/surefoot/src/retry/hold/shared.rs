//! The hold with a shared pacing store (Redis): a host's outage kept per host and API
//! key, so processes send one probe at a time between them, join an outage another one
//! found, and learn from the store when it ended.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{lock, Change, HostHold, Outage, ProbeGuard, Shared, PROBE_BASE, PROBE_CAP};
use crate::error::Error;
use crate::pacing::SharedOutage;

impl HostHold {
    /// Record a successful answer from the host (a shared store learns that the outage
    /// is over when this ended one, or was its probe).
    pub(crate) async fn succeeded(&self, probe: Option<ProbeGuard>, shared: Option<Shared<'_>>) {
        let was_probe = probe.is_some();
        let ended = self.record_success(probe);
        if let Some(sh) = shared.filter(|_| ended || was_probe) {
            sh.store.outage_end(sh.id).await;
        }
    }

    /// Record a failed attempt (as `record_failure` does); a
    /// shared store learns that an outage began, a probe failed, or the outage ended.
    pub(crate) async fn failed(
        &self,
        call: u64,
        error: &Error,
        probe: Option<ProbeGuard>,
        shared: Option<Shared<'_>>,
    ) -> bool {
        let (in_outage, change) = self.note_failure(call, error, probe);
        if let (Some(sh), Some(change)) = (shared, change) {
            match change {
                Change::Began(status) => {
                    if let Some(o) = sh.store.outage_begin(sh.id, status).await {
                        self.adopt_since(o.ago);
                    }
                }
                Change::ProbeFailed => {
                    sh.store
                        .outage_probe_failed(sh.id, PROBE_BASE, PROBE_CAP)
                        .await
                }
                Change::Ended => sh.store.outage_end(sh.id).await,
            }
        }
        in_outage
    }

    /// An outage a shared store knows of: held here too (unless one already is), as if
    /// this process had seen the failures.
    pub(super) fn join(&self, o: SharedOutage) {
        let mut st = lock(&self.state);
        if st.outage.is_some() {
            return;
        }
        let message = "host in outage: another process sharing the pacing store saw it fail";
        let last_error = match o.status {
            Some(status) => Error::from_response(status, &http::HeaderMap::new(), b"", false)
                .with_message(message),
            None => Error::connection(message, false),
        };
        let now = Instant::now();
        st.epochs += 1;
        let since = SystemTime::now()
            .checked_sub(o.ago)
            .unwrap_or_else(SystemTime::now);
        st.outage = Some(Outage {
            epoch: st.epochs,
            since,
            started: now.checked_sub(o.ago).unwrap_or(now),
            probe_out: false,
            probes_failed: 0,
            next_probe_at: now + PROBE_BASE,
            held: 0,
            last_error,
            ramp: None,
        });
        st.failing_calls.clear();
        self.troubled.store(true, Ordering::Release);
        self.proven.store(false, Ordering::Release);
        drop(st);
        tracing::warn!(
            target: "surefoot::retry",
            host = %self.host,
            "surefoot: host {} in outage since {}, 0 calls held (found by another process sharing the pacing store); holding calls, one probe at a time between the processes",
            self.host,
            httpdate::fmt_http_date(since),
        );
        self.changed.notify_waiters();
    }

    /// The outage began `ago` (as a shared store knows it, perhaps from another process).
    fn adopt_since(&self, ago: Duration) {
        let mut st = lock(&self.state);
        if let Some(o) = st.outage.as_mut()
            && let Some(since) = SystemTime::now().checked_sub(ago)
        {
            o.since = o.since.min(since);
        }
    }
}
