//! Fault injection: a [`Fault`] names a route pattern (`"POST /v1/transcription/jobs"`,
//! `"GET /v1/transcriptions/*"`, `"*"`), how many matching requests it affects, and a
//! [`FaultAction`] (answer a status, delay, reset the connection, truncate or garble the
//! body, answer a proxy's HTML page, or drop the connection after processing). Faults are
//! checked in injection order before authentication; the first matching one fires.

use serde::{Deserialize, Serialize};

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// `"METHOD /path"` where a path segment may be `*` (one segment) and METHOD may be `*`;
    /// or `"*"` for every API request. The query string is ignored.
    pub route: String,
    /// How many matching requests it affects before it is used up; 0 = until cleared.
    /// Defaults to 1 in JSON.
    #[serde(default = "one")]
    pub count: u32,
    /// What happens to an affected request.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

/// What a fault does to a request. JSON: `{"kind": "status", "status": 503, ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer this instead of processing the request.
    Status {
        /// HTTP status.
        status: u16,
        /// Body (may be empty).
        #[serde(default)]
        body: String,
        /// `Content-Type` of the body, if any.
        #[serde(default)]
        content_type: Option<String>,
        /// Extra headers, e.g. `[["retry-after", "2"]]`.
        #[serde(default)]
        headers: Vec<(String, String)>,
    },
    /// Process normally after a delay.
    Delay {
        /// Milliseconds to wait first.
        ms: u64,
    },
    /// Close the connection (RST) without answering, before processing.
    Reset,
    /// Process, then send the headers and half the body (`Content-Length` announces all of
    /// it) and close the connection. An answer without a body (204) is dropped instead,
    /// like [`FaultAction::DropAfterProcessing`].
    Truncated,
    /// Answer 200 `application/json` whose body is not valid JSON (without processing).
    Malformed,
    /// Answer a proxy's HTML error page with this status (without processing).
    Html {
        /// HTTP status, e.g. 502.
        status: u16,
    },
    /// Process fully (the job is created, the key revoked…), then close the connection
    /// (RST) without answering.
    DropAfterProcessing,
}

impl Fault {
    /// A fault of `action` on `route` for `count` requests.
    pub fn new(route: &str, count: u32, action: FaultAction) -> Fault {
        Fault {
            route: route.to_string(),
            count,
            action,
        }
    }

    /// Answer `status` with `body` (JSON content type if the body parses as JSON).
    pub fn status(route: &str, count: u32, status: u16, body: &str) -> Fault {
        let content_type = (!body.is_empty()).then(|| {
            if serde_json::from_str::<serde_json::Value>(body).is_ok() {
                "application/json".to_string()
            } else {
                "text/plain; charset=utf-8".to_string()
            }
        });
        Fault::new(
            route,
            count,
            FaultAction::Status {
                status,
                body: body.to_string(),
                content_type,
                headers: Vec::new(),
            },
        )
    }

    /// Like [`Fault::status`] with extra headers (e.g. `("retry-after", "1")`).
    pub fn status_with_headers(
        route: &str,
        count: u32,
        status: u16,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Fault {
        let mut f = Fault::status(route, count, status, body);
        if let FaultAction::Status { headers: h, .. } = &mut f.action {
            *h = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        f
    }

    /// Delay `ms` milliseconds, then process.
    pub fn delay(route: &str, count: u32, ms: u64) -> Fault {
        Fault::new(route, count, FaultAction::Delay { ms })
    }

    /// Reset the connection before processing.
    pub fn reset(route: &str, count: u32) -> Fault {
        Fault::new(route, count, FaultAction::Reset)
    }

    /// Process, then cut the body off mid-way.
    pub fn truncated(route: &str, count: u32) -> Fault {
        Fault::new(route, count, FaultAction::Truncated)
    }

    /// Answer 200 with invalid JSON.
    pub fn malformed(route: &str, count: u32) -> Fault {
        Fault::new(route, count, FaultAction::Malformed)
    }

    /// Answer a proxy's HTML error page.
    pub fn html(route: &str, count: u32, status: u16) -> Fault {
        Fault::new(route, count, FaultAction::Html { status })
    }

    /// Process fully, then close the connection without answering.
    pub fn drop_after_processing(route: &str, count: u32) -> Fault {
        Fault::new(route, count, FaultAction::DropAfterProcessing)
    }

    /// Whether the route pattern is well formed (`*` or `METHOD /path`).
    pub fn route_is_valid(&self) -> bool {
        let r = self.route.trim();
        r == "*"
            || r.split_once(char::is_whitespace)
                .is_some_and(|(m, p)| !m.is_empty() && p.trim_start().starts_with('/'))
    }

    /// Whether the fault applies to a request of `method` on `path`.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let r = self.route.trim();
        if r == "*" {
            return true;
        }
        let Some((m, p)) = r.split_once(char::is_whitespace) else {
            return false;
        };
        if m != "*" && !m.eq_ignore_ascii_case(method) {
            return false;
        }
        let p = p.trim();
        let p = p.split_once('?').map_or(p, |(a, _)| a);
        let mut want = p.trim_end_matches('/').split('/');
        let mut have = path.trim_end_matches('/').split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some(w), Some(h)) if w == "*" || w == h => {}
                _ => return false,
            }
        }
    }
}

/// The ordered list of active faults.
#[derive(Debug, Default)]
pub(crate) struct FaultList {
    faults: Vec<Fault>,
}

impl FaultList {
    pub(crate) fn push(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    /// Takes one use of the first fault matching the request, if any.
    pub(crate) fn fire(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        let i = self.faults.iter().position(|f| f.matches(method, path))?;
        let action = self.faults[i].action.clone();
        match self.faults[i].count {
            0 => {}
            1 => {
                self.faults.remove(i);
            }
            _ => self.faults[i].count -= 1,
        }
        Some(action)
    }
}

/// A proxy's HTML error page for `status`.
pub(crate) fn html_page(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    )
}

/// A body that starts like JSON and is not.
pub(crate) const MALFORMED_JSON: &str =
    "{\"data\": [{\"id\": \"x_000001\", \"status\": \"ok\"},, <!-- upstream";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns() {
        let f = Fault::reset("GET /v1/transcriptions/*", 1);
        assert!(f.matches("GET", "/v1/transcriptions/tr_1"));
        assert!(!f.matches("GET", "/v1/transcriptions"));
        assert!(!f.matches("GET", "/v1/transcriptions/tr_1/export"));
        assert!(!f.matches("POST", "/v1/transcriptions/tr_1"));
        assert!(Fault::reset("*", 1).matches("DELETE", "/anything"));
        assert!(Fault::reset("* /v1/keys", 1).matches("POST", "/v1/keys"));
        assert!(Fault::reset("post /v1/keys/", 1).matches("POST", "/v1/keys"));
        assert!(!Fault::reset("nonsense", 1).route_is_valid());
    }

    #[test]
    fn counts_down_in_order() {
        let mut l = FaultList::default();
        l.push(Fault::reset("GET /a", 2));
        l.push(Fault::malformed("*", 0));
        assert_eq!(l.fire("GET", "/a"), Some(FaultAction::Reset));
        assert_eq!(l.fire("GET", "/a"), Some(FaultAction::Reset));
        assert_eq!(l.fire("GET", "/a"), Some(FaultAction::Malformed));
        assert_eq!(l.fire("GET", "/a"), Some(FaultAction::Malformed));
    }

    #[test]
    fn json_tagging() {
        let f: Fault = serde_json::from_str(
            r#"{"route":"*","action":{"kind":"status","status":503,"headers":[["retry-after","1"]]}}"#,
        )
        .unwrap();
        assert_eq!(f.count, 1);
        assert!(matches!(f.action, FaultAction::Status { status: 503, .. }));
        let f: Fault = serde_json::from_str(
            r#"{"route":"*","count":2,"action":{"kind":"drop_after_processing"}}"#,
        )
        .unwrap();
        assert_eq!(f.action, FaultAction::DropAfterProcessing);
    }
}
