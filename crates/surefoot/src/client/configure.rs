//! The builder's options by name: [`ClientBuilder::set`] applies one option's rule from
//! [`crate::config::options`], [`ClientBuilder::from_env`] fills what the environment gives, and
//! [`Client::describe_option`] shows the value in force as text.

use std::time::Duration;

use crate::client::handle::{Client, ClientBuilder, StoreUrl};
use crate::config::options::*;
use crate::error::Result;
use crate::pacing;

impl ClientBuilder {
    /// Sets the option `name` (one of [`OPTIONS`]) to `value`, checked at once by the
    /// option's rule (see the [module](self) for the edges): a refused value leaves the
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
        let max_u32 = u64::from(u32::MAX);
        match name {
            "base_url" => match value {
                OptionValue::None => self.base_url = None,
                v => {
                    let url = text("base_url", v)?;
                    if url.trim().is_empty() {
                        return Err(invalid("base_url must not be empty or blank".to_owned()));
                    }
                    self.base_url = Some(url);
                }
            },
            "api_key" => match value {
                OptionValue::None => self.api_key = None,
                v => self.api_key = Some(crate::config::key::ApiKey::new(text("api_key", v)?)?),
            },
            "max_retries" => {
                self.max_retries = count(name, value, 0, max_u32, None)?.unwrap_or(0) as u32;
            }
            "timeout" => self.timeout = duration(name, value, Some("no timeout"), false)?,
            "connect_timeout" => {
                self.connect_timeout = duration(name, value, None, false)?.unwrap_or_default();
            }
            "deadline" => self.deadline = duration(name, value, Some("no deadline"), false)?,
            "max_retry_wait" => {
                self.max_retry_wait = duration(name, value, None, true)?.unwrap_or_default();
            }
            "backoff" => {
                self.backoff = match value {
                    OptionValue::None => None,
                    OptionValue::List(parts) if parts.len() == 2 => {
                        let mut parts = parts.into_iter();
                        let base = duration("backoff base", parts.next().unwrap_or(OptionValue::None), None, false)?
                            .unwrap_or_default();
                        let cap = duration("backoff cap", parts.next().unwrap_or(OptionValue::None), None, false)?
                            .unwrap_or_default();
                        if cap < base {
                            return Err(invalid(format!(
                                "backoff cap must not be below its base (got base {} s, cap {} s)",
                                shown_secs(base.as_secs_f64()),
                                shown_secs(cap.as_secs_f64())
                            )));
                        }
                        Some((base, cap))
                    }
                    other => {
                        return Err(invalid(format!(
                            "backoff must be a (base, cap) pair of seconds, or none for the default (got {})",
                            other.kind()
                        )))
                    }
                };
            }
            "rate_limit" => self.rate_limit = rate_limit(name, value)?,
            "pacing" => self.pacing = switch(name, value)?,
            "pacing_store" => match value {
                OptionValue::None => self.pacing_store_url = None,
                v => {
                    let url = text(name, v)?;
                    pacing::store_from_url(&url)?;
                    self.pacing_store = None;
                    self.pacing_store_url = Some(StoreUrl(url));
                }
            },
            "max_concurrent_sessions" => {
                self.max_concurrent_sessions =
                    count(name, value, 1, max_u32, Some("no cap"))?.map(|n| n as usize);
            }
            "allow_insecure_http" => self.allow_insecure_http = switch(name, value)?,
            "headers" => {
                let pairs = string_pairs(name, value)?;
                crate::config::http::header_map(&pairs)?;
                self.headers.extend(pairs);
            }
            "user_agent" => match value {
                OptionValue::None => self.user_agent = None,
                v => {
                    let ua = text(name, v)?;
                    if ua.trim().is_empty() {
                        return Err(invalid(
                            "user_agent must not be empty or blank, or none for the default"
                                .to_owned(),
                        ));
                    }
                    if http::HeaderValue::from_str(&ua).is_err() {
                        return Err(invalid(
                            "user_agent is not a valid header value (control characters?)"
                                .to_owned(),
                        ));
                    }
                    self.user_agent = Some(ua);
                }
            },
            "max_response_bytes" => {
                self.max_response_bytes =
                    count(name, value, 1, i64::MAX as u64, None)?.unwrap_or(1) as usize;
            }
            "prefetch" => self.prefetch = switch(name, value)?,
            "paths" => {
                let pairs = string_pairs(name, value)?;
                crate::config::endpoints::Paths::new(&pairs)?;
                self.paths.extend(pairs);
            }
            "fields" => {
                let pairs = string_pairs(name, value)?;
                crate::config::fields::FieldNames::new(&pairs)?;
                self.fields.extend(pairs);
            }
            "surfaces" => {
                let members = match value {
                    OptionValue::Map(m) => m,
                    other => {
                        return Err(invalid(format!(
                            "surfaces must be a mapping of path prefix to a rate limit (\"500/min\", or none to learn it) (got {})",
                            other.kind()
                        )))
                    }
                };
                let mut checked = Vec::new();
                for (prefix, limit) in members {
                    let limit = rate_limit(&format!("surface {prefix:?}"), limit)?;
                    crate::config::profile::Profile::generic().with_surface(&prefix, limit)?;
                    checked.push((prefix, limit));
                }
                self.surfaces.extend(checked);
            }
            "error_shape" => match value {
                OptionValue::None => self.error_shape = None,
                OptionValue::Map(parts) => {
                    // Hints add up (C gives them one `sf_client_options_add_error_hint` at a
                    // time); a part may name several places, tried in order.
                    let mut shape = self.error_shape.take().unwrap_or_default();
                    for (part, at) in parts {
                        let places = match at {
                            OptionValue::List(items) => items
                                .into_iter()
                                .map(|v| text(&format!("error_shape {part:?}"), v))
                                .collect::<Result<Vec<_>>>()?,
                            v => vec![text(&format!("error_shape {part:?}"), v)?],
                        };
                        for at in places {
                            shape = shape.hint(&part, &at);
                        }
                    }
                    shape.check()?;
                    self.error_shape = Some(shape);
                }
                other => {
                    return Err(invalid(format!(
                        "error_shape must be a mapping of part (\"code\", \"message\", \"request_id\", \"request_id_header\") to a JSON Pointer or header name, or a list of them (got {})",
                        other.kind()
                    )))
                }
            },
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(invalid(format!(
                    "unknown option {shown:?}; the options are: {}",
                    OPTIONS.join(", ")
                )));
            }
        }
        Ok(())
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
    /// // A doc test owns its process: setting variables here touches no other test.
    /// std::env::set_var("PYAI_BASE_URL", "http://127.0.0.1:9");
    /// std::env::set_var("PYAI_API_KEY", "pyai_sk_env_0123456789");
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
        if b.api_key.is_none() {
            if let Some(key) = read(profile.key_env()) {
                b = b.with_option("api_key", key);
            }
        }
        if b.base_url.is_none() {
            if let Some(url) = read(profile.base_url_env()) {
                b = b.with_option("base_url", url);
            }
        }
        b
    }
}

fn secs_text(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

impl Client {
    /// The value in force for option `name` (one of [`OPTIONS`]) as text, for logs and
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
        let c = &self.inner.config;
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
