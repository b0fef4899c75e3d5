//! API profiles: what the core knows of one API, in one value a client is built with — its
//! default base URL, the environment variables its key and base URL come from, its
//! rate-limit surfaces (path prefixes with their documented limits, each paced by its own
//! limiter per key), the range of its list `limit`, and where its error bodies carry the
//! code, message and request id ([`ErrorShape`]). Specala and PyAI define theirs in
//! their own modules ([`crate::specala::profile`], [`crate::pyai::profile`]); the generic
//! client starts from [`Profile::generic`], and any client can add surfaces of its own
//! ([`ClientBuilder::surface`](crate::ClientBuilder::surface), Python `surfaces={...}`, C
//! `sf_client_options_add_surface`).

use std::ops::RangeInclusive;

use crate::config::rate_limit::RateLimit;
use crate::error::{Error, ErrorShape, Result};

/// One rate-limit surface: the requests whose path starts with `prefix` (`"*"`: every other
/// path), paced together under `limit` by one limiter per key.
///
/// ```
/// let p = surefoot::specala::profile();
/// let keys = p.surface_for("/v1/keys/key_1");
/// assert_eq!((keys.name.as_str(), keys.limit), ("management", Some(surefoot::RateLimit::per_minute(180))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    /// The surface's name: part of its pacing key, and what `pacing()` reports.
    pub name: String,
    /// The path prefix (matched on segment boundaries), or `"*"`.
    pub prefix: String,
    /// The documented (or given) limit; `None` learns from the server.
    pub limit: Option<RateLimit>,
    /// A fixed limit is not replaced by the client's `rate_limit` (Specala's key
    /// management stays at 180/min whatever the data limit is set to).
    pub fixed: bool,
}

impl Surface {
    fn matches(&self, path: &str) -> bool {
        if self.prefix == "*" {
            return true;
        }
        let prefix = self.prefix.trim_end_matches('/');
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
    }
}

/// What the core knows of one API.
///
/// ```
/// use surefoot::{profile::Profile, RateLimit};
/// let p = Profile::builder("acme")
///     .base_url("https://api.acme.example")
///     .key_env("ACME_API_KEY")
///     .fixed_surface("admin", "/v1/admin", Some(RateLimit::per_minute(60)))
///     .default_surface("default", Some(RateLimit::per_second(10)))
///     .list_limit(1, 500)
///     .build()?;
/// assert_eq!(p.surface_for("/v1/admin/users").name, "admin");
/// assert_eq!(p.surface_for("/v1/things").limit, Some(RateLimit::per_second(10)));
/// assert_eq!(p.list_limit(), &(1..=500));
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    name: String,
    base_url: Option<String>,
    key_env: Option<String>,
    base_url_env: Option<String>,
    /// Most specific first; the last one is the `"*"` default.
    surfaces: Vec<Surface>,
    list_limit: RangeInclusive<u32>,
    error_shape: ErrorShape,
}

impl Profile {
    /// The generic profile: no default base URL, no key variable, one `default` surface
    /// learning its limit from the server, list limits 1–100.
    ///
    /// ```
    /// let p = surefoot::profile::Profile::generic();
    /// assert_eq!(p.surfaces().len(), 1);
    /// assert_eq!(p.surface_for("/anything").limit, None);
    /// ```
    pub fn generic() -> Profile {
        Profile::builder("generic")
            .build()
            .expect("the generic profile is valid")
    }

    /// A builder for a profile named `name`.
    ///
    /// ```
    /// let p = surefoot::profile::Profile::builder("mine").build()?;
    /// assert_eq!(p.name(), "mine");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn builder(name: impl Into<String>) -> ProfileBuilder {
        ProfileBuilder {
            profile: Profile {
                name: name.into(),
                base_url: None,
                key_env: None,
                base_url_env: None,
                surfaces: Vec::new(),
                list_limit: 1..=100,
                error_shape: ErrorShape::new(),
            },
            error: None,
        }
    }

    /// The profile's name (`generic`, `specala`, `pyai`, …).
    ///
    /// ```
    /// assert_eq!(surefoot::pyai::profile().name(), "pyai");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The default base URL.
    ///
    /// ```
    /// assert_eq!(surefoot::specala::profile().base_url(), Some("https://api.specala.ai"));
    /// ```
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The environment variable the key is read from by `from_env`.
    ///
    /// ```
    /// assert_eq!(surefoot::pyai::profile().key_env(), Some("PYAI_API_KEY"));
    /// ```
    pub fn key_env(&self) -> Option<&str> {
        self.key_env.as_deref()
    }

    /// The environment variable a base URL is read from by `from_env`.
    ///
    /// ```
    /// assert_eq!(surefoot::pyai::profile().base_url_env(), Some("PYAI_BASE_URL"));
    /// ```
    pub fn base_url_env(&self) -> Option<&str> {
        self.base_url_env.as_deref()
    }

    /// Every surface, most specific first (the `"*"` default last).
    ///
    /// ```
    /// let names: Vec<_> = surefoot::specala::profile().surfaces().iter().map(|s| s.name.clone()).collect();
    /// assert_eq!(names, ["management", "data"]);
    /// ```
    pub fn surfaces(&self) -> &[Surface] {
        &self.surfaces
    }

    /// The surface a request path belongs to.
    ///
    /// ```
    /// assert_eq!(surefoot::pyai::profile().surface_for("/v1/realtime/sessions").name, "realtime");
    /// assert_eq!(surefoot::pyai::profile().surface_for("/v1/realtimeish").name, "default");
    /// ```
    pub fn surface_for(&self, path: &str) -> &Surface {
        self.surfaces
            .iter()
            .find(|s| s.matches(path))
            .unwrap_or_else(|| {
                self.surfaces
                    .last()
                    .expect("a profile has a default surface")
            })
    }

    /// The index of [`surface_for`](Profile::surface_for) in [`surfaces`](Profile::surfaces).
    pub(crate) fn surface_index(&self, path: &str) -> usize {
        self.surfaces
            .iter()
            .position(|s| s.matches(path))
            .unwrap_or(self.surfaces.len() - 1)
    }

    /// The `limit` a list request may ask for.
    ///
    /// ```
    /// assert_eq!(surefoot::pyai::profile().list_limit(), &(1..=100));
    /// ```
    pub fn list_limit(&self) -> &RangeInclusive<u32> {
        &self.list_limit
    }

    /// Where the API's error bodies carry the code, message and request id (empty for the
    /// generic profile: the general decoding alone).
    ///
    /// ```
    /// let e = surefoot::pyai::profile().error_shape().decode(429, &http::HeaderMap::new(),
    ///     br#"{"error": {"message": "Slow down.", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}"#, false);
    /// assert_eq!(e.code(), "rate_limit_exceeded");
    /// assert!(surefoot::profile::Profile::generic().error_shape().is_empty());
    /// ```
    pub fn error_shape(&self) -> &ErrorShape {
        &self.error_shape
    }

    /// The same profile with another error shape: what a client's
    /// [`error_shape`](crate::ClientBuilder::error_shape) setting does.
    pub(crate) fn with_error_shape(mut self, shape: ErrorShape) -> Result<Profile> {
        shape.check()?;
        self.error_shape = shape;
        Ok(self)
    }

    /// Adds (or replaces, by prefix) a surface with a fixed limit: what a client's
    /// [`surface`](crate::ClientBuilder::surface) setting does.
    pub(crate) fn with_surface(
        mut self,
        prefix: &str,
        limit: Option<RateLimit>,
    ) -> Result<Profile> {
        let name = if prefix == "*" {
            "default".to_owned()
        } else {
            prefix.to_owned()
        };
        let surface = Surface {
            name: match self.surfaces.iter().find(|s| s.prefix == prefix) {
                Some(existing) => existing.name.clone(),
                None => name,
            },
            prefix: check_prefix(prefix)?,
            limit,
            fixed: true,
        };
        self.surfaces.retain(|s| s.prefix != surface.prefix);
        self.surfaces.push(surface);
        sort(&mut self.surfaces);
        Ok(self)
    }
}

fn check_prefix(prefix: &str) -> Result<String> {
    if prefix == "*" {
        return Ok(prefix.to_owned());
    }
    if !prefix.starts_with('/') || prefix.chars().any(|c| c.is_control() || c.is_whitespace()) {
        let shown: String = prefix.chars().take(64).collect();
        return Err(Error::invalid_request(format!(
            "surface prefix {shown:?} must be a path starting with `/`, or `*` for every other path"
        )));
    }
    Ok(prefix.trim_end_matches('/').to_owned())
}

/// Longest prefix first, `"*"` last.
fn sort(surfaces: &mut [Surface]) {
    surfaces.sort_by_key(|s| (s.prefix == "*", std::cmp::Reverse(s.prefix.len())));
}

/// Builds a [`Profile`]; see [`Profile::builder`].
///
/// ```
/// let p = surefoot::profile::Profile::builder("x").list_limit(0, 5).build().unwrap_err();
/// assert_eq!(p.message(), "profile x: the list limit range must start at 1 or more and not be empty");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProfileBuilder {
    profile: Profile,
    error: Option<Error>,
}

impl ProfileBuilder {
    /// The default base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.profile.base_url = Some(url.into());
        self
    }

    /// The environment variable the key comes from.
    pub fn key_env(mut self, var: impl Into<String>) -> Self {
        self.profile.key_env = Some(var.into());
        self
    }

    /// The environment variable a base URL comes from.
    pub fn base_url_env(mut self, var: impl Into<String>) -> Self {
        self.profile.base_url_env = Some(var.into());
        self
    }

    fn push(mut self, name: String, prefix: &str, limit: Option<RateLimit>, fixed: bool) -> Self {
        match check_prefix(prefix) {
            Ok(prefix) => {
                self.profile.surfaces.retain(|s| s.prefix != prefix);
                self.profile.surfaces.push(Surface {
                    name,
                    prefix,
                    limit,
                    fixed,
                })
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// A surface whose documented `limit` the client's `rate_limit` replaces.
    pub fn surface(self, name: impl Into<String>, prefix: &str, limit: Option<RateLimit>) -> Self {
        self.push(name.into(), prefix, limit, false)
    }

    /// A surface whose `limit` stays whatever the client's `rate_limit` is.
    pub fn fixed_surface(
        self,
        name: impl Into<String>,
        prefix: &str,
        limit: Option<RateLimit>,
    ) -> Self {
        self.push(name.into(), prefix, limit, true)
    }

    /// The surface of every path no other surface claims (default: `default`, learning).
    pub fn default_surface(self, name: impl Into<String>, limit: Option<RateLimit>) -> Self {
        self.push(name.into(), "*", limit, false)
    }

    /// The range of a list request's `limit` (default 1–100).
    pub fn list_limit(mut self, min: u32, max: u32) -> Self {
        self.profile.list_limit = min..=max;
        self
    }

    /// Where the API's error bodies carry the code, message and request id.
    ///
    /// ```
    /// use surefoot::{error::ErrorShape, profile::Profile};
    /// let p = Profile::builder("acme")
    ///     .error_shape(ErrorShape::new().code("/errors/0/reason").message("/errors/0/text"))
    ///     .build()?;
    /// let e = p.error_shape().decode(409, &http::HeaderMap::new(),
    ///     br#"{"errors": [{"reason": "duplicate_name", "text": "Name taken."}]}"#, false);
    /// assert_eq!((e.code(), e.message()), ("duplicate_name", "Name taken."));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn error_shape(mut self, shape: ErrorShape) -> Self {
        self.profile.error_shape = shape;
        self
    }

    /// Checks the profile: prefixes are paths, the list range is not empty and starts at
    /// 1 or more, surface names are unique, the error shape's pointers are JSON Pointers.
    pub fn build(mut self) -> Result<Profile> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.profile.error_shape.check()?;
        let p = &mut self.profile;
        let bad = |why: &str| Error::invalid_request(format!("profile {}: {why}", p.name));
        if *p.list_limit.start() == 0 || p.list_limit.is_empty() {
            return Err(bad(
                "the list limit range must start at 1 or more and not be empty",
            ));
        }
        if !p.surfaces.iter().any(|s| s.prefix == "*") {
            p.surfaces.push(Surface {
                name: "default".into(),
                prefix: "*".into(),
                limit: None,
                fixed: false,
            });
        }
        let mut names: Vec<&str> = p.surfaces.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad("two surfaces have the same name"));
        }
        sort(&mut p.surfaces);
        Ok(self.profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_on_segment_boundaries_and_the_longest_wins() {
        let p = Profile::builder("t")
            .surface("a", "/v1/a", None)
            .surface("ab", "/v1/a/b/", None)
            .build()
            .unwrap();
        assert_eq!(p.surface_for("/v1/a").name, "a");
        assert_eq!(p.surface_for("/v1/a?x=1").name, "a");
        assert_eq!(p.surface_for("/v1/a/b/c").name, "ab");
        assert_eq!(p.surface_for("/v1/ab").name, "default");
        assert_eq!(p.surfaces().last().unwrap().prefix, "*");
    }

    #[test]
    fn bad_profiles_are_refused_naming_the_problem() {
        let e = Profile::builder("t")
            .surface("x", "v1", None)
            .build()
            .unwrap_err();
        assert_eq!(
            e.message(),
            "surface prefix \"v1\" must be a path starting with `/`, or `*` for every other path"
        );
        let e = Profile::builder("t")
            .surface("x", "/a", None)
            .surface("x", "/b", None)
            .build()
            .unwrap_err();
        assert_eq!(e.message(), "profile t: two surfaces have the same name");
    }
}
