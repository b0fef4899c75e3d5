//! The Redis side of the store's multi-step decisions: one pacing reservation
//! (`reserve.lua`), one step on a retry budget and on a host's shared outage — each one
//! script call, one round trip.

use std::time::Duration;

use super::codec::{cause_from_json, micros, scripts};
use super::RedisStore;
use crate::pacing::lock;
use crate::pacing::store::{Pause, Reservation};
use crate::pacing::RateLimit;

/// How long a process counts as active on a key after its last decision there.
const ACTIVE_WINDOW: Duration = Duration::from_secs(10);
/// How long an untouched retry budget is kept in Redis (it then starts full again).
const BUDGET_TTL: Duration = Duration::from_secs(3600);
/// How long a host's outage untouched (no probe failed) is kept in Redis.
const OUTAGE_TTL: Duration = Duration::from_secs(600);

impl RedisStore {
    /// One step on the retry budget of `key` in Redis (`None`: Redis did not answer).
    pub(super) async fn retry_tokens_redis(
        &self,
        key: &str,
        op: &str,
        n: u32,
        capacity: u32,
    ) -> Option<i64> {
        let k = self.redis_key(key, "budget");
        let ttl = u64::try_from(BUDGET_TTL.as_millis()).unwrap_or(u64::MAX);
        let op = op.to_owned();
        self.run(|mut c| async move {
            scripts()
                .retry_tokens
                .key(k)
                .arg(op)
                .arg(n)
                .arg(capacity)
                .arg(ttl)
                .invoke_async(&mut c)
                .await
        })
        .await
    }

    /// One step on the shared outage of host `id` (`None`: Redis did not answer).
    pub(super) async fn outage_redis(
        &self,
        id: &str,
        op: &str,
        arg: u64,
        cap: u64,
    ) -> Option<(i64, i64)> {
        let k = self.redis_key(id, "outage");
        let probe = self.redis_key(id, "probe");
        let keep = u64::try_from(OUTAGE_TTL.as_millis()).unwrap_or(u64::MAX);
        let (op, me) = (op.to_owned(), self.process_id());
        self.run(|mut c| async move {
            scripts()
                .outage
                .key(k)
                .key(probe)
                .arg(op)
                .arg(arg)
                .arg(me)
                .arg(keep)
                .arg(cap)
                .invoke_async(&mut c)
                .await
        })
        .await
    }

    pub(super) async fn reserve_redis(
        &self,
        key: &str,
        limit: &RateLimit,
        max_wait: Option<Duration>,
    ) -> Option<Reservation> {
        let t = micros(limit.emission_interval());
        let tau = t.saturating_mul(u64::from(limit.burst_size().saturating_sub(1)));
        let gap = micros(limit.restart_gap());
        let max = max_wait.map_or(-1, |m| i64::try_from(micros(m)).unwrap_or(i64::MAX));
        let keys = [
            self.redis_key(key, "tat"),
            self.redis_key(key, "pause"),
            self.redis_key(key, "procs"),
            self.redis_key(key, "fleet"),
            self.redis_key(key, "acc"),
            self.redis_key(key, "local"),
        ];
        let accepted = self.take_accepted(key);
        let pid = self.process_id();
        // Back from deciding locally: no burst credit (the server's may be spent), and the
        // requests decided locally that are not yet due, at their times: those among the
        // slots the fleet was handed meanwhile are booked on top of them, and the schedule
        // resumes after the last (the script; see reserve.lua).
        let back = lock(&self.shared.decided_on_redis).get(key) == Some(&false);
        let (floor, pending) = if back {
            (tau, self.take_local_sends(key))
        } else {
            (0, Default::default())
        };
        let now = std::time::Instant::now();
        let due: Vec<String> = pending
            .iter()
            .map(|at| micros(at.saturating_duration_since(now)).to_string())
            .collect();
        let due = due.join(",");
        let result: Option<(i64, i64, String, i64, String, i64)> = self
            .run(|mut c| async move {
                scripts()
                    .reserve
                    .key(&keys[0])
                    .key(&keys[1])
                    .key(&keys[2])
                    .key(&keys[3])
                    .key(&keys[4])
                    .key(&keys[5])
                    .arg(t)
                    .arg(tau)
                    .arg(gap)
                    .arg(max)
                    .arg(pid)
                    .arg(u64::try_from(ACTIVE_WINDOW.as_millis()).unwrap_or(10_000))
                    .arg(floor)
                    .arg(accepted)
                    .arg(due)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        let Some((verdict, us, cause, procs, state, age)) = result else {
            self.keep_local_sends(key, pending);
            return None;
        };
        if verdict == 0 || !back {
            self.switched(key, true);
        } else {
            // Nothing reserved (paused, or the wait too long): the next decision books them.
            self.keep_local_sends(key, pending);
        }
        self.saw_fleet(key, state, age);
        lock(&self.shared.processes).insert(
            key.to_owned(),
            u32::try_from(procs.max(1)).unwrap_or(u32::MAX),
        );
        Some(self.verdict(key, limit, verdict, us, &cause))
    }

    /// The first decision of `key` made locally after deciding on Redis: no burst credit,
    /// and the schedule at least as far ahead of the clock as the fleet's stood at this
    /// process's last decision on Redis. While the fleet's callers wait for slots, each
    /// decision moves the shared schedule one interval and they come one interval apart,
    /// so it keeps that lead; a process whose last decision there was a while ago would
    /// otherwise start its local schedule where the fleet's stood then, beside slots the
    /// other processes were handed since (measured: sends at ~70/s for a quarter second,
    /// 429s, a second after a primary's loss). If the fleet was not that busy, it only
    /// delays this process's first local slots.
    pub(super) fn start_local(&self, key: &str, share: &RateLimit) {
        self.shared.local.spend_burst(key, share);
        if let Some(lead) = lock(&self.shared.leads).get(key).copied() {
            self.shared.local.follow(key, lead);
        }
    }

    /// The reservation the reserve script's verdict and microseconds say, mirrored into
    /// the local store.
    fn verdict(
        &self,
        key: &str,
        limit: &RateLimit,
        verdict: i64,
        us: i64,
        cause: &str,
    ) -> Reservation {
        let d = Duration::from_micros(u64::try_from(us.max(0)).unwrap_or(0));
        match verdict {
            0 => {
                // Mirrored locally, so an outage that starts now continues this schedule:
                // the fleet's schedule as it stands after this slot (the slot plus the burst
                // tolerance and an interval), so local decisions at the fair share come after
                // every slot the fleet has already handed out, not beside them.
                let tau = limit.emission_interval() * limit.burst_size().saturating_sub(1);
                let lead = d + tau + limit.emission_interval() + limit.restart_gap();
                self.shared.local.follow(key, lead);
                lock(&self.shared.leads).insert(key.to_owned(), lead);
                Reservation::Go(d)
            }
            1 => Reservation::TooLong(d),
            _ => {
                let cause = cause_from_json(cause);
                // Mirrored locally, so an outage that starts now still honours it.
                self.shared.local.pause_now(key, d, cause.clone());
                Reservation::Paused(Pause {
                    remaining: d.max(Duration::from_micros(1)),
                    cause,
                })
            }
        }
    }
}
