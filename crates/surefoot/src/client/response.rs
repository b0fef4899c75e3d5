//! A successful HTTP answer, fully read (under the size cap), with what the client did to get
//! it: the request id the server gave, how many attempts it took and how long it waited.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A successful (2xx) response.
///
/// ```no_run
/// # async fn run(client: surefoot::Client) -> surefoot::Result<()> {
/// let resp = client.get("/v1/transcriptions/tr_1").send().await?;
/// let value: serde_json::Value = resp.json()?;
/// println!("{:?} in {} attempt(s): {value}", resp.request_id(), resp.attempts());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) attempts: u32,
    pub(crate) waited: Duration,
    /// The client's member renames, applied by [`Response::json`].
    pub(crate) fields: Option<std::sync::Arc<crate::config::fields::FieldNames>>,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text (`None` when absent or not valid text); the name is matched
    /// case-insensitively, the first value of a repeated header is given.
    pub fn header(&self, name: &str) -> Option<&str> {
        // Compared with the stored (lower-case) names instead of `HeaderMap::get(&str)`,
        // which parses `name` into a scratch buffer that valgrind reports as read
        // uninitialised in optimised builds (see `error::header_str`).
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }

    /// The server's request id (`x-request-id`), for support tickets and logs.
    pub fn request_id(&self) -> Option<&str> {
        crate::leaves::headers::request_id_from_headers(&self.headers)
    }

    /// How many attempts the call took (1 = no retry).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent waiting (backoff and pacing) before the answer.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Whether the server replayed an earlier answer for the same idempotency key.
    pub fn is_replay(&self) -> bool {
        const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
        self.headers
            .get(REPLAYED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Decodes the body as JSON. A body that does not match `T` is an error with code
    /// `invalid_response` (the raw body is kept in it).
    /// With member renames on the client ([`ClientBuilder::field`](crate::ClientBuilder::field)),
    /// renamed members are readable under surefoot's names too.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let decoded = match &self.fields {
            None => serde_json::from_slice(&self.body),
            Some(fields) => {
                serde_json::from_slice::<serde_json::Value>(&self.body).and_then(|mut v| {
                    fields.apply(&mut v);
                    serde_json::from_value(v)
                })
            }
        };
        decoded.map_err(|e| {
            Error::decode(
                format!("response body is not the expected JSON: {e}"),
                self.status.as_u16(),
                &self.body,
            )
            .with_request_id(self.request_id().map(str::to_string))
            .with_attempts(self.attempts)
        })
    }

    /// The body as text; invalid UTF-8 is an `invalid_response` error.
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec()).map_err(|_| {
            Error::decode(
                "response body is not valid UTF-8",
                self.status.as_u16(),
                &self.body,
            )
            .with_request_id(self.request_id().map(str::to_string))
        })
    }

    /// The raw body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// Consumes the response, returning the raw body.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("attempts", &self.attempts)
            .field("waited", &self.waited)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&'static str, &'static str)]) -> Response {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        Response {
            status: StatusCode::OK,
            headers: map,
            body: Bytes::new(),
            attempts: 1,
            waited: Duration::ZERO,
            fields: None,
        }
    }

    #[test]
    fn header_is_case_insensitive_and_gives_the_first_value() {
        let r = response(&[
            ("content-type", "application/json"),
            ("x-thing", "one"),
            ("x-thing", "two"),
            ("x-request-id", "req_1"),
        ]);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("X-THING"), Some("one"));
        assert_eq!(r.header("x-not-sent"), None);
        assert_eq!(r.header(""), None);
        assert_eq!(r.header("bad name"), None);
        assert_eq!(r.request_id(), Some("req_1"));
    }

    #[test]
    fn header_that_is_not_text_reads_as_none() {
        let mut r = response(&[]);
        r.headers.insert(
            "x-bin",
            http::HeaderValue::from_bytes(b"\xff\xfe").expect("opaque bytes are a valid value"),
        );
        assert_eq!(r.header("x-bin"), None);
    }
}
