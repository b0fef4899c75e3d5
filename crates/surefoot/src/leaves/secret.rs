//! Secrets kept out of sight: key masking (`sk-…f00d`) and redaction of a key inside any
//! text, the URL as traces may show it (user, password and secret-looking query values
//! masked), the names of query parameters that carry credentials, and the loopback test
//! the base-URL check uses. A leaf: it knows no other module of the crate, so the error
//! type can redact with it and the checks above it can share its tables.

use std::net::IpAddr;

/// Query parameter names that carry credentials; refused in any request URL.
pub const KEY_QUERY_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "access_token",
];

/// Shortest key searched for verbatim inside URLs (shorter strings match too easily).
pub(crate) const MIN_KEY_LEN_FOR_URL_SCAN: usize = 8;

/// Whether the URL's host is loopback: 127.0.0.0/8, `::1` (also IPv4-mapped
/// `::ffff:127.x.x.x`), `localhost` or a `*.localhost` name.
///
/// ```
/// use surefoot::security::is_loopback;
/// assert!(is_loopback(&"http://localhost:3000".parse().unwrap()));
/// assert!(is_loopback(&"http://[::1]/".parse().unwrap()));
/// assert!(!is_loopback(&"http://10.0.0.1/".parse().unwrap()));
/// ```
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return true;
            }
            d.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

pub(crate) fn url_contains(url: &url::Url, key: &str) -> bool {
    let raw = url.as_str();
    if raw.contains(key) {
        return true;
    }
    // A key of only the bytes form-encoding keeps as they are encodes to itself, and a URL
    // without `%` decodes to itself: both were just searched.
    let encodes_to_itself = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_'));
    if !encodes_to_itself {
        let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        if raw.contains(&encoded) {
            return true;
        }
    }
    if !raw.contains('%') {
        return false;
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .contains(key)
}

/// Query parameter names whose values are masked in traces (compared case-insensitively,
/// also as a suffix after `_` or `-`, so `x_api_key` and `X-Amz-Signature` match).
const SECRET_QUERY_NAMES: &[&str] = &[
    "key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "signature",
    "sig",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "code",
];

/// Whether a query value looks like a secret even under an innocent name: a known key
/// prefix, or a long run of letters and digits mixed (20 characters or more).
fn looks_secret(value: &str) -> bool {
    const PREFIXES: &[&str] = &["sk-", "sk_", "spk_", "pyai_sk", "bearer ", "ghp_", "xox"];
    let lower = value.to_ascii_lowercase();
    if PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    value.len() >= 20
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
        })
        && value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_alphabetic())
}

fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let last = lower.rsplit(['_', '-', '.']).next().unwrap_or(&lower);
    SECRET_QUERY_NAMES.contains(&lower.as_str())
        || SECRET_QUERY_NAMES.contains(&last)
        || KEY_QUERY_PARAMS
            .iter()
            .any(|k| lower.eq_ignore_ascii_case(k))
}

/// The URL as traces may show it (OpenTelemetry's `url.full`): no user or password, and
/// every query value whose name or look says "secret" replaced by `REDACTED`. The API
/// key is never in a URL to begin with ([`check_url_has_no_key`](crate::security::check_url_has_no_key)).
///
/// ```
/// let url: url::Url = "https://user:pw@api.example.com/v1/x?limit=5&token=abc&q=sk-live-0123456789ab".parse().unwrap();
/// assert_eq!(
///     surefoot::security::url_for_traces(&url),
///     "https://api.example.com/v1/x?limit=5&token=REDACTED&q=REDACTED"
/// );
/// ```
pub fn url_for_traces(url: &url::Url) -> String {
    let mut out = url.clone();
    let _ = out.set_username("");
    let _ = out.set_password(None);
    out.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                // Pagination and format parameters are opaque but never secret.
                let plain = ["cursor", "limit", "format", "page", "order", "sort"]
                    .iter()
                    .any(|p| k.eq_ignore_ascii_case(p));
                let v = if !v.is_empty() && (secret_name(&k) || (!plain && looks_secret(&v))) {
                    "REDACTED".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    out.to_string()
}

/// Mask a key for display: `sk-…f00d` (first 3 and last 4 characters) for keys of 12 or
/// more characters; `…` plus the last 2 characters for keys of 6–11; just `…` for shorter
/// ones. Never reveals more than 7 characters.
///
/// ```
/// use surefoot::security::mask_key;
/// assert_eq!(mask_key("sk-live-0123456789abf00d"), "sk-…f00d");
/// assert_eq!(mask_key("abcdefgh"), "…gh");
/// assert_eq!(mask_key("abc"), "…");
/// ```
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    if n >= 12 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}…{tail}")
    } else if n >= 6 {
        let tail: String = chars[n - 2..].iter().collect();
        format!("…{tail}")
    } else {
        "…".to_owned()
    }
}

/// Replace every occurrence of `key` (and its percent-encoded form) in `text` with its
/// mask. Defence in depth for messages built from server text or URLs. An empty key
/// leaves the text unchanged.
///
/// ```
/// use surefoot::security::redact;
/// let key = "sk-live-0123456789abf00d";
/// assert_eq!(redact(&format!("bad key {key}!"), key), "bad key sk-…f00d!");
/// ```
pub fn redact(text: &str, key: &str) -> String {
    if key.is_empty() {
        return text.to_owned();
    }
    let mask = mask_key(key);
    let mut out = text.replace(key, &mask);
    let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    if encoded != key {
        out = out.replace(&encoded, &mask);
    }
    out
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
