//! What counts toward a host's outage (500, 502, 503, 504 without `Retry-After`, and
//! connection failures), what proves the host answers, and [`OutageState`], what the
//! client reports about an outage in force.

use std::time::SystemTime;

use crate::error::{Error, ErrorKind};

/// What is known about a host in an outage (see
/// [`Client::outage`](crate::Client::outage)).
///
/// ```
/// let s = surefoot::retry::hold::OutageState {
///     host: "https://api.example.com".into(),
///     since: std::time::SystemTime::UNIX_EPOCH,
///     held: 3,
///     probes_failed: 2,
/// };
/// assert_eq!(s.to_string(), "host https://api.example.com in outage since Thu, 01 Jan 1970 00:00:00 GMT, 3 calls held, 2 probes failed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageState {
    /// The host (`scheme://host:port`).
    pub host: String,
    /// When the outage began (the failure that crossed the threshold).
    pub since: SystemTime,
    /// Calls held right now.
    pub held: usize,
    /// Probes that failed since the outage began.
    pub probes_failed: u32,
}

impl std::fmt::Display for OutageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host {} in outage since {}, {} calls held, {} probes failed",
            self.host,
            httpdate::fmt_http_date(self.since),
            self.held,
            self.probes_failed
        )
    }
}

/// Whether `error` is the kind of failure that counts toward an outage: 500, 502, 503 or
/// 504 without `Retry-After`, or a connection failure (other than a refused certificate:
/// the host answered, and waiting will not change it).
///
/// ```
/// use surefoot::{retry::hold::is_host_failure, Error};
/// assert!(is_host_failure(&Error::from_response(503, &http::HeaderMap::new(), b"", false)));
/// assert!(is_host_failure(&Error::connection("refused", false)));
/// assert!(!is_host_failure(&Error::from_response(404, &http::HeaderMap::new(), b"", false)));
/// assert!(!is_host_failure(&Error::timeout("t")));
/// assert!(!is_host_failure(&Error::certificate_refused("UnknownIssuer")));
/// ```
pub fn is_host_failure(error: &Error) -> bool {
    if error.retry_after().is_some() {
        return false;
    }
    match error.status() {
        Some(s) => matches!(s, 500 | 502 | 503 | 504),
        None => error.kind() == ErrorKind::Connection && !error.is_certificate_refused(),
    }
}

/// Whether `error` proves the host answers (any HTTP status outside the outage
/// statuses, or a 5xx that says when to come back).
pub(super) fn proves_alive(error: &Error) -> bool {
    error.status().is_some() && !is_host_failure(error)
}
