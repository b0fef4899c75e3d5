//! The built client: what [`ClientBuilder::build`](crate::ClientBuilder::build) made —
//! checked settings, the HTTP stack, the pacing store, retry policy and the host's hold —
//! shared behind an `Arc` so a [`Client`] is cheap to clone and safe to use from many
//! tasks at once, with the accessors the layers above read. Requests start in
//! `client::request`, lists in `client::pagination`.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::HeaderValue;
use url::Url;

use crate::config::api::Api;
use crate::config::key::{self as security, ApiKey};
use crate::config::profile::Profile;
use crate::config::rate_limit::RateLimit;
use crate::config::settings::Settings;
use crate::error::{Error, Result};
use crate::pacing::{self, Pacer, PacingState, PacingStore};
use crate::retry::hold::{HostHold, OutageState};
use crate::retry::{BackoffStrategy, Classifiers, RetryBudget, RetryPolicy};

/// A client for an HTTP API that follows surefoot's conventions (bearer keys, JSON errors,
/// cursor lists). Cheap to clone; clones share connections and pacing.
///
/// ```no_run
/// # async fn run() -> surefoot::Result<()> {
/// let client = surefoot::Client::builder()
///     .base_url("https://api.example.com")
///     .api_key("sk-live-0123456789abcdef")
///     .build()?;
/// let resp = client.request(http::Method::GET, "/v1/things/42").send().await?;
/// println!("{} after {} attempt(s)", resp.status(), resp.attempts());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The HTTP stack shared by the clones (`client::http_stack`).
    pub(crate) http: crate::client::lean::Stack,
    pub(crate) base_url: Url,
    pub(crate) api_key: Option<ApiKey>,
    /// Which API (a tag; the profile says what it knows).
    pub(crate) api: Api,
    /// Every plain option, checked by its rule.
    pub(crate) settings: Settings,
    pub(crate) retry_budget: RetryBudget,
    pub(crate) paths: crate::config::endpoints::Paths,
    /// The member renames answers are read with (`None`: none).
    pub(crate) fields: Option<Arc<crate::config::fields::FieldNames>>,
    pub(crate) policy: RetryPolicy,
    pub(crate) classifiers: Classifiers,
    pub(crate) backoff: Arc<dyn BackoffStrategy>,
    /// Where the pacing state and the retry budget live.
    pub(crate) store: Arc<dyn PacingStore>,
    /// The retry budget's id in the store: this key and host.
    pub(crate) budget_key: String,
    /// The host's outage id in a shared store: this key and host.
    pub(crate) outage_key: String,
    /// The outage state of this client's host.
    pub(crate) hold: Arc<HostHold>,
    pub(crate) metrics: Arc<crate::client::metrics::Recorder>,
    /// `Bearer <key>`, marked sensitive ([`ApiKey::bearer_header`]).
    pub(crate) authorization: Option<HeaderValue>,
    /// The shared pacer of each surface, looked up in the process-wide registry on first
    /// use (see [`Client::pacer_for`]).
    pub(crate) pacers: Vec<OnceLock<Pacer>>,
    /// What the client knows of the API (its surfaces, in the order of `pacers`).
    pub(crate) profile: Profile,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.inner.api)
            .field("base_url", &self.inner.base_url.as_str())
            .field("api_key", &self.inner.api_key)
            .field("max_retries", &self.inner.settings.max_retries)
            .finish()
    }
}

impl Client {
    /// The API profile.
    pub fn api(&self) -> Api {
        self.inner.api
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// The retry classifiers in force, in the order they speak: the caller's own (see
    /// [`ClientBuilder::retry_classifier`](crate::ClientBuilder::retry_classifier)), then the built-in ones.
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.retry_classifiers().names()[0], "payment_codes");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn retry_classifiers(&self) -> &Classifiers {
        &self.inner.classifiers
    }

    /// The retry budget's size and prices (see [`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget)).
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.retry_budget().capacity, 500);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn retry_budget(&self) -> RetryBudget {
        self.inner.retry_budget
    }

    /// The tokens left in the retry budget of this client's key and host (shared by every
    /// client using the same key, host and pacing store).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> surefoot::Result<()> {
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").api_key("sk-doc-budget-01").build()?;
    /// assert_eq!(client.retry_tokens().await, 500);
    /// # Ok(()) }
    /// ```
    pub async fn retry_tokens(&self) -> u32 {
        let capacity = self.inner.retry_budget.capacity;
        self.inner
            .store
            .retry_tokens(&self.inner.budget_key, capacity)
            .await
    }

    /// The outage this client's host is in, if any: since when, how many calls are held
    /// (see [`crate::retry::hold`]).
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.outage(), None);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn outage(&self) -> Option<OutageState> {
        self.inner.hold.outage()
    }

    /// A snapshot of this client's counters (shared by its clones): requests sent,
    /// retries, 429s, replays, time waited on the limiter and in backoff. Diff two
    /// snapshots with [`Metrics::since`](crate::Metrics::since).
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.metrics().requests_sent, 0);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn metrics(&self) -> crate::Metrics {
        let mut m = self.inner.metrics.snapshot();
        m.pacing_store_fallbacks = self.inner.store.fallback_decisions();
        m
    }

    /// The store this client keeps its pacing state in (the process's in-memory one
    /// unless a shared store was given).
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.pacing_store().name(), "memory");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn pacing_store(&self) -> &Arc<dyn PacingStore> {
        &self.inner.store
    }

    /// The limit the client paces requests to `path` at right now: the one configured,
    /// the API's documented one, or one learned from the server's 429s; `None` when
    /// pacing is off or nothing is known yet. For estimating how long bulk work must take.
    ///
    /// ```
    /// let client = surefoot::specala::Client::builder()
    ///     .api_key("spk_test_0123456789")
    ///     .build_specala()?;
    /// assert_eq!(
    ///     client.client().rate_limit_for("/v1/transcriptions"),
    ///     Some(surefoot::RateLimit::per_minute(500))
    /// );
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn rate_limit_for(&self, path: &str) -> Option<RateLimit> {
        self.pacer_for(path).and_then(|p| p.limit())
    }

    /// The endpoint paths of the typed clients (defaults and overrides).
    pub(crate) fn paths(&self) -> &crate::config::endpoints::Paths {
        &self.inner.paths
    }

    /// The member renames answers are read with (`None`: none).
    pub(crate) fn fields(&self) -> Option<Arc<crate::config::fields::FieldNames>> {
        self.inner.fields.clone()
    }

    /// The counters every call of this client (and its clones) adds to.
    pub(crate) fn recorder(&self) -> &crate::client::metrics::Recorder {
        &self.inner.metrics
    }

    /// The outage hold of this client's host.
    pub(crate) fn host_hold(&self) -> &Arc<HostHold> {
        &self.inner.hold
    }

    /// The host's outage as shared between processes (a shared store only).
    pub(crate) fn shared_outage(&self) -> Option<crate::retry::hold::Shared<'_>> {
        self.inner
            .store
            .is_shared()
            .then(|| crate::retry::hold::Shared {
                store: self.inner.store.as_ref(),
                id: &self.inner.outage_key,
            })
    }

    /// Where the retry budget of this key and host lives, and its id there.
    pub(crate) fn retry_budget_store(&self) -> (&dyn PacingStore, &str) {
        (self.inner.store.as_ref(), &self.inner.budget_key)
    }

    /// The backoff used when the server gives no `Retry-After`.
    pub(crate) fn backoff_strategy(&self) -> &dyn BackoffStrategy {
        self.inner.backoff.as_ref()
    }

    pub(crate) fn api_key(&self) -> Option<&str> {
        self.inner.api_key.as_ref().map(ApiKey::expose)
    }

    /// The `Authorization` header value for the key, if there is one.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        self.inner.authorization.clone()
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.inner.settings.timeout
    }

    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.inner.settings.deadline
    }

    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.settings.max_response_bytes
    }

    pub(crate) fn prefetch_default(&self) -> bool {
        self.inner.settings.prefetch
    }

    pub(crate) fn max_concurrent_sessions(&self) -> Option<usize> {
        self.inner.settings.max_concurrent_sessions
    }

    /// The shared pacer of the surface `path` belongs to (`None` when pacing is off).
    pub(crate) fn pacer_for(&self, path: &str) -> Option<Pacer> {
        // A path overridden per client is judged as the documented path it replaces.
        let path = self.inner.paths.surface_path(path);
        self.pacer_for_surface(self.inner.profile.surface_index(&path))
    }

    /// The shared pacer of the profile's surface number `index` (`None` when pacing is off).
    fn pacer_for_surface(&self, index: usize) -> Option<Pacer> {
        if !self.inner.settings.pacing {
            return None;
        }
        let surface = &self.inner.profile.surfaces()[index];
        let limit = match (surface.fixed, self.inner.settings.rate_limit) {
            (true, _) | (false, None) => surface.limit,
            (false, Some(given)) => Some(given),
        };
        // The registry hands out the same pacer for the same key, base URL and surface
        // every time, and a second lookup with the same limit changes nothing: each
        // client looks each surface up once, not on every request.
        let pacer = self.inner.pacers[index].get_or_init(|| {
            let key = self.api_key().unwrap_or("");
            let base = self.inner.base_url.as_str();
            pacing::shared_pacer_in(&self.inner.store, key, base, &surface.name, limit)
        });
        Some(pacer.clone())
    }

    /// The profile's surfaces, the default (`*`) first.
    fn surface_order(&self) -> impl Iterator<Item = usize> + use<> {
        let n = self.inner.profile.surfaces().len();
        std::iter::once(n - 1).chain(0..n - 1)
    }

    /// What the client knows of the API: base URL, key variable, surfaces, list limits.
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.profile().name(), "generic");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// What pacing knows for each surface of this client's key: the configured limit,
    /// the learned one, the pause in force and the answer that set it (empty when pacing
    /// is off).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> surefoot::Result<()> {
    /// let client = surefoot::specala::Client::builder()
    ///     .api_key("spk_test_pacing_doc_0123")
    ///     .build_specala()?;
    /// let states = client.client().pacing().await;
    /// assert_eq!(states[0].surface, "data");
    /// assert_eq!(states[0].limit, Some(surefoot::RateLimit::per_minute(500)));
    /// assert!(states[0].pause.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn pacing(&self) -> Vec<PacingState> {
        let mut out = Vec::new();
        for index in self.surface_order() {
            if let Some(pacer) = self.pacer_for_surface(index) {
                let mut state = pacer.state().await;
                state.surface = self.inner.profile.surfaces()[index].name.clone();
                out.push(state);
            }
        }
        out
    }

    /// Lift every pause and forget every learned limit of this client's key (all its
    /// surfaces), and refill the retry budget of its key and host, in whatever store holds
    /// them — after a plan upgrade, or between tests. Configured limits stay.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> surefoot::Result<()> {
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// client.reset_pacing().await;
    /// assert!(client.pacing().await[0].pause.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn reset_pacing(&self) {
        for index in self.surface_order() {
            if let Some(pacer) = self.pacer_for_surface(index) {
                pacer.reset().await;
            }
        }
        self.inner.store.reset(&self.inner.budget_key).await;
    }

    /// Resolves `path` against the base URL, refusing absolute URLs to other origins and keys
    /// in the URL.
    pub(crate) fn resolve(&self, path: &str) -> Result<Url> {
        if path.is_empty() {
            return Err(Error::invalid_request("request path is empty"));
        }
        if path.chars().any(|c| c.is_control()) {
            return Err(Error::invalid_request(
                "request path contains a control character",
            ));
        }
        let base = &self.inner.base_url;
        let url = if path.contains("://") {
            let u = Url::parse(path)
                .map_err(|e| Error::invalid_request(format!("request URL is not valid: {e}")))?;
            if u.origin() != base.origin() {
                return Err(Error::invalid_request(
                    "request URL points to another origin than the base URL",
                ));
            }
            u
        } else if is_plain_path(path) {
            // Only the path changes: the base URL's scheme and host are kept as parsed
            // instead of being parsed again (the path is parsed by the same rules).
            let prefix = base.path().trim_end_matches('/');
            let mut url = base.clone();
            if prefix.is_empty() && path.starts_with('/') {
                // A base URL without a path of its own (the usual one): the path as given.
                url.set_path(path);
            } else {
                let mut joined = String::with_capacity(prefix.len() + 1 + path.len());
                joined.push_str(prefix);
                if !path.starts_with('/') {
                    joined.push('/');
                }
                joined.push_str(path);
                url.set_path(&joined);
            }
            url
        } else {
            let mut joined = base.as_str().trim_end_matches('/').to_string();
            if !path.starts_with('/') {
                joined.push('/');
            }
            joined.push_str(path);
            Url::parse(&joined)
                .map_err(|e| Error::invalid_request(format!("request path is not valid: {e}")))?
        };
        security::check_url_has_no_key(&url, self.api_key())?;
        Ok(url)
    }
}

/// Whether `path` is made only of characters that stand for themselves in a URL path
/// (RFC 3986 `pchar`s, `/` and `%`): no query, fragment, space, backslash or non-ASCII
/// character, which only a whole-URL parse handles the same way as before.
fn is_plain_path(path: &str) -> bool {
    path.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL `resolve` made before it learnt to keep the parsed base URL.
    fn parsed(base: &Url, path: &str) -> std::result::Result<Url, url::ParseError> {
        let mut joined = base.as_str().trim_end_matches('/').to_string();
        if !path.starts_with('/') {
            joined.push('/');
        }
        joined.push_str(path);
        Url::parse(&joined)
    }

    #[test]
    fn resolving_a_plain_path_is_the_same_as_parsing_the_joined_url() {
        let bases = [
            "https://api.example.com",
            "https://api.example.com/",
            "https://api.example.com/api",
            "https://api.example.com/api/",
            "https://api.example.com/api//",
            "http://127.0.0.1:8080/v2/x/",
            "http://[::1]:9/p%20q/",
            "https://API.Example.COM:443/",
        ];
        let paths = [
            "/v1/transcription/jobs/job_00000001",
            "v1/jobs",
            "/",
            "//",
            "//evil.example/x",
            "/a/../../b",
            "..",
            "/a/./b/.",
            "/a/%2e%2e/b",
            "/a/%2E./b",
            "/%zz/%4",
            "/a%2Fb",
            "/x;y=1,2/@me:~!$&'()*+",
            "/v1/keys/k_1",
            "a",
            ".",
            "/a//b/",
            "/C:/x",
            "/./.",
        ];
        for b in bases {
            let client = Client::builder()
                .base_url(b)
                .api_key("sk-test-0123456789")
                .build()
                .unwrap();
            for p in paths {
                assert!(is_plain_path(p), "{p}");
                let got = client.resolve(p).unwrap();
                let want = parsed(client.base_url(), p).unwrap();
                assert_eq!(got.as_str(), want.as_str(), "{b} + {p}");
                assert_eq!(got, want, "{b} + {p}");
            }
        }
        for p in [
            "/a?b=1", "/a#f", "/a b", "/a\\b", "/é", "/a ", " /a", "/a\"", "/a<b>",
        ] {
            assert!(!is_plain_path(p), "{p}");
        }
    }
}
