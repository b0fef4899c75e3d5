//! Tests of reading store URLs: every scheme, the hosts of Sentinel and Cluster, each
//! refusal's message, and that neither the password nor the secret ever shows.

use super::*;
use crate::pacing::{PacingStore, RedisStore};

#[test]
fn sentinel_and_cluster_urls_list_their_hosts() {
    let (info, opts) =
        parse_url("redis+sentinel://u:pw@s1,s2:26380,[::1]:7/my%20primary?secret=k&prefix=p:")
            .unwrap();
    assert_eq!(info.topology, Topology::Sentinel("my primary".into()));
    assert_eq!(
        info.hosts,
        [
            ("s1".into(), 26379),
            ("s2".into(), 26380),
            ("::1".into(), 7)
        ]
    );
    assert_eq!(
        info.shown,
        "redis+sentinel://u:***@s1:26379,s2:26380,[::1]:7/my primary"
    );
    assert_eq!(opts.prefix, "p:");
    assert!(format!("{opts:?}").contains("Some(Secret(***))"));
    let (info, _) = parse_url("rediss+cluster://h1:7001,h2:7002/?timeout_ms=9").unwrap();
    assert_eq!((info.topology.clone(), info.tls), (Topology::Cluster, true));
    assert_eq!(info.shown, "rediss+cluster://h1:7001,h2:7002/");
    assert_eq!(info.node(1).addr.to_string(), "h2:7002");
}

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
            "pacing store URL: unknown option `pw`; known: prefix, timeout_ms, fail, lease_ms, \
             secret, tls_ca, tls_cert, tls_key, sentinel_user, sentinel_password",
        ),
        (
            "redis://:hunter2@h/0?prefix={x}",
            "pacing store prefix must not contain `{`, `}` or whitespace",
        ),
        (
            "memcached://:hunter2@h",
            "pacing store URL: unsupported scheme `memcached`; use redis://, rediss://, \
             redis+sentinel:// or redis+cluster://",
        ),
    ] {
        refused(url, msg);
    }
}

#[test]
fn sentinel_cluster_tls_and_secret_options_are_checked() {
    for (url, msg) in [
        (
            "redis://:hunter2@a:1,b:2/0",
            "pacing store URL: several hosts need redis+sentinel:// or redis+cluster://",
        ),
        (
            "redis+sentinel://:hunter2@a:1,b:2/",
            "pacing store URL: the path must be the Sentinel service name, as in \
             redis+sentinel://[user:password@]host:port[,host:port]/service_name",
        ),
        (
            "redis+cluster://:hunter2@a:1,b:2/3",
            "pacing store URL: a cluster has only database 0: leave the path empty",
        ),
        (
            "redis://:hunter2@h/0?tls_ca=/etc/ca.pem",
            "pacing store URL: `tls_ca`, `tls_cert` and `tls_key` need a TLS scheme (rediss://)",
        ),
        (
            "rediss://:hunter2@h/0?tls_cert=/etc/c.pem",
            "pacing store URL: `tls_cert` and `tls_key` go together (mutual TLS)",
        ),
        (
            "rediss://:hunter2@h/0?tls_ca=/nonexistent/ca.pem",
            "pacing store URL: `tls_ca` file `/nonexistent/ca.pem` cannot be read \
             (No such file or directory (os error 2))",
        ),
        (
            "redis://:hunter2@h/0?secret=",
            "pacing store secret must not be empty",
        ),
        (
            "redis+cluster://:hunter2@a:1,b:99999/",
            "pacing store URL: host `b:99999` is not valid (invalid port number)",
        ),
    ] {
        refused(url, msg);
    }
    let e = RedisStore::connect("redis://:hunter2@h:99999/0").unwrap_err();
    assert!(
        e.message().starts_with("pacing store URL: not a valid URL"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("hunter2"));
    assert_eq!(redact("redis://u:hunter2@h/0?x=1"), "redis://u:***@h/0");
    assert_eq!(
        redact("redis+sentinel://u:hunter2@a:1,b:2/m"),
        "the pacing store URL"
    );
    assert_eq!(percent_decode("a%40b%zz"), "a@b%zz");
}

/// `url` is refused with `msg`, the password nowhere in the error.
fn refused(url: &str, msg: &str) {
    let e = RedisStore::connect(url).unwrap_err();
    assert_eq!(e.code(), "invalid_request");
    assert_eq!(e.message(), msg, "{url}");
    assert!(!format!("{e:?}").contains("hunter2"));
}

#[test]
fn the_sentinels_own_credentials_are_query_options_never_shown() {
    let (info, _) = parse_url(
        "redis+sentinel://:node-pw@s1:26379/svc?sentinel_user=watch&sentinel_password=s%26nt-pw",
    )
    .unwrap();
    assert_eq!(info.sentinel_auth.user.as_deref(), Some("watch"));
    assert_eq!(info.sentinel_auth.password.as_deref(), Some("s&nt-pw"));
    assert_eq!(info.redis.password.as_deref(), Some("node-pw"));
    assert_eq!(info.shown, "redis+sentinel://:***@s1:26379/svc");
    let s =
        RedisStore::connect("redis+sentinel://s1:26379/svc?sentinel_password=s%26nt-pw&prefix=x:")
            .unwrap();
    assert!(!format!("{s:?} {}", s.name()).contains("nt-pw"));
    // Two URLs that differ only in the sentinels' password are two stores.
    let (other, _) =
        parse_url("redis+sentinel://:node-pw@s1:26379/svc?sentinel_password=b").unwrap();
    assert_ne!(info.canonical, other.canonical);
    for url in [
        "redis://:hunter2@h/0?sentinel_password=hunter2",
        "redis+cluster://h:7000/?sentinel_user=hunter2",
    ] {
        refused(
            url,
            "pacing store URL: `sentinel_user` and `sentinel_password` are for \
             redis+sentinel:// only",
        );
    }
}
