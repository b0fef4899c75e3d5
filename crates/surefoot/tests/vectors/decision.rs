//! The `retry_decision` family through Rust's public retry API: [`retry::is_idempotent`],
//! [`RetryPolicy::decide`] with the vector's retries done, deadline and random factor, the
//! built-in classifiers' first opinion, and the retry budget on a
//! [`surefoot::pacing::MemoryStore`]. These are the policy's arithmetic (a wait of 60 s, a
//! random factor of 0.5, a budget with 4 tokens left), which no client call can be made to
//! show without sleeping or a seeded random source: C and Python expose no such surface and
//! do not run this family (tests/vectors/README.md).
//!
//! ```ignore
//! let observed = decision::observe(input)?;
//! ```

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Map, Value};
use surefoot::retry::{self, Decision};
use surefoot::Error;

use super::observe::{decision_json, only, policy_of};

type Obj = Map<String, Value>;

pub fn observe(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &[
            "method",
            "idempotency_key",
            "outcome",
            "retries_done",
            "deadline_left_ms",
            "jitter",
            "policy",
            "retry_budget",
        ],
        "retry_decision input",
    )?;
    let method = input.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| format!("{method:?} is not a method"))?;
    let has_key = input
        .get("idempotency_key")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let idempotent = retry::is_idempotent(&method, has_key);
    let error = outcome(input.get("outcome"))?;
    let retries_done = input
        .get("retries_done")
        .and_then(Value::as_u64)
        .unwrap_or(0) as u32;
    let remaining = input
        .get("deadline_left_ms")
        .and_then(Value::as_f64)
        .map(|m| Duration::from_secs_f64(m / 1000.0));
    let jitter = input.get("jitter").and_then(Value::as_f64).unwrap_or(1.0);
    let policy = policy_of(input.get("policy"))?;
    let mut decision = policy.decide(&error, retries_done, idempotent, remaining, jitter);
    let classified_by = retry::classify::default_classifiers()
        .first_opinion(&retry::RetryContext {
            error: &error,
            idempotent,
        })
        .map(|(name, _)| name);
    let budget_left = match input.get("retry_budget").and_then(Value::as_object) {
        None => None,
        Some(o) => {
            only(o, &["capacity", "tokens"], "retry_budget")?;
            let budget = retry::RetryBudget {
                capacity: o.get("capacity").and_then(Value::as_u64).unwrap_or(500) as u32,
                ..retry::RetryBudget::default()
            };
            let tokens = o
                .get("tokens")
                .and_then(Value::as_u64)
                .map_or(budget.capacity, |t| t as u32);
            let store = surefoot::pacing::MemoryStore::new();
            store.take_retry_tokens_now(
                "vector",
                budget.capacity.saturating_sub(tokens),
                budget.capacity,
            );
            if decision.is_retry()
                && !store.take_retry_tokens_now("vector", budget.cost(&error), budget.capacity)
            {
                decision = Decision::Fail {
                    retry_after: error.retry_after(),
                    reason: retry::FailReason::RetryBudgetExhausted,
                };
            }
            Some(store.retry_tokens_now("vector", budget.capacity))
        }
    };
    let (name, after, reason, retry_after) = decision_json(&decision);
    Ok(json!({
        "idempotent": idempotent,
        "error_code": error.code(),
        "decision": name,
        "after_ms": after,
        "reason": reason,
        "retry_after_ms": retry_after,
        "classified_by": classified_by,
        "budget_tokens_left": budget_left,
        "counts_toward_outage": retry::hold::is_host_failure(&error),
    }))
}

fn outcome(v: Option<&Value>) -> Result<Error, String> {
    let o = v
        .and_then(Value::as_object)
        .filter(|o| o.len() == 1)
        .ok_or("`outcome` must have one member")?;
    let (kind, spec) = o.iter().next().expect("one member");
    let spec = spec.as_object().ok_or("the outcome must be an object")?;
    Ok(match kind.as_str() {
        "response" => {
            only(
                spec,
                &["status", "headers", "content_type", "body", "body_json"],
                "outcome.response",
            )?;
            let status = spec
                .get("status")
                .and_then(Value::as_u64)
                .ok_or("no `status`")? as u16;
            let mut headers = HeaderMap::new();
            let has_ct = spec.get("headers").is_some_and(|h| {
                h.to_string()
                    .to_ascii_lowercase()
                    .contains("\"content-type\"")
            });
            let mut add = |n: &str, v: &str| -> Result<(), String> {
                headers.append(
                    HeaderName::from_bytes(n.as_bytes())
                        .map_err(|_| format!("bad header {n:?}"))?,
                    HeaderValue::from_str(v).map_err(|_| format!("bad header value {v:?}"))?,
                );
                Ok(())
            };
            match spec.get("headers") {
                Some(Value::Array(pairs)) => {
                    for p in pairs {
                        add(p[0].as_str().unwrap_or(""), p[1].as_str().unwrap_or(""))?;
                    }
                }
                Some(Value::Object(m)) => {
                    for (n, v) in m {
                        add(n, v.as_str().unwrap_or(""))?;
                    }
                }
                _ => {}
            }
            if let Some(ct) = spec.get("content_type").and_then(Value::as_str) {
                add("content-type", ct)?;
            } else if spec.contains_key("body_json") && !has_ct {
                add("content-type", "application/json")?;
            }
            let body = match (spec.get("body"), spec.get("body_json")) {
                (Some(Value::String(s)), None) => s.clone().into_bytes(),
                (None, Some(j)) => j.to_string().into_bytes(),
                (None, None) => Vec::new(),
                _ => return Err("give one of body (a string) or body_json".into()),
            };
            Error::from_response(status, &headers, &body, false)
        }
        "connection" => {
            let reached = spec
                .get("reached_server")
                .and_then(Value::as_bool)
                .ok_or("`reached_server` must be a bool")?;
            Error::connection(
                if reached {
                    "connection reset after the request was sent"
                } else {
                    "could not connect"
                },
                reached,
            )
        }
        "timeout" => Error::timeout("request timed out"),
        "invalid_request" => Error::invalid_request("refused before sending"),
        "invalid_response" => Error::decode("response body is not the expected JSON", 200, b"{"),
        other => return Err(format!("unknown outcome {other:?}")),
    })
}
