//! Client-side security checks, all run before anything is sent. This module owns API key
//! validation (empty, surrounding whitespace, CR/LF, control and non-ASCII characters, each
//! reported by name), base URL validation (http/https only, https unless the host is
//! loopback or insecure HTTP is explicitly allowed, no credentials, query or fragment),
//! the refusal to put a key in a URL, and key masking (`sk-…f00d`) and redaction so a key
//! never appears in a message, log line or `Debug` output. Every failure is an
//! [`Error::invalid_request`] whose message never echoes the key.

use std::fmt;
use std::net::IpAddr;

use crate::error::Error;

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
const MIN_KEY_LEN_FOR_URL_SCAN: usize = 8;

/// Check an API key before it is put in a header. Checked in this order, with exactly
/// these messages: "API key is empty" (also for whitespace only), "API key contains a line
/// break (CR or LF)" (anywhere, so a trailing `\n` is reported as the line break), "API key
/// has leading whitespace", "API key has trailing whitespace", "API key contains a control
/// character", "API key contains a non-ASCII character".
///
/// ```
/// use surefoot::security::validate_api_key;
/// assert!(validate_api_key("sk-live-0123456789abcdef").is_ok());
/// let e = validate_api_key("sk-live-0123456789abcdef ").unwrap_err();
/// assert_eq!(e.message(), "API key has trailing whitespace");
/// assert_eq!(e.code(), "invalid_request");
/// assert_eq!(validate_api_key("sk-1\n").unwrap_err().message(), "API key contains a line break (CR or LF)");
/// ```
pub fn validate_api_key(key: &str) -> Result<(), Error> {
    let problem = if key.trim().is_empty() {
        Some("API key is empty")
    } else if key.contains(['\r', '\n']) {
        Some("API key contains a line break (CR or LF)")
    } else if key.starts_with(char::is_whitespace) {
        Some("API key has leading whitespace")
    } else if key.ends_with(char::is_whitespace) {
        Some("API key has trailing whitespace")
    } else if key.chars().any(char::is_control) {
        Some("API key contains a control character")
    } else if !key.is_ascii() {
        Some("API key contains a non-ASCII character")
    } else {
        None
    };
    match problem {
        Some(p) => Err(Error::invalid_request(p)),
        None => Ok(()),
    }
}

/// Check and parse a base URL: it must parse, use `http` or `https`, have a host, carry
/// no `user:password@`, no query and no fragment; plain `http` is only accepted to a
/// loopback host (127.0.0.0/8, `::1`, `localhost`, `*.localhost`) unless
/// `allow_insecure_http` is set. The URL is returned unchanged (not normalised beyond
/// what [`url::Url`] does).
///
/// ```
/// use surefoot::security::validate_base_url;
/// assert!(validate_base_url("https://api.pyai.com", false).is_ok());
/// assert!(validate_base_url("http://127.0.0.1:8080", false).is_ok());
/// let e = validate_base_url("http://api.pyai.com", false).unwrap_err();
/// assert_eq!(e.message(), "plain http is only allowed to loopback hosts; use https or set allow_insecure_http");
/// assert!(validate_base_url("http://api.pyai.com", true).is_ok());
/// ```
pub fn validate_base_url(url: &str, allow_insecure_http: bool) -> Result<url::Url, Error> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| Error::invalid_request(format!("base URL is not a valid URL: {e}")))?;
    let scheme = parsed.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(Error::invalid_request(format!(
            "base URL must use http or https, not `{}`",
            truncate(scheme, 20)
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid_request(
            "base URL must not contain credentials",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid_request(
            "base URL must not contain a query string or fragment",
        ));
    }
    if parsed.host().is_none() {
        return Err(Error::invalid_request("base URL has no host"));
    }
    if scheme == "http" && !allow_insecure_http && !is_loopback(&parsed) {
        return Err(Error::invalid_request(
            "plain http is only allowed to loopback hosts; use https or set allow_insecure_http",
        ));
    }
    Ok(parsed)
}

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

/// Refuse a request URL that carries a credential: a query parameter named `api_key`,
/// `apikey`, `api-key`, `key`, `token` or `access_token` (any case, non-empty value), or
/// the key itself anywhere in the URL (raw or percent-encoded; keys of 8+ characters).
/// The message names the parameter, never the value.
///
/// ```
/// use surefoot::security::check_url_has_no_key;
/// let url: url::Url = "https://api.example.com/v1/x?limit=5".parse().unwrap();
/// assert!(check_url_has_no_key(&url, Some("sk-live-0123456789")).is_ok());
/// let url: url::Url = "https://api.example.com/v1/x?api_key=sk-live-0123456789".parse().unwrap();
/// let e = check_url_has_no_key(&url, Some("sk-live-0123456789")).unwrap_err();
/// assert_eq!(e.message(), "API key must not be sent in the URL (query parameter `api_key`); surefoot sends it in the Authorization header");
/// assert!(!e.to_string().contains("0123456789"));
/// ```
pub fn check_url_has_no_key(url: &url::Url, api_key: Option<&str>) -> Result<(), Error> {
    for (name, value) in url.query_pairs() {
        if value.is_empty() {
            continue;
        }
        if let Some(known) = KEY_QUERY_PARAMS
            .iter()
            .find(|k| name.eq_ignore_ascii_case(k))
        {
            return Err(Error::invalid_request(format!(
                "API key must not be sent in the URL (query parameter `{known}`); surefoot sends it in the Authorization header"
            )));
        }
    }
    if let Some(key) = api_key {
        if key.len() >= MIN_KEY_LEN_FOR_URL_SCAN && url_contains(url, key) {
            return Err(Error::invalid_request(
                "API key must not be sent in the URL; surefoot sends it in the Authorization header",
            ));
        }
    }
    Ok(())
}

fn url_contains(url: &url::Url, key: &str) -> bool {
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
    let decoded = percent_decode(raw);
    decoded.contains(key)
}

/// Lenient percent-decoding (`+` kept as is); invalid escapes are left untouched.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
/// key is never in a URL to begin with ([`check_url_has_no_key`]).
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

/// An API key that cannot leak by accident: `Debug` and `Display` show only the mask.
/// Construct with [`ApiKey::new`] (validates) and read with [`ApiKey::expose`].
///
/// ```
/// use surefoot::security::ApiKey;
/// let k = ApiKey::new("sk-live-0123456789abf00d").unwrap();
/// assert_eq!(format!("{k:?}"), "ApiKey(sk-…f00d)");
/// assert_eq!(k.to_string(), "sk-…f00d");
/// assert_eq!(k.expose(), "sk-live-0123456789abf00d");
/// assert!(ApiKey::new(" sk").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiKey(String);

impl ApiKey {
    /// Validate (see [`validate_api_key`]) and wrap.
    ///
    /// ```
    /// assert!(surefoot::security::ApiKey::new("").is_err());
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        // Wrapped first, so a refused key is zeroed on drop like an accepted one.
        let key = ApiKey(key.into());
        validate_api_key(&key.0)?;
        Ok(key)
    }

    /// The key in clear, for building the `Authorization` header only.
    ///
    /// ```
    /// assert_eq!(surefoot::security::ApiKey::new("abc123").unwrap().expose(), "abc123");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The mask (see [`mask_key`]).
    ///
    /// ```
    /// assert_eq!(surefoot::security::ApiKey::new("abc123").unwrap().masked(), "…23");
    /// ```
    pub fn masked(&self) -> String {
        mask_key(&self.0)
    }

    /// `Authorization: Bearer <key>` as a header value marked sensitive (so HTTP stacks
    /// that honour the flag never log it).
    ///
    /// ```
    /// let v = surefoot::security::ApiKey::new("abc123").unwrap().bearer_header();
    /// assert!(v.is_sensitive());
    /// assert_eq!(v.to_str().unwrap(), "Bearer abc123");
    /// ```
    pub fn bearer_header(&self) -> http::HeaderValue {
        // Validation guarantees visible ASCII without CR/LF, so this cannot fail; fall back
        // to an empty value rather than panicking if that invariant is ever broken.
        let mut v = http::HeaderValue::from_str(&format!("Bearer {}", self.0))
            .unwrap_or_else(|_| http::HeaderValue::from_static(""));
        v.set_sensitive(true);
        v
    }
}

/// The key's bytes are overwritten with zeros when it is dropped (every surface builds its
/// clients from an `ApiKey`, so none keeps a copy of its own beyond the `Authorization`
/// header value).
impl Drop for ApiKey {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.0).into_bytes();
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        for b in bytes.iter_mut() {
            // SAFETY: `b` is a valid, aligned, exclusive reference into the buffer.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
        // SAFETY: the buffer is the `Vec` taken above, dropped exactly once here.
        unsafe { std::mem::ManuallyDrop::drop(&mut bytes) };
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(key: &str) -> String {
        validate_api_key(key).unwrap_err().message().to_owned()
    }

    #[test]
    fn api_key_messages() {
        assert!(validate_api_key("sk-live-abc123").is_ok());
        assert!(validate_api_key("a b").is_ok()); // inner space is a header-safe character
        assert_eq!(msg(""), "API key is empty");
        assert_eq!(msg("   "), "API key is empty");
        assert_eq!(msg("\n"), "API key is empty");
        assert_eq!(msg(" sk-1"), "API key has leading whitespace");
        assert_eq!(msg("\tsk-1"), "API key has leading whitespace");
        assert_eq!(msg("sk-1 "), "API key has trailing whitespace");
        assert_eq!(msg("sk-1\t"), "API key has trailing whitespace");
        assert_eq!(msg("sk-1\u{a0}"), "API key has trailing whitespace");
        assert_eq!(msg("sk-1\n"), "API key contains a line break (CR or LF)");
        assert_eq!(msg("sk-1\r\n"), "API key contains a line break (CR or LF)");
        assert_eq!(msg("sk\r1"), "API key contains a line break (CR or LF)");
        assert_eq!(msg("\nsk-1"), "API key contains a line break (CR or LF)");
        assert_eq!(msg("sk\u{0}1"), "API key contains a control character");
        assert_eq!(msg("sk\u{7f}1"), "API key contains a control character");
        assert_eq!(msg("sk-ключ"), "API key contains a non-ASCII character");
        assert_eq!(
            msg("sk-\u{200b}1"),
            "API key contains a non-ASCII character"
        );
        let e = validate_api_key("sk-secret-value ").unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert!(!e.reached_server());
        assert!(!format!("{e} {e:?}").contains("secret"));
    }

    #[test]
    fn base_urls() {
        let ok = |u: &str| validate_base_url(u, false).map(|u| u.to_string());
        let bad = |u: &str, insecure: bool| {
            validate_base_url(u, insecure)
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert_eq!(ok("https://api.pyai.com").unwrap(), "https://api.pyai.com/");
        assert_eq!(
            ok("https://api.pyai.com/v1/").unwrap(),
            "https://api.pyai.com/v1/"
        );
        assert_eq!(
            ok(" https://api.pyai.com ").unwrap(),
            "https://api.pyai.com/"
        );
        for u in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost",
            "http://LOCALHOST:1",
            "http://api.localhost/",
            "http://[::1]:9000/v1",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(ok(u).is_ok(), "{u}");
        }
        let insecure =
            "plain http is only allowed to loopback hosts; use https or set allow_insecure_http";
        for u in [
            "http://api.pyai.com",
            "http://10.0.0.1",
            "http://[::2]/",
            "http://128.0.0.1",
            "http://localhost.evil.com",
            "http://0.0.0.0",
        ] {
            assert_eq!(bad(u, false), insecure, "{u}");
            assert!(validate_base_url(u, true).is_ok(), "{u}");
        }
        assert!(bad("not a url", false).starts_with("base URL is not a valid URL: "));
        assert!(bad("", false).starts_with("base URL is not a valid URL: "));
        assert!(bad("api.pyai.com/v1", false).starts_with("base URL is not a valid URL: "));
        assert_eq!(
            bad("ftp://x.com", true),
            "base URL must use http or https, not `ftp`"
        );
        assert_eq!(
            bad("file:///etc/passwd", true),
            "base URL must use http or https, not `file`"
        );
        assert_eq!(
            bad("https://user:pw@x.com", false),
            "base URL must not contain credentials"
        );
        assert_eq!(
            bad("https://user@x.com", false),
            "base URL must not contain credentials"
        );
        assert_eq!(
            bad("https://x.com/?a=1", false),
            "base URL must not contain a query string or fragment"
        );
        assert_eq!(
            bad("https://x.com/#f", false),
            "base URL must not contain a query string or fragment"
        );
        // Credentials are refused before the scheme check on http.
        let e = validate_base_url("http://sk-secret:x@example.com", false).unwrap_err();
        assert_eq!(e.message(), "base URL must not contain credentials");
        assert!(!e.to_string().contains("sk-secret"));
    }

    #[test]
    fn keys_in_urls() {
        let key = "sk-live-0123456789abcdef";
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(
            check_url_has_no_key(&u("https://x.com/v1/jobs?limit=10&cursor=abc"), Some(key))
                .is_ok()
        );
        assert!(check_url_has_no_key(&u("https://x.com/v1/jobs?token="), Some(key)).is_ok());
        for name in KEY_QUERY_PARAMS {
            let e = check_url_has_no_key(&u(&format!("https://x.com/?a=1&{name}=zzz")), None)
                .unwrap_err();
            assert_eq!(
                e.message(),
                format!("API key must not be sent in the URL (query parameter `{name}`); surefoot sends it in the Authorization header")
            );
        }
        let e = check_url_has_no_key(&u(&format!("https://x.com/?API_KEY={key}")), Some(key))
            .unwrap_err();
        assert!(e.message().contains("`api_key`"));
        assert!(!e.to_string().contains("0123456789"));
        let generic =
            "API key must not be sent in the URL; surefoot sends it in the Authorization header";
        for s in [
            format!("https://x.com/v1/{key}/jobs"),
            format!("https://x.com/v1/jobs?q={key}"),
            format!("https://x.com/v1/jobs#{key}"),
            "https://x.com/v1/jobs?q=sk%2Dlive%2D0123456789abcdef".to_owned(),
        ] {
            let e = check_url_has_no_key(&u(&s), Some(key)).unwrap_err();
            assert_eq!(e.message(), generic, "{s}");
        }
        let plus = "abc+def/ghi=";
        let e = check_url_has_no_key(&u("https://x.com/?q=abc%2Bdef%2Fghi%3D"), Some(plus))
            .unwrap_err();
        assert_eq!(e.message(), generic);
        // Short keys are not scanned (they would match everywhere).
        assert!(check_url_has_no_key(&u("https://x.com/v1/abc"), Some("abc")).is_ok());
    }

    #[test]
    fn masking() {
        assert_eq!(mask_key("sk-live-0123456789abf00d"), "sk-…f00d");
        assert_eq!(mask_key("0123456789ab"), "012…89ab");
        assert_eq!(mask_key("0123456789a"), "…9a");
        assert_eq!(mask_key("012345"), "…45");
        assert_eq!(mask_key("01234"), "…");
        assert_eq!(mask_key(""), "…");
        assert_eq!(mask_key("ключ-ключ-ключ"), "клю…ключ");
        for len in 0..200 {
            let key: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let m = mask_key(&key);
            let revealed = m.chars().filter(|&c| c != '…').count();
            assert!(revealed <= 7, "{len}: {m}");
            if len > 0 {
                assert_ne!(m, key);
                assert!(
                    revealed * 2 < len.max(1) || revealed == 0 || len >= 12,
                    "{len}: {m}"
                );
            }
        }
    }

    #[test]
    fn redaction() {
        let key = "sk-live-0123456789abf00d";
        let text = format!("Authorization: Bearer {key} and again {key}");
        let r = redact(&text, key);
        assert_eq!(r, "Authorization: Bearer sk-…f00d and again sk-…f00d");
        assert!(!r.contains("0123456789"));
        assert_eq!(redact("nothing here", key), "nothing here");
        assert_eq!(redact("text", ""), "text");
        let k2 = "abc+def/ghi=jkl";
        assert_eq!(
            redact("u?q=abc%2Bdef%2Fghi%3Djkl", k2),
            format!("u?q={}", mask_key(k2))
        );
    }

    #[test]
    fn api_key_type() {
        let k = ApiKey::new("sk-live-0123456789abf00d").unwrap();
        assert!(!format!("{k:?} {k}").contains("0123456789"));
        assert_eq!(
            k.bearer_header().to_str().unwrap(),
            "Bearer sk-live-0123456789abf00d"
        );
        assert_eq!(
            ApiKey::new("x\n").unwrap_err().message(),
            "API key contains a line break (CR or LF)"
        );
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%41%4"), "aA%4");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%2f"), "%zz/");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
