//! What PyAI is to the generic client: its profile (base URL, key variable, rate-limit
//! surfaces, list limits, where its error bodies carry the code), plugged in by
//! `crate::catalog` for [`Api::Pyai`](crate::Api).

use crate::config::profile::Profile;
use crate::error::ErrorShape;

/// PyAI's profile: base URL `https://api.pyai.com`, key from `PYAI_API_KEY` (base URL from
/// `PYAI_BASE_URL`), realtime sessions (`/v1/realtime`) paced apart from everything else,
/// and no documented rate: a per-key per-second limit whose size the plan sets, learned
/// from the server unless given. Lists take `limit` 1–100.
///
/// ```
/// let p = surefoot::pyai::profile();
/// assert_eq!(p.surface_for("/v1/transcription/jobs").limit, None);
/// assert_eq!(p.surface_for("/v1/realtime/sessions").name, "realtime");
/// ```
pub fn profile() -> Profile {
    Profile::builder("pyai")
        .base_url("https://api.pyai.com")
        .key_env("PYAI_API_KEY")
        .base_url_env("PYAI_BASE_URL")
        .surface("realtime", "/v1/realtime", None)
        .default_surface("default", None)
        .list_limit(1, 100)
        // The gateway's OpenAI envelope `{"error": {code, message, type}}`, the control
        // plane's problem+json (`type` URI, `detail`, `title`, `request_id`).
        .error_shape(
            ErrorShape::new()
                .code("/error/code")
                .code("/error/type")
                .code("/type")
                .message("/error/message")
                .message("/detail")
                .message("/title")
                .request_id("/request_id")
                .request_id("/error/request_id")
                .request_id_header("x-request-id"),
        )
        .build()
        .expect("PyAI's profile is valid")
}
