//! Client-side checks of the key and the base URL, all run before anything is sent: API
//! key validation (empty, surrounding whitespace, CR/LF, control and non-ASCII characters,
//! each reported by name), base URL validation (http/https only, https unless the host is
//! loopback or insecure HTTP is explicitly allowed, no credentials, query or fragment),
//! the refusal to put a key in a URL, and [`ApiKey`], the key that masks itself. Every
//! failure is an [`Error::invalid_request`] whose message never echoes the key; the
//! masking itself lives in the leaf [`crate::leaves::secret`].

use std::fmt;

use crate::error::{Error, InvalidRequestReason};
use crate::leaves::secret::{
    is_loopback, mask_key, truncate, url_contains, KEY_QUERY_PARAMS, MIN_KEY_LEN_FOR_URL_SCAN,
};

/// Check an API key before it is put in a header. Checked in this order, with exactly
/// these messages: "API key is empty" (also for whitespace only), "API key contains a line
/// break (CR or LF)" (anywhere, so a trailing `\n` is reported as the line break), "API key
/// has leading whitespace", "API key has trailing whitespace", "API key contains a control
/// character", "API key contains whitespace" (a space inside), "API key contains a
/// non-ASCII character".
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
    use InvalidRequestReason::*;
    let problem = if key.trim().is_empty() {
        Some((ApiKeyEmpty, "API key is empty"))
    } else if key.contains(['\r', '\n']) {
        Some((ApiKeyLineBreak, "API key contains a line break (CR or LF)"))
    } else if key.starts_with(char::is_whitespace) {
        Some((ApiKeyLeadingWhitespace, "API key has leading whitespace"))
    } else if key.ends_with(char::is_whitespace) {
        Some((ApiKeyTrailingWhitespace, "API key has trailing whitespace"))
    } else if key.chars().any(char::is_control) {
        Some((
            ApiKeyControlCharacter,
            "API key contains a control character",
        ))
    } else if key.chars().any(char::is_whitespace) {
        // Leniency is even: whitespace is refused wherever it is, in a key as in a base URL.
        Some((ApiKeyWhitespace, "API key contains whitespace"))
    } else if !key.is_ascii() {
        Some((ApiKeyNonAscii, "API key contains a non-ASCII character"))
    } else {
        None
    };
    match problem {
        Some((reason, message)) => Err(Error::invalid_because(reason, message)),
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
    // The same rule as for a key: surrounding whitespace is refused, never trimmed.
    if url.trim() != url && !url.trim().is_empty() {
        return Err(base_url_error(
            "base URL has leading or trailing whitespace",
        ));
    }
    let parsed = url::Url::parse(url)
        .map_err(|e| base_url_error(format!("base URL is not a valid URL: {e}")))?;
    let scheme = parsed.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(base_url_error(format!(
            "base URL must use http or https, not `{}`",
            truncate(scheme, 20)
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(base_url_error("base URL must not contain credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(base_url_error(
            "base URL must not contain a query string or fragment",
        ));
    }
    if parsed.host().is_none() {
        return Err(base_url_error("base URL has no host"));
    }
    if scheme == "http" && !allow_insecure_http && !is_loopback(&parsed) {
        return Err(Error::invalid_because(
            InvalidRequestReason::InsecureHttp,
            "plain http is only allowed to loopback hosts; use https or set allow_insecure_http",
        ));
    }
    Ok(parsed)
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
            return Err(Error::invalid_because(InvalidRequestReason::KeyInUrl, format!(
                "API key must not be sent in the URL (query parameter `{known}`); surefoot sends it in the Authorization header"
            )));
        }
    }
    if let Some(key) = api_key
        && key.len() >= MIN_KEY_LEN_FOR_URL_SCAN
        && url_contains(url, key)
    {
        return Err(Error::invalid_because(
            InvalidRequestReason::KeyInUrl,
            "API key must not be sent in the URL; surefoot sends it in the Authorization header",
        ));
    }
    Ok(())
}

/// An unusable base URL.
fn base_url_error(message: impl Into<String>) -> Error {
    Error::invalid_because(InvalidRequestReason::BaseUrl, message)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaves::secret::*;

    fn msg(key: &str) -> String {
        validate_api_key(key).unwrap_err().message().to_owned()
    }

    #[test]
    fn api_key_messages() {
        assert!(validate_api_key("sk-live-abc123").is_ok());
        // Header-safe, but never part of a real key: refused like surrounding whitespace.
        assert_eq!(msg("a b"), "API key contains whitespace");
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
            validate_base_url(" https://api.pyai.com ", false)
                .unwrap_err()
                .message(),
            "base URL has leading or trailing whitespace"
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
        // url_contains relies on the percent-encoding crate leaving bad escapes alone.
        let d = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        assert_eq!(d("a%41%4"), "aA%4");
        assert_eq!(d("%"), "%");
        assert_eq!(d("%zz%2f"), "%zz/");
        assert_eq!(d("%ff"), "\u{fffd}");
    }
}
