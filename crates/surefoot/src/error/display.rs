//! The text forms of an [`Error`]: `Display` (code, status, message and the useful extras
//! on one line), `Debug` (every field but the body, which is shown by length), and the
//! `std::error::Error` source chain, and any error's chain as one line (`source_chain`).

use std::fmt;
use std::time::Duration;

use super::value::Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        f.write_str(&i.code)?;
        if let Some(s) = i.status {
            write!(f, " (HTTP {s})")?;
        }
        if !i.message.is_empty() {
            write!(f, ": {}", i.message)?;
        }
        let mut extras: Vec<String> = Vec::new();
        if let Some(id) = &i.request_id {
            extras.push(format!("request_id={id}"));
        }
        if i.attempts > 1 {
            extras.push(format!("attempts={}", i.attempts));
        }
        if let Some(d) = i.retry_after {
            extras.push(format!("retry_after={}", fmt_secs(d)));
        }
        if !extras.is_empty() {
            write!(f, " [{}]", extras.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        let mut d = f.debug_struct("Error");
        d.field("status", &i.status)
            .field("code", &i.code)
            .field("kind", &i.kind)
            .field("message", &i.message)
            .field("request_id", &i.request_id)
            .field("retry_after", &i.retry_after)
            .field("attempts", &i.attempts)
            .field("waited", &i.waited)
            .field("retryable", &self.is_retryable())
            .field("stop_reason", &i.stop_reason)
            .field("reached_server", &i.reached_server)
            .field("idempotency_key", &i.idempotency_key)
            .field("content_type", &i.content_type)
            .field("body_len", &i.body.as_ref().map(|b| b.len()))
            .field("body_truncated", &i.body_truncated);
        if let Some(r) = &i.invalid_reason {
            d.field("invalid_reason", r);
        }
        if let Some(s) = &i.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

fn fmt_secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        let s = format!("{:.3}", d.as_secs_f64());
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// `e` and its causes on one line, joined by `": "`; a cause whose text an earlier one
/// already holds is left out (many errors repeat their source's text).
pub(crate) fn source_chain(e: &dyn std::error::Error) -> String {
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
