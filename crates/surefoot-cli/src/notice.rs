//! What the command says on stderr while it works, without `-v`: each retry, as one line
//! naming what failed and when it tries again (`retrying in 1.0s after: could not connect
//! to 127.0.0.1:9999: … (attempt 2)`), so a mistyped port or a down server never looks like
//! a silent hang. Read from the core's `tracing` retry events; `-q` turns it off, `-v`
//! replaces it with the full log.

use std::fmt;
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::units::secs;

/// The fields of a retry event.
#[derive(Default)]
struct Retry {
    message: String,
    attempt: u64,
    wait_ms: u64,
    error: String,
}

impl Visit for Retry {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "attempt" => self.attempt = value,
            "wait_ms" => self.wait_ms = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "error" => self.error = format!("{value:?}"),
            _ => {}
        }
    }
}

/// The line a retry event becomes, if it is one.
fn line(r: &Retry) -> Option<String> {
    if !r.message.ends_with("retrying") {
        return None;
    }
    Some(format!(
        "surefoot: attempt {} failed ({}); retrying in {}",
        r.attempt,
        r.error,
        secs(Duration::from_millis(r.wait_ms))
    ))
}

/// Prints each of the core's retries as one line on stderr.
pub struct RetryNotices;

impl<S: Subscriber> Layer<S> for RetryNotices {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if !event.metadata().target().starts_with("surefoot") {
            return;
        }
        let mut r = Retry::default();
        event.record(&mut r);
        if let Some(l) = line(&r) {
            eprintln!("{l}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_reads_as_one_line() {
        let r = Retry {
            message: "surefoot: retrying".into(),
            attempt: 1,
            wait_ms: 500,
            error: "could not connect to 127.0.0.1:9: connection refused".into(),
        };
        assert_eq!(
            line(&r).unwrap(),
            "surefoot: attempt 1 failed (could not connect to 127.0.0.1:9: connection refused); retrying in 500ms"
        );
        assert!(line(&Retry::default()).is_none());
    }
}
