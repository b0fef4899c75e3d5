//! The operator's secret for Redis key names: with one (`secret=` in the store URL,
//! [`RedisStoreBuilder::secret`](super::RedisStoreBuilder::secret) or
//! `SUREFOOT_PACING_SECRET`), every key name's hash tag is an HMAC-SHA256 keyed by it of
//! the store id, so a Redis dump cannot confirm a guessed API key; without one, the names
//! are the store ids themselves. The secret never shows in `Debug`, errors or logs.

use std::fmt;

use hmac::{Hmac, Mac};

use crate::error::{Error, Result};

/// The environment variable that gives the secret when neither the URL nor the builder
/// does.
pub(super) const SECRET_ENV: &str = "SUREFOOT_PACING_SECRET";

/// A secret that keys the names of Redis keys (compared and hashed by value, so two
/// stores with the same URL and secret are one; shown as `***`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// The secret `value` (refused when empty: an empty secret would look like one set).
    pub(super) fn new(value: &str) -> Result<Secret> {
        if value.is_empty() {
            return Err(Error::invalid_request(
                "pacing store secret must not be empty",
            ));
        }
        Ok(Secret(value.as_bytes().to_vec()))
    }

    /// The secret in `SUREFOOT_PACING_SECRET`, if set and not empty.
    pub(super) fn from_env() -> Option<Secret> {
        std::env::var(SECRET_ENV)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| Secret(v.into_bytes()))
    }

    /// The name of store id `id` under this secret: `{` + 32 hex digits of HMAC-SHA256
    /// keyed by the secret over the id + `}` (still one hash tag, so one cluster slot).
    pub(super) fn rename(&self, id: &str) -> String {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut name = String::with_capacity(34);
        name.push('{');
        for b in &out[..16] {
            name.push_str(&format!("{b:02x}"));
        }
        name.push('}');
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_depend_on_the_secret_and_never_show_it() {
        let a = Secret::new("s3cret-one").unwrap();
        let b = Secret::new("s3cret-two").unwrap();
        let id = "{0123456789abcdef0123456789abcdef}";
        assert_eq!(a.rename(id), a.clone().rename(id));
        assert_ne!(a.rename(id), b.rename(id));
        assert_ne!(a.rename(id), a.rename("{other}"));
        let name = a.rename(id);
        assert!(name.starts_with('{') && name.ends_with('}') && name.len() == 34);
        assert_eq!(format!("{a:?}"), "Secret(***)");
        assert!(Secret::new("").is_err());
    }
}
