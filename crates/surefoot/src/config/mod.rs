//! Configuration: what a client is told before it sends anything, each checked by its one
//! rule — option values and their rules (`options`), the key and base-URL checks (`key`),
//! rate limits and their `"500/min"` syntax (`rate_limit`), API profiles (`profile`),
//! endpoint paths (`endpoints`), server field names (`fields`), header, idempotency-key and
//! path-segment rules (`http`), the certificate authorities HTTPS trusts (`ca`, from PEM
//! files read by `pem`), and the process's runtime (`runtime`). Uses the leaves and
//! the error layer only.

pub mod api;
pub(crate) mod ca;
pub mod endpoints;
pub mod fields;
pub mod http;
pub mod key;
pub mod options;
pub(crate) mod pem;
pub mod profile;
pub mod rate_display;
pub mod rate_limit;
pub mod runtime;
pub mod settings;
