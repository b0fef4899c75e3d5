//! Learning together on Redis: the answers each process saw accepted ride along with its
//! next decision on the key (counted in 100-ms buckets), a 429 opens an overload episode
//! for the whole fleet at most once (`throttled.lua`: the pause and the episode in one
//! round trip, with the fleet's accepted answers for the one decrease), and the fleet's
//! learning state comes back with every decision (`reserve.lua`, `paused.lua`), so a
//! process joining a learned key starts at the learned rate. Before anything paces the
//! key, `paused.lua` also keeps the fleet's start window (`start`).

use std::time::Duration;

use tokio::time::Instant;

use super::codec::{cause_from_json, cause_to_json, micros, scripts};
use super::RedisStore;
use crate::pacing::lock;
use crate::pacing::start::{START_DOUBLING, START_IDLE, START_OPEN, START_POLL, START_WINDOW};
use crate::pacing::store::{Episode, Pause, PauseCause, Reservation};

/// How long the fleet state a decision brought back is trusted before it is read again.
const FLEET_FRESH: Duration = Duration::from_secs(1);

impl RedisStore {
    /// The answers accepted on `key` since this process's last decision there (and
    /// zero them: they go with this decision).
    pub(super) fn take_accepted(&self, key: &str) -> u32 {
        lock(&self.shared.pending_accepted).remove(key).unwrap_or(0)
    }

    /// A decision brought back the fleet's learning state of `key` (`age_us` old).
    pub(super) fn saw_fleet(&self, key: &str, state: String, age_us: i64) {
        let mut fleet = lock(&self.shared.fleet);
        if state.is_empty() {
            fleet.remove(key);
            return;
        }
        let age = Duration::from_micros(u64::try_from(age_us).unwrap_or(0));
        fleet.insert(key.to_owned(), (state, age, Instant::now()));
    }

    /// The pause in force on `key` on Redis (counting this process's accepted answers and
    /// bringing back the fleet's learning state in the same round trip).
    pub(super) async fn paused_redis(&self, key: &str) -> Option<Pause> {
        match self.paused_script(key, false).await {
            Some((pause, _)) => pause,
            None => {
                self.count_fallback();
                self.shared.local.paused_now(key)
            }
        }
    }

    /// A decision to send on `key`, which nothing paces yet: the pause, else the fleet's
    /// start window (`start`), in the same round trip as [`paused_redis`](Self::paused_redis).
    pub(super) async fn unpaced_redis(&self, key: &str) -> Reservation {
        match self.paused_script(key, true).await {
            Some((Some(p), _)) => Reservation::Paused(p),
            Some((None, wait)) if !wait.is_zero() => Reservation::TooLong(wait),
            Some((None, _)) => Reservation::Go(Duration::ZERO),
            None => {
                // Redis is away: the process decides alone (no window).
                self.count_fallback();
                match self.shared.local.paused_now(key) {
                    Some(p) => Reservation::Paused(p),
                    None => Reservation::Go(Duration::ZERO),
                }
            }
        }
    }

    /// `paused.lua`: the pause in force (mirrored into the process), and with `window`
    /// the start window's wait (zero: send); `None` when Redis did not answer.
    async fn paused_script(&self, key: &str, window: bool) -> Option<(Option<Pause>, Duration)> {
        let keys = [
            self.redis_key(key, "pause"),
            self.redis_key(key, "fleet"),
            self.redis_key(key, "acc"),
            self.redis_key(key, "start"),
        ];
        let accepted = self.take_accepted(key);
        let (us, cause, state, age, wait): (i64, String, String, i64, i64) = self
            .run(|mut c| async move {
                let mut call = scripts().paused.prepare_invoke();
                for k in &keys {
                    call.key(k);
                }
                call.arg(accepted).arg(if window { "1" } else { "0" });
                call.arg(START_WINDOW)
                    .arg(micros(START_DOUBLING))
                    .arg(START_OPEN)
                    .arg(u64::try_from(START_IDLE.as_millis()).unwrap_or(u64::MAX))
                    .arg(micros(START_POLL));
                call.invoke_async(&mut c).await
            })
            .await?;
        self.saw_fleet(key, state, age);
        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
        if us <= 0 {
            return Some((None, wait));
        }
        let remaining = Duration::from_micros(u64::try_from(us).unwrap_or(0));
        let cause = cause_from_json(&cause);
        self.shared.local.pause_now(key, remaining, cause.clone());
        Some((Some(Pause { remaining, cause }), wait))
    }

    /// A 429 on `key`: the pause, and whether it opened the fleet's overload episode (no
    /// episode when `episode` is zero: a pause only).
    pub(super) async fn throttled_redis(
        &self,
        key: &str,
        duration: Duration,
        cause: Option<PauseCause>,
        episode: Duration,
    ) -> Episode {
        let json = cause_to_json(&cause);
        self.shared.local.pause_now(key, duration, cause);
        let keys = [
            self.redis_key(key, "pause"),
            self.redis_key(key, "episode"),
            self.redis_key(key, "acc"),
        ];
        let us = micros(duration).max(1);
        let ms = u64::try_from(episode.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let accepted = self.take_accepted(key);
        let answer: Option<Vec<i64>> = self
            .run(|mut c| async move {
                scripts()
                    .throttled
                    .key(&keys[0])
                    .key(&keys[1])
                    .key(&keys[2])
                    .arg(us)
                    .arg(json)
                    .arg(ms)
                    .arg(accepted)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        match answer.as_deref() {
            None => Episode::Local,
            Some([1, rest @ ..]) => Episode::New(
                rest.chunks_exact(2)
                    .map(|p| {
                        (
                            Duration::from_millis(u64::try_from(p[0]).unwrap_or(0)),
                            u32::try_from(p[1]).unwrap_or(0),
                        )
                    })
                    .collect(),
            ),
            Some(_) => Episode::Joined,
        }
    }

    /// The fleet's learning state of `key`: as the last decision brought it back when
    /// fresh, else read.
    pub(super) async fn fleet_learned_redis(&self, key: &str) -> Option<(String, Duration)> {
        if let Some((state, age, at)) = lock(&self.shared.fleet).get(key)
            && at.elapsed() < FLEET_FRESH
        {
            return Some((state.clone(), *age + at.elapsed()));
        }
        let k = self.redis_key(key, "fleet");
        let (state, age): (String, i64) = self
            .run(|mut c| async move { scripts().fleet_learned.key(k).invoke_async(&mut c).await })
            .await?;
        self.saw_fleet(key, state, age);
        lock(&self.shared.fleet)
            .get(key)
            .map(|(s, age, _)| (s.clone(), *age))
    }

    /// Record the fleet's learning state of `key` for `ttl`.
    pub(super) async fn set_fleet_learned_redis(&self, key: &str, state: String, ttl: Duration) {
        self.saw_fleet(key, state.clone(), 0);
        let k = self.redis_key(key, "fleet");
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _: Option<i64> = self
            .run(|mut c| async move {
                scripts()
                    .set_fleet_learned
                    .key(k)
                    .arg(state)
                    .arg(ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
    }
}
