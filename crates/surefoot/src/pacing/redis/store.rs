//! [`PacingStore`] for [`RedisStore`]: each method one script call or command on Redis,
//! mirrored into (or, when Redis does not answer, decided by) the in-process store.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::codec::{limit_from_string, limit_to_string, scripts, shared_outage};
use super::RedisStore;
use crate::pacing::lock;
use crate::pacing::rate_limit::fair_share;
use crate::pacing::store::{
    Episode, OutageProbe, PacingStore, Pause, PauseCause, Reservation, SharedOutage, StoreFuture,
};
use crate::pacing::RateLimit;

impl PacingStore for RedisStore {
    fn name(&self) -> String {
        format!("{} prefix={}", self.shared.shown, self.shared.opts.prefix)
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn slot_lease(&self) -> Duration {
        self.shared.opts.slot_lease
    }

    fn fallback_decisions(&self) -> u64 {
        self.shared.fallbacks.load(Ordering::Relaxed)
    }

    fn reserve<'a>(
        &'a self,
        key: &'a str,
        limit: &'a RateLimit,
        max_wait: Option<Duration>,
    ) -> StoreFuture<'a, Reservation> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            loop {
                if let Some(r) = self.reserve_redis(key, limit, max_wait).await {
                    return r;
                }
                if !self.shared.opts.fail_closed {
                    self.count_fallback();
                    let share = fair_share(*limit, self.processes_seen(key));
                    if self.switched(key, false) {
                        self.start_local(key, &share);
                    }
                    let r = self.shared.local.reserve_now(key, &share, max_wait);
                    if let Reservation::Go(wait) = r {
                        self.sent_locally(key, wait);
                    }
                    return r;
                }
                let budget = max_wait.map(|m| m.saturating_sub(start.elapsed()));
                if !self.wait_for_redis(budget).await {
                    // Failing closed, and Redis did not come back within what the call
                    // allows: refuse with the time waited (the call gets `retry_after`).
                    self.count_fallback();
                    return Reservation::TooLong(
                        start.elapsed().max(max_wait.unwrap_or_default())
                            + self.shared.opts.decision_timeout,
                    );
                }
            }
        })
    }

    fn pause<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // `throttled.lua` with no episode: a pause only.
            self.throttled_redis(key, duration, cause, Duration::ZERO)
                .await;
        })
    }

    fn known_pause<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        Box::pin(std::future::ready(self.shared.local.paused_now(key)))
    }

    fn paused<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        Box::pin(self.paused_redis(key))
    }

    fn reserve_unpaced<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Reservation> {
        Box::pin(self.unpaced_redis(key))
    }

    fn learns_together(&self) -> bool {
        true
    }

    fn note_accepted(&self, key: &str) {
        let mut pending = lock(&self.shared.pending_accepted);
        let n = pending.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
    }

    fn throttled<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
        episode: Duration,
    ) -> StoreFuture<'a, Episode> {
        Box::pin(self.throttled_redis(key, duration, cause, episode))
    }

    fn fleet_learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<(String, Duration)>> {
        Box::pin(self.fleet_learned_redis(key))
    }

    fn set_fleet_learned<'a>(
        &'a self,
        key: &'a str,
        state: String,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.set_fleet_learned_redis(key, state, ttl))
    }

    fn learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<RateLimit>> {
        Box::pin(async move {
            let k = self.redis_key(key, "learned");
            let answer: Option<Option<String>> = self
                .run(|mut c| async move { redis::cmd("GET").arg(k).query_async(&mut c).await })
                .await;
            match answer {
                Some(v) => v.as_deref().and_then(limit_from_string),
                None => self.shared.local.learned(key).await,
            }
        })
    }

    fn set_learned<'a>(
        &'a self,
        key: &'a str,
        limit: Option<RateLimit>,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.shared.local.set_learned(key, limit, ttl).await;
            let k = self.redis_key(key, "learned");
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let _: Option<()> = self
                .run(|mut c| async move {
                    match limit {
                        Some(l) => {
                            redis::cmd("SET")
                                .arg(k)
                                .arg(limit_to_string(&l))
                                .arg("PX")
                                .arg(ms)
                                .query_async(&mut c)
                                .await
                        }
                        None => redis::cmd("DEL").arg(k).query_async(&mut c).await,
                    }
                })
                .await;
        })
    }

    fn acquire_slot<'a>(
        &'a self,
        key: &'a str,
        max: usize,
        lease: Duration,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let n = self.shared.next_slot.fetch_add(1, Ordering::Relaxed);
            let id = format!("{}-{n}", self.process_id());
            let k = self.redis_key(key, "slots");
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            let slot_id = id.clone();
            let answer: Option<i64> = self
                .run(|mut c| async move {
                    scripts()
                        .acquire_slot
                        .key(k)
                        .arg(max)
                        .arg(ms)
                        .arg(slot_id)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
            match answer {
                Some(1) => Some(id),
                Some(_) => None,
                None if self.shared.opts.fail_closed => None,
                None => {
                    // Local slots are named `slot-N` by the memory store.
                    self.count_fallback();
                    let procs = usize::try_from(self.processes_seen(key)).unwrap_or(1);
                    let share = (max / procs.max(1)).max(1);
                    self.shared.local.acquire_slot(key, share, lease).await
                }
            }
        })
    }

    fn renew_slot<'a>(
        &'a self,
        key: &'a str,
        slot: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if slot.starts_with("slot-") {
                return self.shared.local.renew_slot(key, slot, lease).await;
            }
            let k = self.redis_key(key, "slots");
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            let slot = slot.to_owned();
            let answer: Option<i64> = self
                .run(|mut c| async move {
                    scripts()
                        .renew_slot
                        .key(k)
                        .arg(slot)
                        .arg(ms)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
            // While Redis is away the slot is still ours as far as anyone can tell.
            answer.is_none_or(|n| n == 1)
        })
    }

    fn release_slot<'a>(&'a self, key: &'a str, slot: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if slot.starts_with("slot-") {
                return self.shared.local.release_slot(key, slot).await;
            }
            let k = self.redis_key(key, "slots");
            let slot = slot.to_owned();
            // Unreachable: the lease frees the slot by itself.
            let _: Option<i64> = self
                .run(|mut c| async move {
                    redis::cmd("ZREM")
                        .arg(k)
                        .arg(slot)
                        .query_async(&mut c)
                        .await
                })
                .await;
        })
    }

    fn slots_in_use<'a>(&'a self, key: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let k = self.redis_key(key, "slots");
            let answer: Option<i64> = self
                .run(
                    |mut c| async move { scripts().slots_in_use.key(k).invoke_async(&mut c).await },
                )
                .await;
            match answer {
                Some(n) => usize::try_from(n).unwrap_or(0),
                None => self.shared.local.slots_in_use(key).await,
            }
        })
    }

    fn reset<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.shared.local.reset(key).await;
            lock(&self.shared.retry_debt).remove(key);
            lock(&self.shared.fleet).remove(key);
            lock(&self.shared.leads).remove(key);
            lock(&self.shared.local_sends).remove(key);
            lock(&self.shared.pending_accepted).remove(key);
            let keys: Vec<String> = [
                "tat", "pause", "learned", "slots", "procs", "budget", "outage", "probe", "fleet",
                "acc", "episode", "local", "start",
            ]
            .iter()
            .map(|f| self.redis_key(key, f))
            .collect();
            let _: Option<i64> = self
                .run(|mut c| async move { redis::cmd("DEL").arg(keys).query_async(&mut c).await })
                .await;
        })
    }

    fn take_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        cost: u32,
        capacity: u32,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            match self.retry_tokens_redis(key, "take", cost, capacity).await {
                Some(taken) => {
                    if taken == 1 && cost > 0 {
                        let mut debt = lock(&self.shared.retry_debt);
                        let d = debt.entry(key.to_owned()).or_insert(0);
                        *d = d.saturating_add(cost);
                    }
                    taken == 1
                }
                None => {
                    self.count_fallback();
                    self.shared
                        .local
                        .take_retry_tokens(key, cost, capacity)
                        .await
                }
            }
        })
    }

    fn refund_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        n: u32,
        capacity: u32,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // At most what this process took from the shared bucket (none: no round trip).
            let owed = {
                let mut debt = lock(&self.shared.retry_debt);
                match debt.get_mut(key) {
                    Some(d) => {
                        let m = n.min(*d);
                        *d -= m;
                        if *d == 0 {
                            debt.remove(key);
                        }
                        m
                    }
                    None => 0,
                }
            };
            if owed > 0
                && self
                    .retry_tokens_redis(key, "refund", owed, capacity)
                    .await
                    .is_some()
            {
                return;
            }
            self.shared
                .local
                .refund_retry_tokens(key, n, capacity)
                .await;
        })
    }

    fn outage_begin<'a>(
        &'a self,
        id: &'a str,
        status: Option<u16>,
    ) -> StoreFuture<'a, Option<SharedOutage>> {
        Box::pin(async move {
            let (ago, status) = self
                .outage_redis(id, "begin", u64::from(status.unwrap_or(0)), 0)
                .await?;
            Some(shared_outage(ago, status))
        })
    }

    fn outage_since<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<SharedOutage>> {
        Box::pin(async move {
            let (ago, status) = self.outage_redis(id, "since", 0, 0).await?;
            (ago >= 0).then(|| shared_outage(ago, status))
        })
    }

    fn outage_probe<'a>(&'a self, id: &'a str, lease: Duration) -> StoreFuture<'a, OutageProbe> {
        Box::pin(async move {
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            match self.outage_redis(id, "probe", ms, 0).await {
                Some((0, _)) => OutageProbe::Granted,
                Some((1, ms)) => {
                    OutageProbe::Wait(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
                }
                Some(_) => OutageProbe::Ended,
                None => OutageProbe::Local,
            }
        })
    }

    fn outage_probe_failed<'a>(
        &'a self,
        id: &'a str,
        first: Duration,
        cap: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let _ = self.outage_redis(id, "failed", ms(first), ms(cap)).await;
        })
    }

    fn outage_end<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _ = self.outage_redis(id, "end", 0, 0).await;
        })
    }

    fn retry_tokens<'a>(&'a self, key: &'a str, capacity: u32) -> StoreFuture<'a, u32> {
        Box::pin(async move {
            match self.retry_tokens_redis(key, "read", 0, capacity).await {
                Some(n) => u32::try_from(n).unwrap_or(0),
                None => self.shared.local.retry_tokens(key, capacity).await,
            }
        })
    }
}
