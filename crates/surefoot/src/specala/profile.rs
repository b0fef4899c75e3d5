//! What Specala is to the generic client: its profile (base URL, key variable, rate-limit
//! surfaces, list limits, where its error bodies carry the code), plugged in by
//! `crate::catalog` for [`Api::Specala`](crate::Api).

use crate::config::profile::Profile;
use crate::config::rate_limit::RateLimit;
use crate::error::ErrorShape;

/// Specala's profile: base URL `https://api.specala.ai`, key from `SPECALA_API_KEY` (base
/// URL from `SPECALA_BASE_URL`), the documented per-key limits — key management
/// (`/v1/keys`) 180 requests/min whatever the client's `rate_limit`, data endpoints
/// 500/min — list `limit` 1–100, and its error bodies: `detail` as a string, as
/// `{code, message}` or as a validation list.
///
/// ```
/// use surefoot::RateLimit;
/// let p = surefoot::specala::profile();
/// assert_eq!(p.surface_for("/v1/keys").limit, Some(RateLimit::per_minute(180)));
/// assert_eq!(p.surface_for("/v1/transcriptions/t1").limit, Some(RateLimit::per_minute(500)));
/// ```
pub fn profile() -> Profile {
    Profile::builder("specala")
        .base_url("https://api.specala.ai")
        .key_env("SPECALA_API_KEY")
        .base_url_env("SPECALA_BASE_URL")
        .fixed_surface("management", "/v1/keys", Some(RateLimit::per_minute(180)))
        .default_surface("data", Some(RateLimit::per_minute(500)))
        .list_limit(1, 100)
        // `{"detail": "Invalid API key"}`, `{"detail": {"code", "message"}}`, or a
        // validation list `{"detail": [{"loc", "msg"}]}`.
        .error_shape(
            ErrorShape::new()
                .code("/detail/code")
                .message("/detail")
                .request_id_header("x-request-id"),
        )
        .build()
        .expect("Specala's profile is valid")
}
