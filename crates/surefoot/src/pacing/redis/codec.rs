//! What crosses the wire to Redis besides plain numbers: the Lua scripts (loaded once,
//! run by `EVALSHA`), and the stored forms of a pause's cause (JSON), a learned limit
//! and a shared outage.

use std::sync::OnceLock;
use std::time::Duration;

use crate::error::ErrorKind;
use crate::pacing::store::{PauseCause, SharedOutage};
use crate::pacing::RateLimit;

pub(super) fn scripts() -> &'static Scripts {
    static SCRIPTS: OnceLock<Scripts> = OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        reserve: redis::Script::new(concat!(
            include_str!("scripts/fleet_prelude.lua"),
            include_str!("scripts/reserve.lua")
        )),
        paused: redis::Script::new(concat!(
            include_str!("scripts/fleet_prelude.lua"),
            include_str!("scripts/paused.lua")
        )),
        acquire_slot: redis::Script::new(include_str!("scripts/acquire_slot.lua")),
        renew_slot: redis::Script::new(include_str!("scripts/renew_slot.lua")),
        slots_in_use: redis::Script::new(include_str!("scripts/slots_in_use.lua")),
        retry_tokens: redis::Script::new(include_str!("scripts/retry_tokens.lua")),
        outage: redis::Script::new(include_str!("scripts/outage.lua")),
        throttled: redis::Script::new(concat!(
            include_str!("scripts/fleet_prelude.lua"),
            include_str!("scripts/throttled.lua")
        )),
        fleet_learned: redis::Script::new(include_str!("scripts/fleet_learned.lua")),
        set_fleet_learned: redis::Script::new(include_str!("scripts/set_fleet_learned.lua")),
    })
}

pub(super) struct Scripts {
    pub(super) reserve: redis::Script,
    pub(super) paused: redis::Script,
    pub(super) acquire_slot: redis::Script,
    pub(super) renew_slot: redis::Script,
    pub(super) slots_in_use: redis::Script,
    pub(super) retry_tokens: redis::Script,
    pub(super) outage: redis::Script,
    pub(super) throttled: redis::Script,
    pub(super) fleet_learned: redis::Script,
    pub(super) set_fleet_learned: redis::Script,
}

pub(super) fn shared_outage(ago_ms: i64, status: i64) -> SharedOutage {
    SharedOutage {
        ago: Duration::from_millis(u64::try_from(ago_ms).unwrap_or(0)),
        status: u16::try_from(status).ok().filter(|&s| s > 0),
    }
}

pub(super) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

pub(super) fn cause_to_json(cause: &Option<PauseCause>) -> String {
    match cause {
        None => String::new(),
        Some(c) => serde_json::json!({
            "status": c.status,
            "code": c.code,
            "kind": c.kind.as_str(),
            "message": c.message,
            "request_id": c.request_id,
        })
        .to_string(),
    }
}

pub(super) fn cause_from_json(s: &str) -> Option<PauseCause> {
    if s.is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    let kind_name = v["kind"].as_str()?;
    let kind = ErrorKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind_name)
        .unwrap_or(ErrorKind::RateLimited);
    Some(PauseCause {
        status: v["status"].as_u64().and_then(|n| u16::try_from(n).ok()),
        code: v["code"].as_str()?.to_owned(),
        kind,
        message: v["message"].as_str().unwrap_or_default().to_owned(),
        request_id: v["request_id"].as_str().map(str::to_owned),
    })
}

/// The learned limit as stored: `requests per_ns burst`.
pub(super) fn limit_to_string(l: &RateLimit) -> String {
    format!("{} {} {}", l.requests(), l.per().as_nanos(), l.burst_size())
}

pub(super) fn limit_from_string(s: &str) -> Option<RateLimit> {
    let mut parts = s.split_whitespace();
    let requests: u32 = parts.next()?.parse().ok()?;
    let per: u64 = parts.next()?.parse().ok()?;
    let burst: u32 = parts.next()?.parse().ok()?;
    Some(RateLimit::new(requests, Duration::from_nanos(per)).burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_and_limits_round_trip_through_their_stored_forms() {
        let c = PauseCause {
            status: Some(429),
            code: "daily_cap_exceeded".into(),
            kind: ErrorKind::RateLimited,
            message: "Daily cap reached.".into(),
            request_id: Some("req_1".into()),
        };
        assert_eq!(cause_from_json(&cause_to_json(&Some(c.clone()))), Some(c));
        assert_eq!(cause_from_json(&cause_to_json(&None)), None);
        let l = RateLimit::per_second(50).burst(10);
        assert_eq!(limit_from_string(&limit_to_string(&l)), Some(l));
    }
}
