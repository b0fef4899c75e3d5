//! [`Settings`]: every client option that is a plain value, each with its one rule next to
//! it. A setter takes an [`OptionValue`] from any surface (the Rust builder method, the C
//! setter, the Python keyword, [`crate::ClientBuilder::set`] by name), checks it by the
//! option's rule and stores it, or leaves the settings unchanged and returns the
//! `invalid_request` error. Nothing here connects, registers or reads the environment:
//! validation only parses (and reads the file `ca_file` names). The built client keeps
//! these settings, checked.

use std::time::Duration;

use super::options::{
    count, duration, invalid, rate_limit, shown_secs, string_pairs, switch, text, OptionValue,
    OPTIONS,
};
use crate::config::ca::CaFile;
use crate::config::key::ApiKey;
use crate::config::rate_limit::RateLimit;
use crate::error::{ErrorShape, Result};

/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default longest single wait (backoff or `Retry-After`) a client accepts before failing at once.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Default cap on a response body kept in memory (successful responses).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Retries after the first attempt unless configured otherwise (so 4 attempts in all).
///
/// ```
/// assert_eq!(surefoot::retry::RetryPolicy::default().max_retries, surefoot::retry::DEFAULT_MAX_RETRIES);
/// ```
pub const DEFAULT_MAX_RETRIES: u32 = 3;

const MAX_U32: u64 = u32::MAX as u64;

/// The checked value of every plain option (see the module).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) base_url: Option<String>,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) max_retries: u32,
    pub(crate) timeout: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retry_wait: Duration,
    pub(crate) backoff: Option<(Duration, Duration)>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) pacing: bool,
    pub(crate) max_concurrent_sessions: Option<usize>,
    pub(crate) allow_insecure_http: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) user_agent: Option<String>,
    pub(crate) ca_file: Option<CaFile>,
    pub(crate) max_response_bytes: usize,
    pub(crate) prefetch: bool,
    pub(crate) paths: Vec<(String, String)>,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) surfaces: Vec<(String, Option<RateLimit>)>,
    pub(crate) error_shape: Option<ErrorShape>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_url: None,
            api_key: None,
            max_retries: DEFAULT_MAX_RETRIES,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Duration::from_secs(10),
            deadline: None,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            backoff: None,
            rate_limit: None,
            pacing: true,
            max_concurrent_sessions: None,
            allow_insecure_http: false,
            headers: Vec::new(),
            user_agent: None,
            ca_file: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            prefetch: false,
            paths: Vec::new(),
            fields: Vec::new(),
            surfaces: Vec::new(),
            error_shape: None,
        }
    }
}

/// One option's rule: check `value` and store it.
pub(crate) type Rule = fn(&mut Settings, OptionValue) -> Result<()>;

impl Settings {
    /// The rule of option `name` (`None`: not a plain option of these settings).
    pub(crate) fn rule(name: &str) -> Option<Rule> {
        Some(match name {
            "base_url" => Settings::set_base_url,
            "api_key" => Settings::set_api_key,
            "max_retries" => Settings::set_max_retries,
            "timeout" => Settings::set_timeout,
            "connect_timeout" => Settings::set_connect_timeout,
            "deadline" => Settings::set_deadline,
            "max_retry_wait" => Settings::set_max_retry_wait,
            "backoff" => Settings::set_backoff,
            "rate_limit" => Settings::set_rate_limit,
            "pacing" => Settings::set_pacing,
            "max_concurrent_sessions" => Settings::set_max_concurrent_sessions,
            "allow_insecure_http" => Settings::set_allow_insecure_http,
            "headers" => Settings::set_headers,
            "user_agent" => Settings::set_user_agent,
            "ca_file" => Settings::set_ca_file,
            "max_response_bytes" => Settings::set_max_response_bytes,
            "prefetch" => Settings::set_prefetch,
            "paths" => Settings::set_paths,
            "fields" => Settings::set_fields,
            "surfaces" => Settings::set_surfaces,
            "error_shape" => Settings::set_error_shape,
            _ => return None,
        })
    }

    /// The error for a name no rule knows.
    pub(crate) fn unknown(name: &str) -> crate::Error {
        let shown: String = name.chars().take(64).collect();
        crate::Error::invalid_because(
            crate::error::InvalidRequestReason::UnknownOption,
            format!(
                "unknown option {shown:?}; the options are: {}",
                OPTIONS.join(", ")
            ),
        )
    }

    /// `base_url`: a non-blank string (checked as a URL by `build`, with
    /// `allow_insecure_http`); none: the profile's default.
    pub(crate) fn set_base_url(&mut self, v: OptionValue) -> Result<()> {
        self.base_url = match v {
            OptionValue::None => None,
            v => {
                let url = text("base_url", v)?;
                if url.trim().is_empty() {
                    return Err(invalid("base_url must not be empty or blank".to_owned()));
                }
                Some(url)
            }
        };
        Ok(())
    }

    /// `api_key`: checked by [`ApiKey::new`] (whitespace, line breaks, control characters).
    pub(crate) fn set_api_key(&mut self, v: OptionValue) -> Result<()> {
        self.api_key = match v {
            OptionValue::None => None,
            v => Some(ApiKey::new(text("api_key", v)?)?),
        };
        Ok(())
    }

    /// `max_retries`: 0 to 4294967295 (0: no retries).
    pub(crate) fn set_max_retries(&mut self, v: OptionValue) -> Result<()> {
        self.max_retries = count("max_retries", v, 0, MAX_U32, None)?.unwrap_or(0) as u32;
        Ok(())
    }

    /// `timeout`: more than 0, at most 365 days; none: no per-attempt timeout.
    pub(crate) fn set_timeout(&mut self, v: OptionValue) -> Result<()> {
        self.timeout = duration("timeout", v, Some("no timeout"), false)?;
        Ok(())
    }

    /// `connect_timeout`: more than 0, at most 365 days; never none.
    pub(crate) fn set_connect_timeout(&mut self, v: OptionValue) -> Result<()> {
        self.connect_timeout = duration("connect_timeout", v, None, false)?.unwrap_or_default();
        Ok(())
    }

    /// `deadline`: more than 0, at most 365 days; none: no deadline.
    pub(crate) fn set_deadline(&mut self, v: OptionValue) -> Result<()> {
        self.deadline = duration("deadline", v, Some("no deadline"), false)?;
        Ok(())
    }

    /// `max_retry_wait`: 0 (every wait fails at once) to 365 days; never none.
    pub(crate) fn set_max_retry_wait(&mut self, v: OptionValue) -> Result<()> {
        self.max_retry_wait = duration("max_retry_wait", v, None, true)?.unwrap_or_default();
        Ok(())
    }

    /// `backoff`: (base, cap), both more than 0 and at most 365 days, base not above cap;
    /// none: the default 1 s, 20 s.
    pub(crate) fn set_backoff(&mut self, v: OptionValue) -> Result<()> {
        self.backoff = match v {
            OptionValue::None => None,
            OptionValue::List(parts) if parts.len() == 2 => {
                let mut parts = parts.into_iter();
                let mut part = |what| {
                    let v = parts.next().unwrap_or(OptionValue::None);
                    duration(what, v, None, false).map(Option::unwrap_or_default)
                };
                let (base, cap) = (part("backoff base")?, part("backoff cap")?);
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
        Ok(())
    }

    /// `rate_limit`: see [`rate_limit`]; none: documented or learned.
    pub(crate) fn set_rate_limit(&mut self, v: OptionValue) -> Result<()> {
        self.rate_limit = rate_limit("rate_limit", v)?;
        Ok(())
    }

    /// `pacing`: true or false.
    pub(crate) fn set_pacing(&mut self, v: OptionValue) -> Result<()> {
        self.pacing = switch("pacing", v)?;
        Ok(())
    }

    /// `max_concurrent_sessions`: 1 to 4294967295; none: no cap.
    pub(crate) fn set_max_concurrent_sessions(&mut self, v: OptionValue) -> Result<()> {
        let n = count("max_concurrent_sessions", v, 1, MAX_U32, Some("no cap"))?;
        self.max_concurrent_sessions = n.map(|n| n as usize);
        Ok(())
    }

    /// `allow_insecure_http`: true or false.
    pub(crate) fn set_allow_insecure_http(&mut self, v: OptionValue) -> Result<()> {
        self.allow_insecure_http = switch("allow_insecure_http", v)?;
        Ok(())
    }

    /// `headers`: name → value, each a valid header (not `Authorization`); adds up.
    pub(crate) fn set_headers(&mut self, v: OptionValue) -> Result<()> {
        let pairs = string_pairs("headers", v)?;
        crate::config::http::header_map(&pairs)?;
        self.headers.extend(pairs);
        Ok(())
    }

    /// `user_agent`: a non-blank header value; none: `surefoot/<version>`.
    pub(crate) fn set_user_agent(&mut self, v: OptionValue) -> Result<()> {
        self.user_agent = match v {
            OptionValue::None => None,
            v => {
                let ua = text("user_agent", v)?;
                if ua.trim().is_empty() {
                    return Err(invalid(
                        "user_agent must not be empty or blank, or none for the default".to_owned(),
                    ));
                }
                if http::HeaderValue::from_str(&ua).is_err() {
                    return Err(invalid(
                        "user_agent is not a valid header value (control characters?)".to_owned(),
                    ));
                }
                Some(ua)
            }
        };
        Ok(())
    }

    /// `ca_file`: a PEM file of the certificate authorities HTTPS trusts (read now, see
    /// [`crate::config::ca`]); none: the Mozilla roots surefoot carries.
    pub(crate) fn set_ca_file(&mut self, v: OptionValue) -> Result<()> {
        self.ca_file = match v {
            OptionValue::None => None,
            v => {
                let path = text("ca_file", v)?;
                if path.trim().is_empty() {
                    return Err(invalid(
                        "ca_file must not be empty or blank, or none for the Mozilla roots"
                            .to_owned(),
                    ));
                }
                Some(CaFile::read(path)?)
            }
        };
        Ok(())
    }

    /// `max_response_bytes`: 1 to 2^63−1.
    pub(crate) fn set_max_response_bytes(&mut self, v: OptionValue) -> Result<()> {
        let n = count("max_response_bytes", v, 1, i64::MAX as u64, None)?;
        self.max_response_bytes = n.unwrap_or(1) as usize;
        Ok(())
    }

    /// `prefetch`: true or false.
    pub(crate) fn set_prefetch(&mut self, v: OptionValue) -> Result<()> {
        self.prefetch = switch("prefetch", v)?;
        Ok(())
    }

    /// `paths`: endpoint name → template (see [`crate::endpoints`]); adds up.
    pub(crate) fn set_paths(&mut self, v: OptionValue) -> Result<()> {
        let pairs = string_pairs("paths", v)?;
        crate::config::endpoints::Paths::new(&pairs)?;
        self.paths.extend(pairs);
        Ok(())
    }

    /// `fields`: field → the server's name for it (see [`crate::fields`]); adds up.
    pub(crate) fn set_fields(&mut self, v: OptionValue) -> Result<()> {
        let pairs = string_pairs("fields", v)?;
        crate::config::fields::FieldNames::new(&pairs)?;
        self.fields.extend(pairs);
        Ok(())
    }

    /// `surfaces`: path prefix → rate limit (none: learned); adds up.
    pub(crate) fn set_surfaces(&mut self, v: OptionValue) -> Result<()> {
        let members = match v {
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
        Ok(())
    }

    /// `error_shape`: part → JSON Pointer or header name (or a list of them); hints add
    /// up (C gives them one `sf_client_options_add_error_hint` at a time); none: clear.
    pub(crate) fn set_error_shape(&mut self, v: OptionValue) -> Result<()> {
        let parts = match v {
            OptionValue::None => {
                self.error_shape = None;
                return Ok(());
            }
            OptionValue::Map(parts) => parts,
            other => {
                return Err(invalid(format!(
                    "error_shape must be a mapping of part (\"code\", \"message\", \"request_id\", \"request_id_header\") to a JSON Pointer or header name, or a list of them (got {})",
                    other.kind()
                )))
            }
        };
        let mut shape = self.error_shape.clone().unwrap_or_default();
        for (part, at) in parts {
            let what = format!("error_shape {part:?}");
            let places = match at {
                OptionValue::List(items) => items
                    .into_iter()
                    .map(|v| text(&what, v))
                    .collect::<Result<Vec<_>>>()?,
                v => vec![text(&what, v)?],
            };
            for at in places {
                shape = shape.hint(&part, &at);
            }
        }
        shape.check()?;
        self.error_shape = Some(shape);
        Ok(())
    }
}
