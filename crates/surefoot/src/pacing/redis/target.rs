//! What the store connects to, behind one type: [`Backend`] (one Redis through the `redis`
//! crate's `ConnectionManager`, a Sentinel-monitored primary found anew on each
//! connection, or a Redis Cluster through its cluster client, which follows `MOVED` and
//! `ASK` and loads a script on every primary on `NOSCRIPT`) and [`Conn`], the connection
//! every command and script runs on, whichever it is.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Cmd, Pipeline, RedisFuture, TlsCertificates, TlsMode, Value};

use super::url::{Topology, UrlInfo};
use crate::error::{Error, Result};

/// Where the store's commands go.
pub(super) enum Backend {
    Single(redis::Client),
    /// The sentinels are asked for the primary at each connection (so a failover is
    /// followed by connecting again).
    Sentinel(tokio::sync::Mutex<SentinelClient>),
    Cluster(ClusterClient),
}

/// A connection of any [`Backend`] (cheap to clone: each is a handle on a shared one).
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

fn rejected(info: &UrlInfo, e: &redis::RedisError) -> Error {
    // The redis crate's messages name neither the URL nor the password.
    Error::invalid_request(format!(
        "pacing store URL `{}`: {}",
        info.shown,
        e.detail().unwrap_or("rejected by the Redis client")
    ))
}

impl Backend {
    /// The backend for a checked URL (reads its TLS files; connects to nothing).
    pub(super) fn new(info: &UrlInfo) -> Result<Backend> {
        let certs = info.tls_files.load()?;
        let fail = |e: redis::RedisError| rejected(info, &e);
        Ok(match &info.topology {
            Topology::Single => Backend::Single(match certs {
                Some(c) => redis::Client::build_with_tls(info.node(0), c).map_err(fail)?,
                None => redis::Client::open(info.node(0)).map_err(fail)?,
            }),
            Topology::Cluster => {
                let nodes: Vec<_> = (0..info.hosts.len()).map(|i| info.node(i)).collect();
                // A slot being migrated answers a script whose keys are split between
                // its two nodes (or partly missing) with TRYAGAIN for as long as the
                // move takes, usually milliseconds: retry within the decision's timeout
                // (waits of 1-10 ms) rather than after the client's default 1.28 s. The
                // timeout around each call, not the count (which would end 16 retries
                // within ~100 ms), ends the retries.
                let mut b = ClusterClient::builder(nodes)
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(CONNECT_TIMEOUT)
                    .retries(1_000)
                    .min_retry_wait(1)
                    .max_retry_wait(10)
                    .retry_wait_formula(2, 2);
                if let Some(c) = certs {
                    b = b.certs(c);
                }
                Backend::Cluster(b.build().map_err(fail)?)
            }
            Topology::Sentinel(service) => Backend::Sentinel(tokio::sync::Mutex::new(
                sentinel(info, service, certs).map_err(fail)?,
            )),
        })
    }

    /// Whether a connection that failed should be dropped and made anew (the primary may
    /// have moved), rather than left to reconnect to the same address.
    pub(super) fn finds_primary_again(&self) -> bool {
        matches!(self, Backend::Sentinel(_))
    }

    /// A new connection (for Sentinel: to the primary the sentinels name now).
    pub(super) async fn connect(&self) -> redis::RedisResult<Conn> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(CONNECT_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(200);
        match self {
            Backend::Single(client) => ConnectionManager::new_with_config(client.clone(), config)
                .await
                .map(Conn::Single),
            Backend::Sentinel(sentinel) => {
                let client = sentinel.lock().await.async_get_client().await?;
                ConnectionManager::new_with_config(client, config)
                    .await
                    .map(Conn::Single)
            }
            Backend::Cluster(client) => client.get_async_connection().await.map(Conn::Cluster),
        }
    }
}

/// The timeout of one connection attempt or probe.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

fn sentinel(
    info: &UrlInfo,
    service: &str,
    certs: Option<TlsCertificates>,
) -> redis::RedisResult<SentinelClient> {
    let sentinels = (0..info.hosts.len()).map(|i| info.node(i).addr);
    let mut b =
        SentinelClientBuilder::new(sentinels, service.to_owned(), SentinelServerType::Master)?
            .set_client_to_redis_db(info.redis.db);
    if let Some(u) = &info.redis.username {
        b = b.set_client_to_redis_username(u.clone());
    }
    if let Some(p) = &info.redis.password {
        b = b.set_client_to_redis_password(p.clone());
    }
    if let Some(u) = &info.sentinel_auth.user {
        b = b.set_client_to_sentinel_username(u.clone());
    }
    if let Some(p) = &info.sentinel_auth.password {
        b = b.set_client_to_sentinel_password(p.clone());
    }
    if info.tls {
        b = b
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
        if let Some(c) = certs {
            b = b
                .set_client_to_redis_certificates(c.clone())
                .set_client_to_sentinel_certificates(c);
        }
    }
    b.build()
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}
