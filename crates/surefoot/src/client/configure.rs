//! The builder's options by name: [`ClientBuilder::set`] applies one option's rule from
//! [`crate::config::options`], [`ClientBuilder::from_env`] fills what the environment gives, and
//! [`Client::describe_option`] shows the value in force as text.

use std::time::Duration;

use crate::client::builder::ClientBuilder;
use crate::client::handle::Client;
use crate::config::options::OptionValue;
use crate::config::settings::Settings;
use crate::error::Result;

impl ClientBuilder {
    /// Sets the option `name` (one of [`OPTIONS`](crate::options::OPTIONS)) to `value`, checked at once by the
    /// option's rule (see the [module](crate::options) for the edges): a refused value leaves the
    /// builder unchanged and returns an `invalid_request` error. Mappings (`headers`,
    /// `paths`, `fields`, `surfaces`) add to what was set before. What needs the whole
    /// configuration (a base URL with `allow_insecure_http`, a key inside the URL) is
    /// checked by [`build`](ClientBuilder::build).
    ///
    /// ```
    /// use surefoot::options::OptionValue;
    /// let mut b = surefoot::Client::builder().base_url("http://127.0.0.1:9");
    /// b.set("timeout", OptionValue::Float(2.5))?;
    /// let e = b.set("max_concurrent_sessions", OptionValue::Int(0)).unwrap_err();
    /// assert_eq!(e.message(), "max_concurrent_sessions must be between 1 and 4294967295, or none for no cap (got 0)");
    /// let e = b.set("retries", OptionValue::Int(3)).unwrap_err();
    /// assert!(e.message().starts_with("unknown option \"retries\""));
    /// let client = b.build()?;
    /// assert_eq!(client.describe_option("timeout").as_deref(), Some("2.5 s"));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        let result = match (name, Settings::rule(name)) {
            ("pacing_store", _) => self.set_pacing_store(value),
            (_, Some(rule)) => rule(&mut self.settings, value),
            (_, None) => return Err(Settings::unknown(name)),
        };
        result.map_err(|e| e.for_option(name))
    }

    /// [`set`](ClientBuilder::set) for chaining: a refused value is kept and reported by
    /// [`build`](ClientBuilder::build) (the first one refused).
    ///
    /// ```
    /// let e = surefoot::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .with_option("max_retries", -1)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(e.message(), "max_retries must be between 0 and 4294967295 (got -1)");
    /// ```
    pub fn with_option(mut self, name: &str, value: impl Into<OptionValue>) -> Self {
        if let Err(e) = self.set(name, value.into()) {
            self.refused.get_or_insert(e);
        }
        self
    }

    /// Fills what was not given from the environment, the same way in Rust, C and Python:
    /// the key from the profile's key variable (`SPECALA_API_KEY`, `PYAI_API_KEY`), the
    /// base URL from its base-URL variable (`SPECALA_BASE_URL`, `PYAI_BASE_URL`). A variable
    /// that is unset, empty or blank counts as not set; a key read with stray whitespace is
    /// refused like any other (its text never shown). The pacing store's variable,
    /// [`PACING_STORE_ENV`](crate::PACING_STORE_ENV), is read by `build` whenever no store
    /// was given. C's `sf_client_new` and the Python constructors call this; in Rust,
    /// `specala::Client::from_env` and `pyai::Client::from_env` do.
    ///
    /// ```
    /// // SAFETY: a doc test runs in a process of its own, and no other thread of it reads
    /// // the environment yet.
    /// unsafe {
    ///     std::env::set_var("PYAI_BASE_URL", "http://127.0.0.1:9");
    ///     std::env::set_var("PYAI_API_KEY", "pyai_sk_env_0123456789");
    /// }
    /// let client = surefoot::pyai::Client::builder().from_env().build_pyai()?;
    /// assert_eq!(client.client().base_url().as_str(), "http://127.0.0.1:9/");
    /// assert_eq!(client.client().describe_option("api_key").as_deref(), Some("pya…6789"));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn from_env(self) -> Self {
        let profile = self
            .profile
            .clone()
            .unwrap_or_else(crate::config::profile::Profile::generic);
        let read = |var: Option<&str>| {
            var.and_then(|v| std::env::var(v).ok())
                .filter(|value| !value.trim().is_empty())
        };
        let mut b = self;
        if b.settings.api_key.is_none()
            && let Some(key) = read(profile.key_env())
        {
            b = b.with_option("api_key", key);
        }
        if b.settings.base_url.is_none()
            && let Some(url) = read(profile.base_url_env())
        {
            b = b.with_option("base_url", url);
        }
        b
    }
}

fn secs_text(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

impl Client {
    /// The value in force for option `name` (one of [`OPTIONS`](crate::options::OPTIONS)) as text, for logs and
    /// for the option vectors every surface runs: durations as `"2.5 s"` (`"none"`), counts
    /// as numbers (`max_concurrent_sessions`: `"no cap"`), switches as `"true"`/`"false"`,
    /// `backoff` as `"base 1 s, cap 20 s"`, `rate_limit` as `"20/s burst 5"` (`"none"`:
    /// the API's documented limits or learned), the key masked, mappings as `k=v` joined by
    /// `", "` (`"none"` when empty). `None` for an unknown name.
    ///
    /// ```
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build()?;
    /// assert_eq!(client.describe_option("timeout").as_deref(), Some("60 s"));
    /// assert_eq!(client.describe_option("max_concurrent_sessions").as_deref(), Some("no cap"));
    /// assert_eq!(client.describe_option("api_key").as_deref(), Some("none"));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn describe_option(&self, name: &str) -> Option<String> {
        let c = &self.inner.settings;
        let none = || "none".to_owned();
        let pairs = |p: &[(String, String)]| {
            if p.is_empty() {
                none()
            } else {
                p.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        Some(match name {
            "base_url" => self.base_url().to_string(),
            "api_key" => self
                .inner
                .api_key
                .as_ref()
                .map_or_else(none, |k| k.masked()),
            "max_retries" => c.max_retries.to_string(),
            "timeout" => c.timeout.map_or_else(none, secs_text),
            "connect_timeout" => secs_text(c.connect_timeout),
            "deadline" => c.deadline.map_or_else(none, secs_text),
            "max_retry_wait" => secs_text(c.max_retry_wait),
            "backoff" => format!(
                "base {}, cap {}",
                secs_text(self.inner.policy.base),
                secs_text(self.inner.policy.cap)
            ),
            "rate_limit" => c.rate_limit.map_or_else(none, |l| l.to_string()),
            "pacing" => c.pacing.to_string(),
            "pacing_store" => self.inner.store.name(),
            "max_concurrent_sessions" => c
                .max_concurrent_sessions
                .map_or_else(|| "no cap".to_owned(), |n| n.to_string()),
            "allow_insecure_http" => c.allow_insecure_http.to_string(),
            "headers" => pairs(&c.headers),
            "user_agent" => c
                .user_agent
                .clone()
                .unwrap_or_else(|| format!("surefoot/{}", env!("CARGO_PKG_VERSION"))),
            "ca_file" => c
                .ca_file
                .as_ref()
                .map_or_else(|| "the Mozilla roots".to_owned(), |ca| ca.path().to_owned()),
            "max_response_bytes" => c.max_response_bytes.to_string(),
            "prefetch" => c.prefetch.to_string(),
            "paths" => pairs(&c.paths),
            "fields" => pairs(&c.fields),
            "error_shape" => {
                let shape = self.profile().error_shape();
                if shape.is_empty() {
                    none()
                } else {
                    format!("{shape:?}")
                }
            }
            "surfaces" => {
                if c.surfaces.is_empty() {
                    none()
                } else {
                    c.surfaces
                        .iter()
                        .map(|(p, l)| {
                            format!(
                                "{p}={}",
                                l.map_or_else(|| "learned".to_owned(), |l| l.to_string())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }
            _ => return None,
        })
    }
}
