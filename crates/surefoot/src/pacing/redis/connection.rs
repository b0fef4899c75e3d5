//! The connection's state machine: connecting in the background (once per process, again
//! after `fork()`), up, or down — deciding locally, warning once per outage, probing
//! until Redis answers again — and running one operation within the decision timeout.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::target::{Conn, CONNECT_TIMEOUT};
use super::{RedisStore, Shared};
use crate::pacing::lock;

/// How often an unreachable Redis is tried again in the background.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

pub(super) const STATE_CONNECTING: u8 = 0;
pub(super) const STATE_UP: u8 = 1;
pub(super) const STATE_DOWN: u8 = 2;

impl RedisStore {
    /// Start connecting in the background, once per process (a child after `fork()`
    /// has none of its parent's connection and runtime threads: it starts over).
    pub(super) fn start(&self) {
        let s = &self.shared;
        let pid = std::process::id();
        if s.pid.load(Ordering::Acquire) != pid && s.pid.swap(pid, Ordering::AcqRel) != pid {
            *lock(&s.conn) = None;
            s.state.store(STATE_CONNECTING, Ordering::Release);
            s.probing.store(false, Ordering::Release);
            s.started.store(false, Ordering::Release);
            s.connecting.store(false, Ordering::Release);
        }
        if self.shared.started.swap(true, Ordering::AcqRel) {
            return;
        }
        spawn_connect_loop(&self.shared);
    }

    /// The connection to use now, or `None` to decide locally.
    async fn connection(&self) -> Option<Conn> {
        self.start();
        let s = &self.shared;
        match s.state.load(Ordering::Acquire) {
            STATE_UP => lock(&s.conn).clone(),
            STATE_DOWN => None,
            _ => {
                // The first decisions wait for the first connection (at most the
                // connect timeout: a TLS handshake, a Sentinel lookup or a cluster's slot
                // map can take longer than one decision's timeout) instead of deciding
                // alone before this process has seen how many others share the key. A
                // Redis that refuses ends the wait at once.
                let notified = s.changed.notified();
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    let wait = s.opts.decision_timeout.max(CONNECT_TIMEOUT);
                    let _ = tokio::time::timeout(wait, notified).await;
                }
                match s.state.load(Ordering::Acquire) {
                    STATE_UP => lock(&s.conn).clone(),
                    _ => {
                        mark_down(s, "it did not answer in time");
                        None
                    }
                }
            }
        }
    }

    /// Run `op` on Redis within the decision timeout; `None` (and an outage) on failure.
    pub(super) async fn run<T, F, Fut>(&self, op: F) -> Option<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(self.shared.opts.decision_timeout, op(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                mark_down(&self.shared, e.category());
                None
            }
            Err(_) => {
                mark_down(
                    &self.shared,
                    "it did not answer within the decision timeout",
                );
                None
            }
        }
    }

    /// Wait (fail closed) for Redis to come back, at most `budget`; whether it did.
    pub(super) async fn wait_for_redis(&self, budget: Option<Duration>) -> bool {
        let deadline = budget.map(|b| tokio::time::Instant::now() + b);
        loop {
            let notified = self.shared.changed.notified();
            if self.is_available() {
                return true;
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, notified).await.is_err() {
                        return self.is_available();
                    }
                }
                None => notified.await,
            }
        }
    }
}

/// Redis stopped answering: decide locally, warn once for this outage, probe in the
/// background until it answers again.
fn mark_down(s: &Arc<Shared>, why: &str) {
    let previous = s.state.swap(STATE_DOWN, Ordering::AcqRel);
    if previous != STATE_DOWN {
        s.outages.fetch_add(1, Ordering::Relaxed);
        let mode = if s.opts.fail_closed {
            "waiting for it (fail closed)"
        } else {
            "pacing locally at this process's fair share of each limit"
        };
        tracing::warn!(
            target: "surefoot::pacing",
            store = %s.shown,
            "surefoot: pacing store unavailable ({why}); {mode} until it answers again"
        );
        s.changed.notify_waiters();
    }
    if s.backend.finds_primary_again() {
        // The primary may have moved (a failover): connect anew to the one the sentinels
        // name, instead of retrying the address that stopped answering.
        *lock(&s.conn) = None;
        spawn_connect_loop(s);
    }
    if !s.probing.swap(true, Ordering::AcqRel) {
        crate::runtime::handle().spawn(probe_loop(s.clone()));
    }
}

fn mark_up(s: &Shared) {
    let previous = s.state.swap(STATE_UP, Ordering::AcqRel);
    if previous == STATE_DOWN {
        tracing::info!(target: "surefoot::pacing", store = %s.shown, "surefoot: pacing store answers again; pacing with it");
    }
    s.changed.notify_waiters();
}

/// Start the connect loop unless one is running.
fn spawn_connect_loop(s: &Arc<Shared>) {
    if !s.connecting.swap(true, Ordering::AcqRel) {
        crate::runtime::handle().spawn(connect_loop(s.clone()));
    }
}

async fn connect_loop(s: Arc<Shared>) {
    loop {
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT * 2, s.backend.connect()).await;
        match attempt {
            Ok(Ok(conn)) => {
                *lock(&s.conn) = Some(conn);
                s.connecting.store(false, Ordering::Release);
                s.probing.store(false, Ordering::Release);
                mark_up(&s);
                return;
            }
            Ok(Err(e)) => {
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    mark_down_no_probe(&s, e.category());
                }
            }
            Err(_) => {
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    mark_down_no_probe(&s, "connecting timed out");
                }
            }
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// Like [`mark_down`] while the first connection is still being tried (the connect loop
/// is the probe).
fn mark_down_no_probe(s: &Arc<Shared>, why: &str) {
    s.probing.store(true, Ordering::Release);
    mark_down(s, why);
}

async fn probe_loop(s: Arc<Shared>) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        let conn = lock(&s.conn).clone();
        let answered = match conn {
            // The connect loop is still trying; it marks the store up when it succeeds.
            None => s.state.load(Ordering::Acquire) == STATE_UP,
            Some(mut conn) => matches!(
                tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    redis::cmd("PING").query_async::<String>(&mut conn),
                )
                .await,
                Ok(Ok(_))
            ),
        };
        if !answered {
            continue;
        }
        mark_up(&s);
        s.probing.store(false, Ordering::Release);
        // An outage that began while this probe was finishing keeps this probe going.
        if s.state.load(Ordering::Acquire) != STATE_DOWN || s.probing.swap(true, Ordering::AcqRel) {
            return;
        }
    }
}
