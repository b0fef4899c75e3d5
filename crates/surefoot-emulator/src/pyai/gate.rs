//! PyAI's gateway checks, run before any handler work, in the seed's order: key in the
//! query, missing or unknown key → 401 `unauthorized`; a publishable key from another
//! origin → 403 `origin_not_allowed`; a missing scope → 403 `forbidden`; the key's daily
//! cap → 429 `daily_cap_exceeded`; the per-key rate limit (GCRA) → 429
//! `rate_limit_exceeded`. Billing (402) is checked later, by the creating handlers.
//! Every gateway error is an OpenAI-style envelope.

use std::time::{Instant, SystemTime};

use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::auth::{bearer, key_in_query};
use crate::clock::{retry_after_secs, secs_to_utc_midnight, utc_day};
use crate::keys::{KeyConfig, KeyKind};
use crate::limits::Gcra;
use crate::responses::{envelope, retry_after};
use crate::state::{Shared, World};
use crate::stats::SURFACE_DATA;

fn unauthorized(message: &str) -> Response {
    envelope(
        StatusCode::UNAUTHORIZED,
        "authentication_error",
        "unauthorized",
        message,
    )
}

/// Authentication, origin, scope, daily cap and rate limit; the key on success.
pub(super) fn gate(
    s: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    scope: &str,
) -> Result<KeyConfig, Response> {
    if key_in_query(uri) {
        return Err(unauthorized(
            "API keys are not accepted in the URL. Send the key in the Authorization header.",
        ));
    }
    let Some(token) = bearer(headers) else {
        return Err(unauthorized(
            "Missing API key. Send it as 'Authorization: Bearer <key>'.",
        ));
    };
    let mut w = s.world.lock();
    let Some(key) = w.keys.by_value(token).cloned() else {
        return Err(unauthorized("Incorrect API key provided."));
    };
    permitted(&key, headers, scope)?;
    let now = Instant::now();
    if let Err(r) = within_limits(s, &mut w, &key, now) {
        drop(w);
        let mut stats = s.stats.lock();
        match r.1 {
            Limit::Daily => stats.stats_mut().daily_cap_rejected += 1,
            Limit::Rate => stats.stats_mut().rate_limited += 1,
        }
        return Err(r.0);
    }
    if key.daily_cap.is_some() {
        w.daily.entry(key.id.clone()).or_default().consume();
    }
    s.stats.lock().accepted(&key.id, SURFACE_DATA, now);
    Ok(key)
}

/// Origin (publishable keys) and scope.
fn permitted(key: &KeyConfig, headers: &HeaderMap, scope: &str) -> Result<(), Response> {
    if key.kind == KeyKind::Publishable {
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if !origin.is_some_and(|o| key.allowed_origins.iter().any(|a| a == o)) {
            return Err(envelope(
                StatusCode::FORBIDDEN,
                "permission_error",
                "origin_not_allowed",
                &format!(
                    "Origin {} is not allowed for this publishable key.",
                    origin.map_or("(none)".to_string(), |o| format!("'{o}'"))
                ),
            ));
        }
    }
    if !key.has_scope(scope) {
        return Err(envelope(
            StatusCode::FORBIDDEN,
            "permission_error",
            "forbidden",
            &format!("This key lacks the required scope: {scope}."),
        ));
    }
    Ok(())
}

/// Which limit refused a request.
enum Limit {
    Daily,
    Rate,
}

/// The daily cap, then the rate limit (a token is taken only when the cap has room).
fn within_limits(
    s: &Shared,
    w: &mut World,
    key: &KeyConfig,
    now: Instant,
) -> Result<(), (Response, Limit)> {
    let wall = SystemTime::now();
    if let Some(cap) = key.daily_cap {
        let daily = w.daily.entry(key.id.clone()).or_default();
        if !daily.has_room(utc_day(wall), cap) {
            let r = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "daily_cap_exceeded",
                &format!(
                    "Daily cap of {cap} requests reached for this key. It resets at 00:00 UTC."
                ),
            );
            return Err((retry_after(r, secs_to_utc_midnight(wall)), Limit::Daily));
        }
    }
    if let Some(rl) = s.config.rate_limit {
        let at = s.secs(now);
        let bucket = w
            .gcra
            .entry(key.id.clone())
            .or_insert_with(|| Gcra::new(rl));
        if let Err(wait) = bucket.try_acquire(at) {
            let r = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limit_exceeded",
                "Rate limit exceeded.",
            );
            return Err((retry_after(r, retry_after_secs(wait)), Limit::Rate));
        }
    }
    Ok(())
}

/// 402s for creating billable things (jobs, sessions).
pub(super) fn billing(key: &KeyConfig) -> Result<(), Response> {
    if key.credit_exhausted {
        return Err(envelope(
            StatusCode::PAYMENT_REQUIRED,
            "billing_error",
            "credit_exhausted",
            "Your organization has run out of prepaid credit. Add credit to continue.",
        ));
    }
    if key.quota_exhausted {
        return Err(envelope(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        ));
    }
    Ok(())
}
