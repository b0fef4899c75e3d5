//! Small HTTP pieces every layer above checks requests with: caller-given header pairs
//! turned into a header map (malformed ones and `Authorization` refused), the idempotency
//! key's rule, and an id made into one percent-encoded path segment. Each failure is an
//! `invalid_request` error raised before anything is sent.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

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
