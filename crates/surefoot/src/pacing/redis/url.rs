//! Reading a pacing store URL: the scheme (`redis://`, `rediss://` for TLS,
//! `redis+sentinel://` and `redis+cluster://` with their `rediss+` forms), the hosts (one,
//! or a comma-separated list for Sentinel and Cluster), database or Sentinel service,
//! credentials (percent-decoded), the sentinels' own credentials and surefoot's other
//! query options, checked once; and a name to show that never carries a password nor the
//! query (where a secret or the sentinels' password may be).

use std::time::Duration;

use super::options::{Options, DEFAULT_DECISION_TIMEOUT, DEFAULT_PREFIX, DEFAULT_SLOT_LEASE};
use super::secret::Secret;
use super::tls::TlsFiles;
use crate::error::{Error, Result};

/// How the hosts of a URL are used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Topology {
    /// One Redis (`redis://`, `rediss://`).
    Single,
    /// Sentinels to ask for the primary of this service (`redis+sentinel://`).
    Sentinel(String),
    /// Seed nodes of a Redis Cluster (`redis+cluster://`).
    Cluster,
}

/// What a store URL says, once checked (the password only in `redis`).
pub(super) struct UrlInfo {
    pub(super) topology: Topology,
    /// Every host given, in order, with its port.
    pub(super) hosts: Vec<(String, u16)>,
    pub(super) tls: bool,
    pub(super) tls_files: TlsFiles,
    /// Database, user and password for the Redis nodes.
    pub(super) redis: redis::RedisConnectionInfo,
    /// The sentinels' own user and password (`sentinel_user=`, `sentinel_password=`),
    /// when they are not open.
    pub(super) sentinel_auth: SentinelAuth,
    pub(super) shown: String,
    /// The URL without surefoot's own query options, plus the TLS files (the registry's
    /// key).
    pub(super) canonical: String,
}

impl UrlInfo {
    /// The `redis` crate's connection info for host number `i`.
    pub(super) fn node(&self, i: usize) -> redis::ConnectionInfo {
        let (host, port) = self.hosts[i].clone();
        let addr = if self.tls {
            redis::ConnectionAddr::TcpTls {
                host,
                port,
                insecure: false,
                tls_params: None,
            }
        } else {
            redis::ConnectionAddr::Tcp(host, port)
        };
        redis::ConnectionInfo {
            addr,
            redis: self.redis.clone(),
        }
    }
}

/// The user and password a Sentinel deployment's sentinels ask for (their `requirepass`
/// or an ACL user of theirs), apart from the Redis nodes' credentials in the URL's user
/// part. Never shown: this type has no `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct SentinelAuth {
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
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
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| {
        bad(&format!(
            "not a valid URL (no `://`); expected {}",
            expected(Kind::Single)
        ))
    })?;
    let scheme = scheme.to_ascii_lowercase();
    let (kind, tls) = scheme_kind(&scheme)?;
    let (userinfo, url, hosts) = split_hosts(kind, rest)?;
    let (topology, db) = topology(kind, url.path().trim_matches('/'))?;
    let (opts, tls_files, sentinel_auth) = query_options(&url, kind, tls)?;
    let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
    let password = url.password().map(percent_decode);
    let user_shown = match (&username, password.is_some()) {
        (Some(u), true) => format!("{u}:***@"),
        (Some(u), false) => format!("{u}@"),
        (None, true) => ":***@".to_owned(),
        (None, false) => String::new(),
    };
    let hosts_shown: Vec<String> = hosts.iter().map(|(h, p)| host_shown(h, *p)).collect();
    let path_shown = match &topology {
        Topology::Single => db.to_string(),
        Topology::Sentinel(service) => service.clone(),
        Topology::Cluster => String::new(),
    };
    let shown = format!(
        "{scheme}://{user_shown}{}/{path_shown}",
        hosts_shown.join(",")
    );
    let canonical = format!(
        "{scheme}://{userinfo}{}/{path_shown}#{tls_files:?}#{:?}#{:?}",
        hosts_shown.join(","),
        sentinel_auth.user,
        sentinel_auth.password
    );
    let redis = redis::RedisConnectionInfo {
        db,
        username,
        password,
        ..Default::default()
    };
    let info = UrlInfo {
        topology,
        hosts,
        tls,
        tls_files,
        redis,
        sentinel_auth,
        shown,
        canonical,
    };
    Ok((info, opts))
}

/// Hosts with their ports, in the order given.
type Hosts = Vec<(String, u16)>;

/// The hosts of the URL after its scheme (`rest`): the user part as written, the first
/// host's URL (with the user, path and query, for the url crate to read) and every host
/// with its port.
fn split_hosts(kind: Kind, rest: &str) -> Result<(&str, url::Url, Hosts)> {
    // The authority ends at the first `/`, `?` or `#`; the user is before its last `@`.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostlist) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    let listed: Vec<&str> = hostlist.split(',').collect();
    if listed.len() > 1 && kind == Kind::Single {
        return Err(bad(
            "several hosts need redis+sentinel:// or redis+cluster://",
        ));
    }
    let url = url::Url::parse(&format!("redis://{userinfo}{}{tail}", listed[0])).map_err(|e| {
        bad(&format!(
            "not a valid URL ({e}); expected {}",
            expected(kind)
        ))
    })?;
    let default_port = if kind == Kind::Sentinel { 26379 } else { 6379 };
    let mut hosts = vec![host_port(&url, default_port)?];
    for h in &listed[1..] {
        let u = url::Url::parse(&format!("redis://{h}")).map_err(|e| {
            let h: String = h.chars().take(64).collect();
            bad(&format!("host `{h}` is not valid ({e})"))
        })?;
        hosts.push(host_port(&u, default_port)?);
    }
    Ok((userinfo, url, hosts))
}

/// What the path says: the database (one Redis), the service (Sentinel) or nothing
/// (Cluster).
fn topology(kind: Kind, path: &str) -> Result<(Topology, i64)> {
    Ok(match kind {
        Kind::Single => (Topology::Single, database(path)?),
        Kind::Cluster if path.is_empty() => (Topology::Cluster, 0),
        Kind::Cluster => return Err(bad("a cluster has only database 0: leave the path empty")),
        Kind::Sentinel if path.is_empty() || path.contains('/') => {
            return Err(bad(&format!(
                "the path must be the Sentinel service name, as in {}",
                expected(kind)
            )))
        }
        Kind::Sentinel => (Topology::Sentinel(percent_decode(path)), 0),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Sentinel,
    Cluster,
}

fn scheme_kind(scheme: &str) -> Result<(Kind, bool)> {
    Ok(match scheme {
        "redis" | "valkey" => (Kind::Single, false),
        "rediss" | "valkeys" => (Kind::Single, true),
        "redis+sentinel" => (Kind::Sentinel, false),
        "rediss+sentinel" => (Kind::Sentinel, true),
        "redis+cluster" => (Kind::Cluster, false),
        "rediss+cluster" => (Kind::Cluster, true),
        other => {
            let other: String = other.chars().take(16).collect();
            return Err(bad(&format!(
                "unsupported scheme `{other}`; use redis://, rediss://, redis+sentinel:// or redis+cluster://"
            )));
        }
    })
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => "redis://[user:password@]host[:port][/db]",
        Kind::Sentinel => "redis+sentinel://[user:password@]host:port[,host:port]/service_name",
        Kind::Cluster => "redis+cluster://[user:password@]host:port[,host:port]/",
    }
}

fn host_port(url: &url::Url, default_port: u16) -> Result<(String, u16)> {
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("it has no host")),
    };
    Ok((host, url.port().unwrap_or(default_port)))
}

fn database(path: &str) -> Result<i64> {
    match path {
        "" => Ok(0),
        p => p
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("the path must be a database number, as in redis://host:6379/0")),
    }
}

/// surefoot's own options from the URL's query (the defaults for those not given), the
/// TLS files and the sentinels' credentials.
fn query_options(
    url: &url::Url,
    kind: Kind,
    tls: bool,
) -> Result<(Options, TlsFiles, SentinelAuth)> {
    let mut opts = Options {
        prefix: DEFAULT_PREFIX.to_owned(),
        decision_timeout: DEFAULT_DECISION_TIMEOUT,
        fail_closed: false,
        slot_lease: DEFAULT_SLOT_LEASE,
        secret: None,
    };
    let mut files = TlsFiles::default();
    let mut sentinel = SentinelAuth::default();
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
            "secret" => opts.secret = Some(Secret::new(&v)?),
            "tls_ca" => files.ca = Some(v.into_owned()),
            "tls_cert" => files.cert = Some(v.into_owned()),
            "tls_key" => files.key = Some(v.into_owned()),
            "sentinel_user" => sentinel.user = Some(v.into_owned()),
            "sentinel_password" => sentinel.password = Some(v.into_owned()),
            other => {
                let other: String = other.chars().take(32).collect();
                return Err(bad(&format!(
                    "unknown option `{other}`; known: prefix, timeout_ms, fail, lease_ms, \
                     secret, tls_ca, tls_cert, tls_key, sentinel_user, sentinel_password"
                )));
            }
        }
    }
    if files.any() && !tls {
        return Err(bad(
            "`tls_ca`, `tls_cert` and `tls_key` need a TLS scheme (rediss://)",
        ));
    }
    if sentinel != SentinelAuth::default() && kind != Kind::Sentinel {
        return Err(bad(
            "`sentinel_user` and `sentinel_password` are for redis+sentinel:// only",
        ));
    }
    if files.cert.is_some() != files.key.is_some() {
        return Err(bad("`tls_cert` and `tls_key` go together (mutual TLS)"));
    }
    if opts.secret.is_none() {
        opts.secret = Secret::from_env();
    }
    Ok((opts, files, sentinel))
}

/// A host as shown: IPv6 in brackets, with its port.
fn host_shown(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A URL's user or password, percent-decoded (an invalid escape is kept as it is).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
