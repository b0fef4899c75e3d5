//! Reading a Redis URL: the scheme (`redis://`, `rediss://` for TLS), host, port,
//! database, credentials (percent-decoded) and surefoot's own query options, checked once
//! and turned into the `redis` crate's connection info plus a name to show that never
//! carries the password.

use std::time::Duration;

use super::options::{Options, DEFAULT_DECISION_TIMEOUT, DEFAULT_PREFIX, DEFAULT_SLOT_LEASE};
use crate::error::{Error, Result};

/// What a Redis URL says, once checked: the connection info for the `redis` crate and
/// the name to show (no password).
pub(super) struct UrlInfo {
    pub(super) connection: redis::ConnectionInfo,
    pub(super) shown: String,
    /// The URL without surefoot's own query options (the registry's key).
    pub(super) canonical: String,
}

/// `url` with any password replaced by `***` and its query left out, for messages and
/// `Debug` output about a URL that may not parse well enough to show its parts.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "the pacing store URL".to_owned(),
    }
}

fn bad(why: &str) -> Error {
    Error::invalid_request(format!("pacing store URL: {why}"))
}

/// Checks `raw` and splits it into what to connect to and surefoot's options.
pub(super) fn parse_url(raw: &str) -> Result<(UrlInfo, Options)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut url = url::Url::parse(raw).map_err(|e| {
        bad(&format!(
            "not a valid URL ({e}); expected redis://[:password@]host[:port][/db]"
        ))
    })?;
    let tls = match url.scheme() {
        "redis" | "valkey" => false,
        "rediss" | "valkeys" => true,
        other => {
            let other: String = other.chars().take(16).collect();
            return Err(bad(&format!(
                "unsupported scheme `{other}`; use redis:// or rediss://"
            )));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("it has no host")),
    };
    let port = url.port().unwrap_or(6379);
    let db: i64 =
        match url.path().trim_matches('/') {
            "" => 0,
            p => p.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                bad("the path must be a database number, as in redis://host:6379/0")
            })?,
        };
    let opts = query_options(&url)?;
    url.set_query(None);
    let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
    let password = url.password().map(percent_decode);
    let shown = shown_name(
        tls,
        &host,
        port,
        db,
        username.as_deref(),
        password.is_some(),
    );
    let addr = if tls {
        redis::ConnectionAddr::TcpTls {
            host,
            port,
            insecure: false,
            tls_params: None,
        }
    } else {
        redis::ConnectionAddr::Tcp(host, port)
    };
    let connection = redis::ConnectionInfo {
        addr,
        redis: redis::RedisConnectionInfo {
            db,
            username,
            password,
            ..Default::default()
        },
    };
    let canonical = url.to_string();
    Ok((
        UrlInfo {
            connection,
            shown,
            canonical,
        },
        opts,
    ))
}

/// surefoot's own options from the URL's query (the defaults for those not given).
fn query_options(url: &url::Url) -> Result<Options> {
    let mut opts = Options {
        prefix: DEFAULT_PREFIX.to_owned(),
        decision_timeout: DEFAULT_DECISION_TIMEOUT,
        fail_closed: false,
        slot_lease: DEFAULT_SLOT_LEASE,
    };
    let millis = |name: &str, v: &str| -> Result<Duration> {
        v.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| bad(&format!("`{name}` must be a whole number of milliseconds")))
    };
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "prefix" => opts.prefix = v.into_owned(),
            "timeout_ms" => opts.decision_timeout = millis("timeout_ms", &v)?,
            "lease_ms" => opts.slot_lease = millis("lease_ms", &v)?,
            "fail" => {
                opts.fail_closed = match v.as_ref() {
                    "open" => false,
                    "closed" => true,
                    _ => return Err(bad("`fail` must be `open` or `closed`")),
                }
            }
            other => {
                let other: String = other.chars().take(32).collect();
                return Err(bad(&format!(
                    "unknown option `{other}`; known: prefix, timeout_ms, fail, lease_ms"
                )));
            }
        }
    }
    Ok(opts)
}

/// The URL as shown in messages: the password as `***`, the query left out.
fn shown_name(
    tls: bool,
    host: &str,
    port: u16,
    db: i64,
    username: Option<&str>,
    has_password: bool,
) -> String {
    let scheme = if tls { "rediss" } else { "redis" };
    let host_shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let user_shown = match (username, has_password) {
        (Some(u), true) => format!("{u}:***@"),
        (Some(u), false) => format!("{u}@"),
        (None, true) => ":***@".to_owned(),
        (None, false) => String::new(),
    };
    format!("{scheme}://{user_shown}{host_shown}:{port}/{db}")
}

/// A URL's user or password, percent-decoded (an invalid escape is kept as it is).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::{PacingStore, RedisStore};

    #[test]
    fn urls_are_checked_and_never_show_the_password() {
        let s = RedisStore::connect("redis://user:pa%40ss@localhost:7000/3?prefix=a:").unwrap();
        assert_eq!(s.name(), "redis://user:***@localhost:7000/3 prefix=a:");
        assert!(!format!("{s:?}").contains("pa"));
        for (url, msg) in [
            ("", "pacing store URL: it is empty"),
            ("redis://", "pacing store URL: it has no host"),
            (
                "redis://:hunter2@h/x",
                "pacing store URL: the path must be a database number, as in redis://host:6379/0",
            ),
            (
                "redis://:hunter2@h/0?fail=maybe",
                "pacing store URL: `fail` must be `open` or `closed`",
            ),
            (
                "redis://:hunter2@h/0?timeout_ms=0",
                "pacing store decision timeout must be at least 1 ms",
            ),
            (
                "redis://:hunter2@h/0?pw=hunter2",
                "pacing store URL: unknown option `pw`; known: prefix, timeout_ms, fail, lease_ms",
            ),
            (
                "redis://:hunter2@h/0?prefix={x}",
                "pacing store prefix must not contain `{`, `}` or whitespace",
            ),
            (
                "memcached://:hunter2@h",
                "pacing store URL: unsupported scheme `memcached`; use redis:// or rediss://",
            ),
        ] {
            let e = RedisStore::connect(url).unwrap_err();
            assert_eq!(e.code(), "invalid_request");
            assert_eq!(e.message(), msg, "{url}");
            assert!(!format!("{e:?}").contains("hunter2"));
        }
        let e = RedisStore::connect("redis://:hunter2@h:99999/0").unwrap_err();
        assert!(
            e.message().starts_with("pacing store URL: not a valid URL"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("hunter2"));
        assert_eq!(redact("redis://u:hunter2@h/0?x=1"), "redis://u:***@h/0");
        assert_eq!(percent_decode("a%40b%zz"), "a@b%zz");
    }
}
