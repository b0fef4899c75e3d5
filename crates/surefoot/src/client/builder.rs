//! [`ClientBuilder`]: the options of a client before it exists. Each setter hands its value
//! to that option's rule ([`Settings`](crate::config::settings::Settings), or the pacing
//! store's here), which only parses; [`build`](ClientBuilder::build) then checks what
//! needs several settings together (base URL, key, insecure HTTP), creates the pacing
//! store and the HTTP stack, and hands the checked settings to the [`Client`].

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;

use crate::client::handle::{Client, Inner};
use crate::config::api::Api;
use crate::config::key::{self as security, ApiKey};
use crate::config::options::OptionValue;
use crate::config::profile::Profile;
use crate::config::rate_limit::RateLimit;
use crate::config::settings::{Rule, Settings};
use crate::error::{Error, ErrorShape, InvalidRequestReason, Result};
use crate::pacing::{self, PacingStore};
use crate::retry::hold;
use crate::retry::{BackoffStrategy, Classifiers, RetryBudget, RetryClassifier, RetryPolicy};

/// The store a client keeps its pacing state in (shown by name in `Debug`).
#[derive(Clone)]
pub(crate) struct StoreHandle(Arc<dyn PacingStore>);

impl fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name())
    }
}

/// A pacing store URL as given (shown in `Debug` without its password).
#[derive(Clone)]
pub(crate) struct StoreUrl(pub(crate) String);

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&pacing::redacted_url(&self.0))
    }
}

/// Builds a [`Client`]; every setting is checked in [`build`](ClientBuilder::build), before
/// anything is sent.
///
/// ```
/// use std::time::Duration;
/// let client = surefoot::Client::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("sk-test-0123456789")
///     .max_retries(5)
///     .timeout(Duration::from_secs(10))
///     .deadline(Duration::from_secs(30))
///     .rate_limit(surefoot::RateLimit::per_second(20).burst(5))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    /// Which API (a tag; its profile is set with it, from above).
    pub(crate) api: Api,
    pub(crate) profile: Option<Profile>,
    /// Every plain option, each checked by its rule when set.
    pub(crate) settings: Settings,
    /// The first value refused by a chained setter, reported by `build`.
    pub(crate) refused: Option<Error>,
    pub(crate) pacing_store: Option<StoreHandle>,
    pub(crate) pacing_store_url: Option<StoreUrl>,
    pub(crate) classifiers: Vec<Arc<dyn RetryClassifier>>,
    pub(crate) backoff_strategy: Option<Arc<dyn BackoffStrategy>>,
    pub(crate) retry_budget: RetryBudget,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api: Api::Generic,
            profile: None,
            settings: Settings::default(),
            refused: None,
            pacing_store: None,
            pacing_store_url: None,
            classifiers: Vec::new(),
            backoff_strategy: None,
            retry_budget: RetryBudget::default(),
        }
    }
}

impl ClientBuilder {
    /// Uses `profile` for what the client knows of the API (default base URL, key
    /// variable, rate-limit surfaces, list limits) instead of a built-in one.
    ///
    /// ```
    /// use surefoot::{profile::Profile, RateLimit};
    /// let profile = Profile::builder("acme")
    ///     .base_url("https://api.acme.example")
    ///     .fixed_surface("admin", "/v1/admin", Some(RateLimit::per_minute(60)))
    ///     .build()?;
    /// let client = surefoot::Client::builder().profile(profile).build()?;
    /// assert_eq!(client.rate_limit_for("/v1/admin/users"), Some(RateLimit::per_minute(60)));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }
    /// Paces the requests whose path starts with `prefix` (`"*"`: every path no other
    /// surface claims) together under `limit` (`None`: learned from the server), with one
    /// limiter per key, whatever the client's `rate_limit` is. Replaces the profile's
    /// surface of the same prefix. Python: `surfaces={"/v1/keys": "180/min", "*": "500/min"}`.
    ///
    /// ```
    /// use surefoot::RateLimit;
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .surface("/v1/keys", Some(RateLimit::per_minute(180)))
    ///     .surface("*", Some(RateLimit::per_minute(500)))
    ///     .build()?;
    /// assert_eq!(client.rate_limit_for("/v1/keys/k1"), Some(RateLimit::per_minute(180)));
    /// assert_eq!(client.rate_limit_for("/v1/things"), Some(RateLimit::per_minute(500)));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn surface(self, prefix: impl Into<String>, limit: Option<RateLimit>) -> Self {
        self.apply(
            "surfaces",
            Settings::set_surfaces,
            OptionValue::Map(vec![(prefix.into(), limit.into())]),
        )
    }
    /// Where this API's error bodies carry the code, message and request id, replacing the
    /// profile's hints (the generic profile has none; the general decoding still fills in
    /// what a hint does not find). Python `error_shape={"code": "/errors/0/reason", ...}`,
    /// C `sf_client_options_add_error_hint`.
    ///
    /// ```
    /// use surefoot::error::ErrorShape;
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .error_shape(ErrorShape::new().code("/errors/0/reason").message("/errors/0/text"))
    ///     .build()?;
    /// assert!(!client.profile().error_shape().is_empty());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn error_shape(mut self, shape: ErrorShape) -> Self {
        self.settings.error_shape = Some(shape);
        self
    }
    /// The API's base URL, e.g. `https://api.example.com` (a path prefix is kept).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.apply("base_url", Settings::set_base_url, url.into())
    }
    /// The API key, sent only as `Authorization: Bearer <key>`.
    pub fn api_key(self, key: impl Into<String>) -> Self {
        self.apply("api_key", Settings::set_api_key, key.into())
    }
    /// Retries after the first attempt (default 3; 0 disables retries, and with them the
    /// outage hold: such a client fails fast instead of waiting for a host to recover).
    pub fn max_retries(self, n: u32) -> Self {
        self.apply("max_retries", Settings::set_max_retries, n)
    }
    /// Timeout of one attempt, from sending to the end of the body (default 60 s; more
    /// than 0, at most 365 days).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.apply("timeout", Settings::set_timeout, timeout)
    }
    /// No per-attempt timeout (the deadline, if any, still applies).
    pub fn no_timeout(self) -> Self {
        self.apply("timeout", Settings::set_timeout, OptionValue::None)
    }
    /// Timeout of establishing one connection (default 10 s; more than 0, at most 365
    /// days; there is no "none").
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.apply("connect_timeout", Settings::set_connect_timeout, timeout)
    }
    /// One total deadline for a call: every attempt, backoff and pacing wait together
    /// (default none; more than 0, at most 365 days).
    pub fn deadline(self, deadline: Duration) -> Self {
        self.apply("deadline", Settings::set_deadline, deadline)
    }
    /// The longest single wait the client accepts (default 60 s). A server asking for more
    /// (say a daily cap's `Retry-After` of hours) fails the call at once, with
    /// [`Error::retry_after`] set. 0 makes every wait fail at once; at most 365 days.
    pub fn max_retry_wait(self, wait: Duration) -> Self {
        self.apply("max_retry_wait", Settings::set_max_retry_wait, wait)
    }
    /// The backoff between retries when the server gives no `Retry-After`:
    /// `min(cap, base · 2^n)` scaled by a random factor in [0.5, 1]. Default 1 s and 20 s;
    /// both more than 0 and at most 365 days, the base not above the cap.
    pub fn backoff(self, base: Duration, cap: Duration) -> Self {
        self.apply(
            "backoff",
            Settings::set_backoff,
            OptionValue::List(vec![base.into(), cap.into()]),
        )
    }
    /// The key's rate limit on the main surface. Default: the API's documented limits
    /// (Specala) or learning from the server's 429s.
    pub fn rate_limit(self, limit: RateLimit) -> Self {
        self.apply("rate_limit", Settings::set_rate_limit, limit)
    }
    /// Turns client-side pacing off entirely (429s are still retried).
    pub fn disable_pacing(self) -> Self {
        self.apply("pacing", Settings::set_pacing, false)
    }
    /// Keeps this client's pacing state in `store` instead of the process's in-memory one:
    /// every client, process and host using the same store and key then paces together.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let store = Arc::new(surefoot::pacing::MemoryStore::new());
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .pacing_store(store)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn pacing_store(mut self, store: Arc<dyn PacingStore>) -> Self {
        self.pacing_store = Some(StoreHandle(store));
        self
    }
    /// Keeps this client's pacing state in the store `url` names (checked by
    /// [`build`](ClientBuilder::build)): `redis://[:password@]host[:port][/db]` or
    /// `rediss://…` for Redis (options in the query: `prefix`, `timeout_ms`, `fail=closed`,
    /// `lease_ms`; see [`RedisStoreBuilder`](crate::pacing::RedisStoreBuilder)), `memory`
    /// for the in-process default. Clients of one process with the same URL share one
    /// connection. Without this or [`pacing_store`](ClientBuilder::pacing_store), the
    /// environment variable `SUREFOOT_PACING_STORE` is read (an empty one means none).
    ///
    /// ```
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .pacing_store_url("redis://127.0.0.1:6379/0")
    ///     .build()?;
    /// assert!(client.pacing_store().is_shared());
    /// let e = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .pacing_store_url("redis://:hunter2@127.0.0.1:6379/zero")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(e.code(), "invalid_request");
    /// assert!(!e.message().contains("hunter2"));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn pacing_store_url(mut self, url: impl Into<String>) -> Self {
        if let Err(e) = self.set_pacing_store(url.into().into()) {
            self.refused.get_or_insert(e.for_option("pacing_store"));
        }
        self
    }

    /// `pacing_store`: a store URL, checked by parsing only (nothing connects or is
    /// registered until [`build`](ClientBuilder::build)); none: the default.
    pub(crate) fn set_pacing_store(&mut self, v: OptionValue) -> Result<()> {
        match v {
            OptionValue::None => self.pacing_store_url = None,
            v => {
                let url = crate::config::options::text("pacing_store", v)?;
                pacing::check_store_url(&url)?;
                self.pacing_store = None;
                self.pacing_store_url = Some(StoreUrl(url));
            }
        }
        Ok(())
    }

    /// Applies one option's rule for chaining: a refused value is kept and reported by
    /// [`build`](ClientBuilder::build) (the first one refused).
    fn apply(mut self, name: &str, rule: Rule, value: impl Into<OptionValue>) -> Self {
        if let Err(e) = rule(&mut self.settings, value.into()) {
            self.refused.get_or_insert(e.for_option(name));
        }
        self
    }
    /// Caps the concurrent realtime sessions this key may hold (PyAI); extra `open` calls
    /// wait for a slot instead of failing. Default: no cap; 0 is refused (an SDK that
    /// could never open a session is a mistake, not a setting).
    pub fn max_concurrent_sessions(self, n: usize) -> Self {
        self.apply(
            "max_concurrent_sessions",
            Settings::set_max_concurrent_sessions,
            n,
        )
    }
    /// Allows plain `http://` to hosts other than loopback (off by default).
    pub fn allow_insecure_http(self, allow: bool) -> Self {
        self.apply(
            "allow_insecure_http",
            Settings::set_allow_insecure_http,
            allow,
        )
    }
    /// A header sent with every request.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let value = OptionValue::Text(value.into());
        self.apply(
            "headers",
            Settings::set_headers,
            OptionValue::Map(vec![(name.into(), value)]),
        )
    }
    /// The `User-Agent` (default `surefoot/<version>`; an empty or blank one is refused).
    pub fn user_agent(self, ua: impl Into<String>) -> Self {
        self.apply("user_agent", Settings::set_user_agent, ua.into())
    }
    /// A PEM file of the certificate authorities HTTPS trusts, instead of the Mozilla roots
    /// surefoot carries (a private CA, or a proxy's that inspects TLS). Read when set: a
    /// missing file, one without a certificate or with one that does not parse is refused
    /// (at [`build`](Self::build)), naming `ca_file` and the file.
    pub fn ca_file(self, path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref().to_string_lossy().into_owned();
        self.apply("ca_file", Settings::set_ca_file, path)
    }
    /// The largest response body kept in memory (default 64 MiB); larger answers fail with
    /// code `response_too_large`. 0 is refused.
    pub fn max_response_bytes(self, n: usize) -> Self {
        self.apply("max_response_bytes", Settings::set_max_response_bytes, n)
    }
    /// Fetch the next page of a list while the caller consumes the current one.
    pub fn prefetch(self, prefetch: bool) -> Self {
        self.apply("prefetch", Settings::set_prefetch, prefetch)
    }
    /// Adds a retry classifier that speaks before the built-in ones (see
    /// [`crate::retry::classify`]); classifiers added later speak before those added
    /// earlier. Its [`RetryAction::NoOpinion`](crate::retry::RetryAction::NoOpinion)
    /// leaves the decision to the next one.
    ///
    /// ```
    /// use surefoot::retry::{RetryAction, RetryClassifier, RetryContext};
    /// #[derive(Debug)]
    /// struct RetryLocked;
    /// impl RetryClassifier for RetryLocked {
    ///     fn name(&self) -> &'static str { "locked" }
    ///     fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
    ///         if ctx.error.status() == Some(423) { RetryAction::Retry } else { RetryAction::NoOpinion }
    ///     }
    /// }
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .retry_classifier(RetryLocked)
    ///     .build()?;
    /// assert_eq!(client.retry_classifiers().names()[0], "locked");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn retry_classifier(mut self, classifier: impl RetryClassifier) -> Self {
        self.classifiers.push(Arc::new(classifier));
        self
    }
    /// Replaces the backoff used when the server gives no `Retry-After` (default: the
    /// exponential backoff of [`backoff`](ClientBuilder::backoff)). Its waits are still
    /// bounded by `max_retry_wait` and the deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// #[derive(Debug)]
    /// struct Constant(Duration);
    /// impl surefoot::retry::BackoffStrategy for Constant {
    ///     fn delay(&self, _: u32, _: &surefoot::Error, _: f64) -> Duration { self.0 }
    /// }
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .backoff_strategy(Constant(Duration::from_millis(250)))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn backoff_strategy(mut self, strategy: impl BackoffStrategy) -> Self {
        self.backoff_strategy = Some(Arc::new(strategy));
        self
    }
    /// The size and prices of the retry budget of this client's key and host (default:
    /// 500 tokens, 5 a retry, 10 a retry after a timeout, 1 back per success; see
    /// [`crate::retry::budget`]). A `capacity` of 0 refuses every retry.
    ///
    /// ```
    /// let client = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .retry_budget(surefoot::retry::RetryBudget { capacity: 50, ..Default::default() })
    ///     .build()?;
    /// assert_eq!(client.retry_budget().capacity, 50);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Maps an endpoint of the typed clients to another path, for servers whose paths
    /// differ from the ones surefoot guessed (see [`crate::config::endpoints::ENDPOINTS`] for the
    /// names and defaults). The template starts with `/` and holds `{id}` where the default
    /// does; an unknown name or a bad template fails [`build`](Self::build).
    ///
    /// ```
    /// let client = surefoot::pyai::Client::builder()
    ///     .api_key("pyai_sk_test_0123456789")
    ///     .path("pyai.jobs", "/v2/audio/jobs")
    ///     .path("pyai.job", "/v2/audio/jobs/{id}")
    ///     .build_pyai()?;
    /// # let _ = client;
    /// let e = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .path("pyai.job", "/v2/audio/jobs")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(e.message(), "path for pyai.job must contain {id} once (got \"/v2/audio/jobs\")");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn path(self, endpoint: impl Into<String>, template: impl Into<String>) -> Self {
        let template = OptionValue::Text(template.into());
        self.apply(
            "paths",
            Settings::set_paths,
            OptionValue::Map(vec![(endpoint.into(), template)]),
        )
    }

    /// Says the server calls the member surefoot reads as `field` (see
    /// [`crate::config::fields::FIELDS`]) `server_name` instead: `created` for `created_at`, `items`
    /// for the list envelope's `data`. Applies to the top level of every JSON answer and to
    /// the objects of its `data` array; an unknown `field` or an empty name fails
    /// [`build`](Self::build).
    ///
    /// ```
    /// let client = surefoot::pyai::Client::builder()
    ///     .api_key("pyai_sk_test_0123456789")
    ///     .field("created_at", "created")
    ///     .field("data", "items")
    ///     .build_pyai()?;
    /// # let _ = client;
    /// let e = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .field("createdAt", "created")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(e.message().starts_with("unknown field \"createdAt\""));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn field(self, field: impl Into<String>, server_name: impl Into<String>) -> Self {
        let name = OptionValue::Text(server_name.into());
        self.apply(
            "fields",
            Settings::set_fields,
            OptionValue::Map(vec![(field.into(), name)]),
        )
    }

    /// Checks every setting and builds the client. Nothing is sent.
    ///
    /// Errors (code `invalid_request`): a missing or malformed base URL, plain HTTP to a
    /// non-loopback host, a key that is empty or has whitespace or control characters, a key
    /// inside the URL, a malformed header.
    pub fn build(self) -> Result<Client> {
        if let Some(e) = &self.refused {
            return Err(e.clone());
        }
        let profile = self.profile_in_force()?;
        let (base_url, api_key) = self.base_url_and_key(&profile)?;
        let s = &self.settings;
        let paths = crate::config::endpoints::Paths::new(&s.paths)?;
        let fields = crate::config::fields::FieldNames::new(&s.fields)?;
        let fields = (!fields.is_empty()).then(|| Arc::new(fields));
        let store = self.resolve_pacing_store()?;
        let (policy, classifiers, backoff) = self.retry_parts();
        let origin = base_url.origin().ascii_serialization();
        let key = api_key.as_ref().map(ApiKey::expose).unwrap_or("");
        let budget_key = pacing::key_name(key, &origin, "retry_budget");
        let outage_key = pacing::key_name(key, &origin, "outage");
        Ok(Client {
            inner: Arc::new(Inner {
                http: crate::client::http_stack::build_stack(&self.settings)?,
                hold: hold::for_host(&origin),
                base_url,
                // Made once, marked sensitive: the key's rule lets only header-safe keys in.
                authorization: api_key.as_ref().map(ApiKey::bearer_header),
                api_key,
                api: self.api,
                retry_budget: self.retry_budget,
                paths,
                fields,
                policy,
                classifiers,
                backoff,
                store,
                budget_key,
                outage_key,
                metrics: Arc::default(),
                pacers: profile.surfaces().iter().map(|_| OnceLock::new()).collect(),
                profile,
                settings: self.settings,
            }),
        })
    }

    /// The profile given (or the API's), with the client's own surfaces and error shape.
    fn profile_in_force(&self) -> Result<Profile> {
        let mut profile = self.profile.clone().unwrap_or_else(Profile::generic);
        for (prefix, limit) in &self.settings.surfaces {
            profile = profile.with_surface(prefix, *limit)?;
        }
        if let Some(shape) = &self.settings.error_shape {
            profile = profile.with_error_shape(shape.clone())?;
        }
        Ok(profile)
    }

    /// The base URL (given, else the profile's) checked with `allow_insecure_http`, and the
    /// key, required when the profile names a variable for it, never inside the URL.
    fn base_url_and_key(&self, profile: &Profile) -> Result<(Url, Option<ApiKey>)> {
        let s = &self.settings;
        let raw_url = match (&s.base_url, profile.base_url()) {
            (Some(u), _) => u.clone(),
            (None, Some(d)) => d.to_string(),
            (None, None) => {
                return Err(Error::invalid_because(
                    InvalidRequestReason::BaseUrl,
                    "base URL is required",
                ))
            }
        };
        let api_key = s.api_key.clone();
        if let (None, Some(var)) = (&api_key, profile.key_env()) {
            return Err(Error::invalid_because(
                InvalidRequestReason::ApiKeyMissing,
                format!("API key is missing: pass one or set {var}"),
            ));
        }
        let base_url = security::validate_base_url(&raw_url, s.allow_insecure_http)?;
        security::check_url_has_no_key(&base_url, api_key.as_ref().map(ApiKey::expose))?;
        Ok((base_url, api_key))
    }

    /// The retry policy, the classifiers (the caller's first, latest first) and the backoff.
    fn retry_parts(&self) -> (RetryPolicy, Classifiers, Arc<dyn BackoffStrategy>) {
        let s = &self.settings;
        let mut policy = RetryPolicy {
            max_retries: s.max_retries,
            max_retry_wait: s.max_retry_wait,
            ..RetryPolicy::default()
        };
        // Checked by the `backoff` rule (Settings::set_backoff).
        if let Some((base, cap)) = s.backoff {
            policy.base = base;
            policy.cap = cap;
        }
        let mut classifiers = Classifiers::default();
        for c in &self.classifiers {
            classifiers.push_front(c.clone());
        }
        let backoff: Arc<dyn BackoffStrategy> = match &self.backoff_strategy {
            Some(b) => b.clone(),
            None => Arc::new(policy.exponential_backoff()),
        };
        (policy, classifiers, backoff)
    }

    /// The store given, else the one the URL (given, else `SUREFOOT_PACING_STORE`)
    /// names, else the process's in-memory one.
    fn resolve_pacing_store(&self) -> Result<Arc<dyn PacingStore>> {
        if let Some(StoreHandle(store)) = &self.pacing_store {
            return Ok(store.clone());
        }
        let url = match &self.pacing_store_url {
            Some(StoreUrl(u)) => Some(u.clone()),
            None => std::env::var(PACING_STORE_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty()),
        };
        // The only place a store is made (and, for Redis, registered process-wide):
        // the option's rule only parsed the URL.
        match url {
            Some(u) => pacing::store_from_url(&u),
            None => Ok(pacing::default_store()),
        }
    }
}

impl Client {
    /// A builder with the defaults (3 retries, 60 s timeout, no deadline, pacing on).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// The environment variable a client reads its pacing store URL from when none is
/// given (`redis://host:6379/0`; see [`ClientBuilder::pacing_store_url`]).
///
/// ```
/// assert_eq!(surefoot::PACING_STORE_ENV, "SUREFOOT_PACING_STORE");
/// ```
pub const PACING_STORE_ENV: &str = "SUREFOOT_PACING_STORE";
