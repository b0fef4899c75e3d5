//! One attempt on the wire and the errors around it: the request sent with its timeout,
//! the body read under its cap (success: `max_response_bytes`; error: 64 KiB), the answer
//! classified into the error model (with the profile's error shape and the key redacted),
//! transport failures mapped (a failed connect never reached the server), the attempt's
//! OpenTelemetry span, and the errors of a call refused by the pacer or held too long.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use url::Url;

use crate::client::request::{Prepared, RawAnswer};
use crate::client::response::Response;
use crate::client::wire::{Transport, Wire};
use crate::config::rate_limit::RateLimit;
use crate::error::{Error, ErrorKind, Result};
use crate::pacing::Refusal;
use crate::retry::hold::OutageState;
use crate::retry::FailReason;

/// Largest error body kept for [`Error::body`]; the rest is read and dropped.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

impl Prepared {
    /// The span of one attempt, in OpenTelemetry's HTTP client conventions, under the
    /// call's span: method, server address and port, the URL with secrets masked
    /// ([`crate::security::url_for_traces`], computed only when a subscriber records it),
    /// and `http.request.resend_count` on every resend; the status code and `error.type`
    /// are recorded when the attempt ends.
    pub(crate) fn attempt_span(&self, attempt: u32) -> tracing::Span {
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

    /// One attempt: send, read the body under the cap, classify.
    pub(crate) async fn attempt(&self, timeout: Option<Duration>) -> Result<Response> {
        let client = &self.client;
        let body =
            (!self.body.is_empty() || self.method == Method::POST || self.method == Method::PUT)
                .then(|| self.body.clone());
        let mut resp = client
            .http()?
            .send(
                &self.method,
                &self.url,
                &self.headers,
                self.authorization.as_ref(),
                body,
                timeout,
            )
            .await
            .map_err(|e| classify_transport(e, timeout, &self.url))?;
        let status = resp.status();
        let headers = resp.take_headers();
        if let Some(pacer) = &self.pacer {
            pacer.on_answer(status.as_u16());
            // Boxed, and only when there is something to read: most answers announce no
            // limit, and its future would otherwise take room in every attempt's.
            if crate::pacing::announces_limits(&headers) {
                Box::pin(pacer.observe_headers(&headers)).await;
            }
        }
        if let (Some(slot), true) = (&self.raw, status.is_success()) {
            return Ok(slot.stream(status, headers, resp));
        }
        let cap = if status.is_success() {
            client.max_response_bytes()
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let (body, truncated) = read_capped(&mut resp, cap)
            .await
            .map_err(|e| classify_transport(e, timeout, &self.url))?;
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
                body,
                attempts: 0,
                waited: Duration::ZERO,
                fields: client.fields(),
            });
        }
        self.keep_raw(Some(RawAnswer::Read(status, headers.clone(), body.clone())));
        let err = Error::from_response(status.as_u16(), &headers, &body, truncated);
        // What the API's profile says of its error bodies refines the general decoding.
        let err = client.profile().error_shape().apply(err, &headers);
        // The message comes from the server, which may echo the key back.
        Err(match client.api_key() {
            Some(key) => err.redact_key(key),
            None => err,
        })
    }
}

/// The body read to its end, at most `cap` bytes of it (`true`: there was more, left
/// unread). A body that arrives in one piece, as most answers' do, is kept as it came,
/// without a copy.
async fn read_capped(resp: &mut Wire, cap: usize) -> Result<(Bytes, bool), Transport> {
    let mut first = Bytes::new();
    // From the second piece on.
    let mut joined: Vec<u8> = Vec::new();
    while let Some(mut chunk) = resp.chunk().await? {
        let len = if joined.is_empty() {
            first.len()
        } else {
            joined.len()
        };
        let room = cap - len;
        let truncated = chunk.len() > room;
        if truncated {
            chunk.truncate(room);
        }
        if len == 0 {
            first = chunk;
        } else {
            if joined.is_empty() {
                joined.extend_from_slice(&first);
            }
            joined.extend_from_slice(&chunk);
        }
        if truncated {
            return Ok((keep(first, joined), true));
        }
    }
    Ok((keep(first, joined), false))
}

fn keep(first: Bytes, joined: Vec<u8>) -> Bytes {
    if joined.is_empty() {
        first
    } else {
        Bytes::from(joined)
    }
}

/// The error of a call the pacer would not wait for: with the cause of a server's pause,
/// that answer's code, kind, status and request id ("not sent"); without one, the
/// client's own limiter (`client_rate_limited`).
#[cold]
pub(crate) fn refused_error(refusal: &Refusal, limit: Option<RateLimit>) -> Error {
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
                ErrorKind::RateLimited,
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
        f.write_str(&crate::leaves::secret::url_for_traces(self.0))
    }
}

/// The error of a call held as long as it may wait while its host was in an outage: its
/// own last failure when it had sent before, else "not sent" with the code, kind and
/// status of the host's last failure.
#[cold]
pub(crate) fn held_too_long(
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
#[cold]
pub(crate) fn classify_transport(e: Transport, timeout: Option<Duration>, url: &Url) -> Error {
    match e {
        Transport::Reqwest(e) => {
            let e = e.without_url();
            let (timed_out, connect) = (e.is_timeout(), e.is_connect());
            classify(e, timed_out, connect, timeout, url)
        }
        Transport::Lean(e) => {
            let (timed_out, connect) = (e.is_timeout(), e.is_connect());
            classify(e, timed_out, connect, timeout, url)
        }
    }
}

fn classify<E: std::error::Error + Send + Sync + 'static>(
    e: E,
    timed_out: bool,
    connect: bool,
    timeout: Option<Duration>,
    url: &Url,
) -> Error {
    let detail = crate::error::source_chain(&e);
    let host = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the server".to_string(),
    };
    if let Some(why) = certificate_refused(&e) {
        let hint = match why {
            rustls::CertificateError::UnknownIssuer => {
                " (signed by a CA surefoot does not trust: give that CA's PEM file as ca_file)"
            }
            _ => "",
        };
        return Error::certificate_refused(format!("could not connect to {host}: {detail}{hint}"))
            .with_source(e);
    }
    if timed_out {
        let after = timeout
            .map(|t| format!(" after {}", crate::config::rate_display::human_duration(t)))
            .unwrap_or_default();
        Error::timeout(format!("request to {host} timed out{after}: {detail}")).with_source(e)
    } else if connect {
        Error::connection(format!("could not connect to {host}: {detail}"), false).with_source(e)
    } else {
        Error::connection(format!("connection to {host} failed: {detail}"), true).with_source(e)
    }
}

/// Why TLS refused the server's certificate, if it did, somewhere in `e`'s chain.
/// rustls's error travels inside an `io::Error` (at times inside another), whose
/// `source()` skips what it holds: each one's contents are looked at too.
fn certificate_refused(e: &(dyn std::error::Error + 'static)) -> Option<rustls::CertificateError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(why) = refused_here(err) {
            return Some(why);
        }
        cur = err.source();
    }
    None
}

fn refused_here(e: &(dyn std::error::Error + 'static)) -> Option<rustls::CertificateError> {
    if let Some(rustls::Error::InvalidCertificate(why)) = e.downcast_ref() {
        return Some(why.clone());
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    refused_here(inner)
}
