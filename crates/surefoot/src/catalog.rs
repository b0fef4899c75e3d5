//! The built-in APIs plugged into the generic client from above: what each [`Api`] name
//! means (its profile, from `crate::specala` and `crate::pyai`), and
//! [`ClientBuilder::api`], which hands that profile to the builder. The generic client
//! below knows only the [`Profile`] it is given.

use crate::client::builder::ClientBuilder;
use crate::config::api::Api;
use crate::config::profile::Profile;

impl Api {
    /// The default base URL of the API (`None` for [`Api::Generic`]), from its profile.
    ///
    /// ```
    /// assert_eq!(surefoot::Api::Pyai.default_base_url().as_deref(), Some("https://api.pyai.com"));
    /// ```
    pub fn default_base_url(self) -> Option<String> {
        self.profile().base_url().map(str::to_owned)
    }

    /// The environment variable the typed clients read the key from, from its profile.
    ///
    /// ```
    /// assert_eq!(surefoot::Api::Specala.key_env_var().as_deref(), Some("SPECALA_API_KEY"));
    /// ```
    pub fn key_env_var(self) -> Option<String> {
        self.profile().key_env().map(str::to_owned)
    }

    /// The profile of this API: its base URL, key variable, surfaces and list limits.
    ///
    /// ```
    /// assert_eq!(surefoot::Api::Specala.profile(), surefoot::specala::profile());
    /// ```
    pub fn profile(self) -> Profile {
        match self {
            Api::Generic => Profile::generic(),
            Api::Specala => crate::specala::profile::profile(),
            Api::Pyai => crate::pyai::profile::profile(),
        }
    }
}

impl ClientBuilder {
    /// Which API profile to use (documented limits, default base URL). Default: generic.
    pub fn api(mut self, api: Api) -> Self {
        self.api = api;
        self.profile = Some(api.profile());
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::config::rate_limit::RateLimit;

    #[test]
    fn a_client_surface_replaces_by_prefix_and_is_fixed() {
        let p = crate::specala::profile::profile()
            .with_surface("/v1/keys", Some(RateLimit::per_minute(60)))
            .unwrap()
            .with_surface("/v1/reports", Some(RateLimit::per_second(1)))
            .unwrap();
        let keys = p.surface_for("/v1/keys");
        assert_eq!(
            (keys.name.as_str(), keys.limit),
            ("management", Some(RateLimit::per_minute(60)))
        );
        assert_eq!(p.surface_for("/v1/reports/7").name, "/v1/reports");
        assert!(p.surface_for("/v1/reports/7").fixed);
    }
}
