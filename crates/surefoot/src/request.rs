//! One logical call: the request builder, the checks made before any byte is sent, and the
//! send loop that runs attempts under one deadline — the host's outage hold and pacing
//! before each attempt, the retry decision ([`crate::retry::decide`], with the client's
//! classifiers and backoff) and the retry budget after each failure, backoff or
//! `Retry-After` sleeps in between, and the same body bytes and idempotency key on every
//! attempt.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::Serialize;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pacing::{Pacer, RateLimit, Refusal};
use crate::response::Response;
use crate::retry::hold::{self, Entry, OutageState};
use crate::retry::{self, budget, Attempt, Decision, FailReason, RetryContext};

/// Largest error body kept for [`Error::body`]; the rest is read and dropped.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A request being built; nothing is sent until [`send`](RequestBuilder::send).
///
/// ```no_run
/// # async fn run(client: surefoot::Client) -> surefoot::Result<()> {
/// let resp = client
///     .post("/v1/transcription/jobs")
///     .json(&serde_json::json!({"audio_url": "https://example.com/a.wav"}))
///     .idempotency_key("order-42-job")
///     .send()
///     .await?;
/// assert!(resp.status().is_success());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<(Bytes, &'static str)>,
    idempotency_key: Option<String>,
    safe_to_repeat: bool,
    deadline: Option<Duration>,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, path: String) -> Self {
        RequestBuilder {
            client,
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            idempotency_key: None,
            safe_to_repeat: false,
            deadline: None,
            timeout: None,
            error: None,
        }
    }

    /// Adds query parameters.
    pub fn query<K: AsRef<str>, V: ToString>(mut self, pairs: &[(K, V)]) -> Self {
        for (k, v) in pairs {
            self.query.push((k.as_ref().to_string(), v.to_string()));
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Serialises `value` as the JSON body, once: every attempt sends the same bytes.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => self.body = Some((Bytes::from(v), "application/json")),
            Err(e) => {
                self.error = Some(Error::invalid_request(format!(
                    "request body cannot be serialised as JSON: {e}"
                )))
            }
        }
        self
    }

    /// Sets a raw JSON body (already serialised).
    pub fn json_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some((body.into(), "application/json"));
        self
    }

    /// Sets the `Idempotency-Key`: the request becomes safe to retry, and the server replays
    /// the first answer instead of acting twice.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Declares the request safe to send twice (a read-only POST such as a search or an
    /// export), so it is retried like a GET after failures that may have reached the server.
    pub fn safe_to_repeat(mut self) -> Self {
        self.safe_to_repeat = true;
        self
    }

    /// Sets a per-call option by name, checked by the client's rule for it (the same
    /// messages in every language): `"timeout"` or `"deadline"`, none keeping the client's
    /// value. A refused value is reported by `send`. What the bindings call.
    ///
    /// ```
    /// use surefoot::options::OptionValue;
    /// # async fn demo(client: surefoot::Client) {
    /// let err = client.get("/v1/things").option("deadline", 0.0.into()).send().await.unwrap_err();
    /// assert!(err.message().contains("deadline must be greater than zero"));
    /// # }
    /// ```
    pub fn option(mut self, name: &str, value: crate::options::OptionValue) -> Self {
        match crate::options::per_call_duration(name, value) {
            Ok(d) if name == "timeout" => self.timeout = d.or(self.timeout),
            Ok(d) => self.deadline = d.or(self.deadline),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Overrides the client's total deadline for this call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Overrides the client's per-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request: paces, retries and waits as the client is configured, and returns
    /// the first successful answer or the final error (with `attempts` and `retry_after`).
    pub async fn send(self) -> Result<Response> {
        let prepared = self.prepare()?;
        let span = tracing::info_span!(
            "surefoot.request",
            method = %prepared.method,
            path = %prepared.url.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        prepared.run().instrument(span).await
    }

    /// Every check that can be made without the network.
    fn prepare(self) -> Result<Prepared> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let client = self.client;
        // `resolve` checked the URL for the key; query parameters added here are checked again.
        let mut url = client.resolve(&self.path)?;
        if !self.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.query {
                q.append_pair(k, v);
            }
            drop(q);
            crate::security::check_url_has_no_key(&url, client.api_key())?;
        }

        let mut headers = header_map(&self.headers)?;
        if let Some(key) = &self.idempotency_key {
            validate_idempotency_key(key)?;
            headers.insert(
                "idempotency-key",
                HeaderValue::from_str(key).expect("checked"),
            );
        }
        if let Some((_, content_type)) = &self.body {
            headers
                .entry(http::header::CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(content_type));
        }
        if let Some(v) = client.authorization() {
            headers.insert(http::header::AUTHORIZATION, v?);
        }
        let idempotent = self.safe_to_repeat
            || retry::is_idempotent(&self.method, self.idempotency_key.is_some());
        // The surface is judged on the path below the base URL's own prefix.
        let base_path = client.base_url().path().trim_end_matches('/');
        let pacer = client.pacer_for(url.path().strip_prefix(base_path).unwrap_or(url.path()));
        Ok(Prepared {
            deadline: self.deadline.or(client.deadline()),
            timeout: self.timeout.or(client.timeout()),
            client,
            method: self.method,
            url,
            headers,
            body: self.body.map(|(b, _)| b).unwrap_or_default(),
            idempotent,
            pacer,
        })
    }
}

/// Builds headers from caller-given pairs, refusing malformed ones and `Authorization` (the
/// key is set on the client, so it is checked and masked like one).
pub(crate) fn header_map(pairs: &[(String, String)]) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid_request(format!("invalid header name {name:?}")))?;
        if n == http::header::AUTHORIZATION {
            return Err(Error::invalid_request(
                "set the key with api_key() on the client, not as an Authorization header",
            ));
        }
        let v = HeaderValue::from_str(value)
            .map_err(|_| Error::invalid_request(format!("header {name} has an invalid value")))?;
        headers.append(n, v);
    }
    Ok(headers)
}

/// Checks a caller-given idempotency key (1–255 visible ASCII characters).
pub(crate) fn validate_idempotency_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_request(
            "idempotency key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(())
}

/// Checks an id used as one path segment and percent-encodes it.
pub(crate) fn path_segment(id: &str) -> Result<String> {
    if id.is_empty() {
        return Err(Error::invalid_request("id must not be empty"));
    }
    if id.chars().any(|c| c.is_control()) {
        return Err(Error::invalid_request("id contains a control character"));
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// A request that passed every check, ready for the send loop.
struct Prepared {
    client: Client,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
    idempotent: bool,
    pacer: Option<Pacer>,
    deadline: Option<Duration>,
    timeout: Option<Duration>,
}

impl Prepared {
    async fn run(self) -> Result<Response> {
        let metrics = self.client.inner.metrics.clone();
        let result = self.send_loop().await;
        metrics.finished(&result);
        result
    }

    async fn send_loop(self) -> Result<Response> {
        let inner = &self.client.inner;
        let metrics = inner.metrics.clone();
        let started = Instant::now();
        let deadline_at = self.deadline.map(|d| started + d);
        let policy = &inner.policy;
        let budget = self.client.retry_budget();
        // A client that does not retry fails fast: it is never held.
        let use_hold = policy.max_retries > 0;
        let call = hold::call_id();
        // With a shared store (Redis) the host's outage is shared between processes.
        let shared = inner.store.is_shared().then(|| hold::Shared {
            store: inner.store.as_ref(),
            id: &inner.outage_key,
        });
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        let mut retries_done: u32 = 0;
        let mut tokens_taken: u32 = 0;
        // This call's last failed attempt (what a call held too long reports).
        let mut last_err: Option<Error> = None;
        // When this call must stop being held: `max_retry_wait` after its first hold.
        let mut hold_until: Option<Instant> = None;
        loop {
            let mut probe = None;
            // A host not proven up admits a few attempts at a time until it answers.
            let mut unproven = None;
            if use_hold && !inner.hold.is_proven() && !inner.hold.in_outage() {
                let now = Instant::now();
                let until = deadline_at.map_or(now + policy.max_retry_wait, |d| {
                    d.min(now + policy.max_retry_wait)
                });
                let (admitted, held) = inner
                    .hold
                    .admit_unproven(until.saturating_duration_since(now), shared)
                    .await;
                if !held.is_zero() {
                    waited += held;
                    metrics.held(held);
                }
                unproven = admitted;
            }
            if use_hold && inner.hold.in_outage() {
                unproven = None;
                let now = Instant::now();
                let until = *hold_until.get_or_insert(now + policy.max_retry_wait);
                let until = deadline_at.map_or(until, |d| d.min(until));
                let max_hold = until.saturating_duration_since(now);
                let (entry, held) = inner.hold.enter(max_hold, shared).await;
                if !held.is_zero() {
                    waited += held;
                    metrics.held(held);
                }
                match entry {
                    Entry::Open => {}
                    Entry::Probe(p) => probe = Some(p),
                    Entry::TooLong { last_error, outage } => {
                        return Err(held_too_long(last_err.take(), &last_error, &outage, held)
                            .with_attempts(attempt)
                            .with_waited(waited));
                    }
                }
            }
            attempt += 1;
            if let Some(pacer) = &self.pacer {
                waited += self.pace(pacer, deadline_at, attempt, waited).await?;
            }
            let remaining = deadline_at.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                return Err(self.deadline_error(attempt - 1, waited));
            }
            let timeout = match (self.timeout, remaining) {
                (Some(t), Some(r)) => Some(t.min(r)),
                (t, r) => t.or(r),
            };
            metrics.sent();
            let span = self.attempt_span(attempt);
            let outcome = self.attempt(timeout).instrument(span.clone()).await;
            match &outcome {
                Ok(resp) => {
                    span.record("http.response.status_code", resp.status.as_u16());
                }
                Err(e) => {
                    if let Some(s) = e.status() {
                        span.record("http.response.status_code", s);
                        span.record("error.type", s.to_string());
                    } else {
                        span.record("error.type", e.code());
                    }
                }
            }
            drop(span);
            let err = match outcome {
                Ok(mut resp) => {
                    inner.hold.succeeded(probe, shared).await;
                    drop(unproven);
                    budget
                        .on_success(inner.store.as_ref(), &inner.budget_key, tokens_taken)
                        .await;
                    resp.attempts = attempt;
                    resp.waited = waited;
                    let span = tracing::Span::current();
                    span.record("status", resp.status.as_u16());
                    span.record("attempts", attempt);
                    return Ok(resp);
                }
                Err(e) => e,
            };
            metrics.failed_attempt(&err);
            // A rate limit pauses every request on the key (not a session cap or a quota).
            if let Some(pacer) = &self.pacer {
                pacer.on_error(&err).await;
            }
            let was_probe = probe.is_some();
            let in_outage = use_hold && inner.hold.failed(call, &err, probe, shared).await;
            drop(unproven);
            let ctx = RetryContext {
                error: &err,
                idempotent: self.idempotent,
            };
            if was_probe
                && in_outage
                && hold::is_host_failure(&err)
                && inner.classifiers.classify(&ctx).is_retry()
            {
                // A failed probe spends no retry: the call goes back to being held.
                tracing::debug!(attempt, code = err.code(), "surefoot: probe failed");
                last_err = Some(err);
                continue;
            }
            let remaining = deadline_at.map(|d| d.saturating_duration_since(Instant::now()));
            let mut decision = retry::decide(
                policy,
                &inner.classifiers,
                inner.backoff.as_ref(),
                &Attempt {
                    error: &err,
                    retries_done,
                    idempotent: self.idempotent,
                    remaining,
                    jitter: retry::jitter(),
                },
            );
            if decision.is_retry() {
                if budget
                    .take(inner.store.as_ref(), &inner.budget_key, &err)
                    .await
                {
                    tokens_taken = tokens_taken.saturating_add(budget.cost(&err));
                } else {
                    decision = Decision::Fail {
                        retry_after: err.retry_after(),
                        reason: FailReason::RetryBudgetExhausted,
                    };
                }
            }
            match decision {
                Decision::Retry { after } => {
                    retries_done += 1;
                    // In an outage the hold replaces the backoff: the call waits for the
                    // host's recovery (or its turn to probe) instead of a blind sleep.
                    let sleep = if in_outage { Duration::ZERO } else { after };
                    tracing::warn!(
                        attempt,
                        status = err.status(),
                        code = err.code(),
                        wait_ms = sleep.as_millis() as u64,
                        held = in_outage,
                        error = %err.message(),
                        "surefoot: retrying"
                    );
                    metrics.retried(sleep);
                    if !sleep.is_zero() {
                        tokio::time::sleep(sleep).await;
                        waited += sleep;
                    }
                    last_err = Some(err);
                }
                Decision::Fail {
                    retry_after,
                    reason,
                } => {
                    tracing::debug!(attempt, code = err.code(), ?reason, "surefoot: giving up");
                    let span = tracing::Span::current();
                    if let Some(s) = err.status() {
                        span.record("status", s);
                    }
                    span.record("attempts", attempt);
                    let retry_after = retry_after.or(err.retry_after());
                    let err = if reason == FailReason::RetryBudgetExhausted {
                        metrics.budget_exhausted();
                        tracing::warn!(
                            code = err.code(),
                            "surefoot: retry budget exhausted for this key and host; not retried"
                        );
                        let message = budget::exhausted_message(&err);
                        err.with_message(message)
                    } else {
                        err
                    };
                    return Err(err
                        .with_attempts(attempt)
                        .with_retry_after(retry_after)
                        .with_waited(waited)
                        .with_stop_reason(Some(reason)));
                }
            }
        }
    }

    /// The span of one attempt, in OpenTelemetry's HTTP client conventions, under the
    /// call's span: method, server address and port, the URL with secrets masked
    /// ([`crate::security::url_for_traces`], computed only when a subscriber records it),
    /// and `http.request.resend_count` on every resend; the status code and `error.type`
    /// are recorded when the attempt ends.
    fn attempt_span(&self, attempt: u32) -> tracing::Span {
        let span = tracing::info_span!(
            "surefoot.attempt",
            otel.kind = "client",
            otel.name = %self.method,
            attempt,
            http.request.method = %self.method,
            server.address = self.url.host_str().unwrap_or(""),
            server.port = self.url.port_or_known_default().unwrap_or(0),
            url.full = %TraceUrl(&self.url),
            http.request.resend_count = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        if attempt > 1 {
            span.record("http.request.resend_count", attempt - 1);
        }
        span
    }

    /// Waits for the pacer, at most `max_retry_wait` and the remaining deadline; a longer
    /// wait (say the key is paused by a daily cap) fails now, telling how long to wait.
    async fn pace(
        &self,
        pacer: &Pacer,
        deadline_at: Option<Instant>,
        attempt: u32,
        waited: Duration,
    ) -> Result<Duration> {
        let mut max_wait = self.client.retry_policy().max_retry_wait;
        if let Some(at) = deadline_at {
            max_wait = max_wait.min(at.saturating_duration_since(Instant::now()));
        }
        match pacer.acquire_within(max_wait).await {
            Ok(w) => {
                self.client.inner.metrics.paced(w);
                if !w.is_zero() {
                    tracing::debug!(wait_ms = w.as_millis() as u64, "surefoot: paced");
                }
                Ok(w)
            }
            Err(refusal) => Err(refused_error(&refusal, pacer.limit())
                .with_retry_after(Some(refusal.wait))
                .with_attempts(attempt - 1)
                .with_waited(waited)),
        }
    }

    fn deadline_error(&self, attempts: u32, waited: Duration) -> Error {
        Error::timeout(format!(
            "deadline of {} exceeded",
            crate::pacing::human_duration(self.deadline.unwrap_or_default())
        ))
        .with_attempts(attempts)
        .with_waited(waited)
    }

    /// One attempt: send, read the body under the cap, classify.
    async fn attempt(&self, timeout: Option<Duration>) -> Result<Response> {
        let client = &self.client;
        let mut rb = client
            .inner
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        if !self.body.is_empty() || self.method == Method::POST || self.method == Method::PUT {
            rb = rb.body(self.body.clone());
        }
        if let Some(t) = timeout {
            rb = rb.timeout(t);
        }
        let mut resp = rb
            .send()
            .await
            .map_err(|e| classify_transport(e, timeout, &self.url))?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        if let Some(pacer) = &self.pacer {
            pacer.on_answer(status.as_u16());
            pacer.observe_headers(&headers).await;
        }
        let cap = if status.is_success() {
            client.max_response_bytes()
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| classify_transport(e, timeout, &self.url))?
        {
            if body.len() + chunk.len() > cap {
                body.extend_from_slice(&chunk[..cap - body.len()]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            "surefoot: response"
        );
        if status.is_success() {
            if truncated {
                return Err(Error::decode(
                    format!("response body exceeds the {cap}-byte cap (max_response_bytes)"),
                    status.as_u16(),
                    &body,
                ));
            }
            return Ok(Response {
                status,
                headers,
                body: Bytes::from(body),
                attempts: 0,
                waited: Duration::ZERO,
                fields: client.inner.fields.clone(),
            });
        }
        let err = Error::from_response(status.as_u16(), &headers, &body, truncated);
        // What the API's profile says of its error bodies refines the general decoding.
        let err = client.inner.profile.error_shape().apply(err, &headers);
        // The message comes from the server, which may echo the key back.
        Err(match client.api_key() {
            Some(key) => err.redact_key(key),
            None => err,
        })
    }
}

/// The error of a call the pacer would not wait for: with the cause of a server's pause,
/// that answer's code, kind, status and request id ("not sent"); without one, the
/// client's own limiter (`client_rate_limited`).
fn refused_error(refusal: &Refusal, limit: Option<RateLimit>) -> Error {
    let wait = refusal.wait.as_secs_f64();
    match &refusal.cause {
        Some(cause) => Error::not_sent(
            cause.kind,
            &cause.code,
            cause.status,
            format!(
                "not sent: the key is paused for {wait:.1}s more by the server's earlier answer ({}), longer than this call may wait",
                cause.message
            ),
            cause.request_id.clone(),
        ),
        None => {
            let limit = limit.map(|l| format!(" ({l})")).unwrap_or_default();
            Error::not_sent(
                crate::ErrorKind::RateLimited,
                crate::error::codes::CLIENT_RATE_LIMITED,
                None,
                format!(
                    "not sent: the client-side rate limiter{limit} needs {wait:.1}s before the next request on this key, longer than this call may wait"
                ),
                None,
            )
        }
    }
}

/// A URL shown in traces: formatted (and masked) only when a subscriber records it.
struct TraceUrl<'a>(&'a Url);

impl std::fmt::Display for TraceUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::security::url_for_traces(self.0))
    }
}

/// The error of a call held as long as it may wait while its host was in an outage: its
/// own last failure when it had sent before, else "not sent" with the code, kind and
/// status of the host's last failure.
fn held_too_long(
    own: Option<Error>,
    host_last: &Error,
    outage: &OutageState,
    held: Duration,
) -> Error {
    let tail = format!(
        "{outage}; held {:.1}s, as long as this call may wait (the smaller of its deadline and max_retry_wait)",
        held.as_secs_f64()
    );
    let e = match own {
        Some(e) => {
            let message = format!("{} ({tail})", e.message());
            e.with_message(message)
        }
        None => Error::not_sent(
            host_last.kind(),
            host_last.code(),
            host_last.status(),
            format!(
                "not sent: {tail}; the host's last answer: {}",
                host_last.message()
            ),
            host_last.request_id().map(str::to_owned),
        ),
    };
    e.with_stop_reason(Some(FailReason::HeldTooLong))
}

/// Maps a transport failure to the error model: a failed connect never reached the server;
/// anything later may have. The message names the host and port (never the path or query).
fn classify_transport(e: reqwest::Error, timeout: Option<Duration>, url: &reqwest::Url) -> Error {
    let e = e.without_url();
    let detail = error_chain(&e);
    let host = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the server".to_string(),
    };
    if e.is_timeout() {
        let after = timeout
            .map(|t| format!(" after {}", crate::pacing::human_duration(t)))
            .unwrap_or_default();
        Error::timeout(format!("request to {host} timed out{after}: {detail}")).with_source(e)
    } else if e.is_connect() {
        Error::connection(format!("could not connect to {host}: {detail}"), false).with_source(e)
    } else {
        Error::connection(format!("connection to {host} failed: {detail}"), true).with_source(e)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}
