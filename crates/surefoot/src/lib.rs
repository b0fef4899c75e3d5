//! surefoot: one HTTP API client core that gets it right when the server pushes back.
//!
//! Every surface (this crate, the C ABI, the Python wheel) runs this one implementation of:
//!
//! - **one error model** — [`Error`] with a stable [`code`](Error::code) parsed from every
//!   error shape the APIs use (OpenAI envelope, RFC 7807 problem+json, FastAPI `detail`, HTML
//!   from a proxy, empty bodies), a [`kind`](Error::kind), the request id, attempts and
//!   `retry_after`;
//! - **retries** ([`retry`]) on 408, 429, 5xx, connection failures and timeouts, with jittered
//!   exponential backoff that `Retry-After` / `retry-after-ms` override, never an instant retry
//!   after a 429, and a failure at once (with `retry_after` set) when the wait exceeds
//!   `max_retry_wait` or the one total deadline; ordered classifiers a caller can extend, a
//!   retry budget per key and host, and a host in an outage ridden out with one probe at a
//!   time while the other calls are held;
//! - **idempotency** — job creation carries an `Idempotency-Key`, the body is serialised once,
//!   and the same bytes and key go out on every retry;
//! - **pagination** ([`pagination`]) — lazy, bounded, `limit` checked, loop-safe, optional
//!   prefetch;
//! - **pacing** ([`pacing`]) — a GCRA limiter per key, base URL and surface, shared by every
//!   client in the process, learning from 429s, plus a concurrency limiter for sessions;
//! - **tolerant models** ([`model`]) — typed results require only their id; every other
//!   field reads `None` when missing or of another type, timestamps are RFC 3339 or Unix
//!   seconds, and `raw()` keeps the server's whole JSON; the endpoint paths surefoot guessed
//!   are overridable per client ([`endpoints`], [`ClientBuilder::path`]);
//! - **security** ([`security`]) — keys checked before use, only ever in the `Authorization`
//!   header, masked in `Debug` and absent from every error and log line.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use surefoot::specala::{Client, Format};
//!
//! # async fn run() -> surefoot::Result<()> {
//! let client = Client::builder()
//!     .api_key("spk_live_0123456789abcdef")
//!     .deadline(std::time::Duration::from_secs(120))
//!     .build_specala()?;
//! let ids: Vec<String> = client
//!     .transcriptions()
//!     .list()
//!     .limit(100)
//!     .map_ok(|t| t.id().to_string())
//!     .try_collect()
//!     .await?;
//! // One request per 100 ids, paced under the key's 500/min, results in order.
//! let docs = client.transcriptions().bulk_export(&ids, Format::Md).await?;
//! # let _ = docs;
//! # Ok(()) }
//! ```
//!
//! Errors branch on the stable code, the same string in Rust, C and Python:
//!
//! ```no_run
//! # async fn run(client: surefoot::pyai::Client) {
//! match client.jobs().get("job_123").await {
//!     Ok(job) => println!("{}", job.status().unwrap_or("unknown")),
//!     Err(e) if e.code() == "not_found" => println!("no such job"),
//!     Err(e) if e.kind() == surefoot::ErrorKind::RateLimited => {
//!         println!("try again in {:?}", e.retry_after())
//!     }
//!     Err(e) => eprintln!("{e}"),
//! }
//! # }
//! ```

// The layers, lowest first; a module imports only from its own layer or lower ones
// (ARCHITECTURE.md; checked by tests/layers.rs). The public paths below are re-exports.
pub mod blocking;
pub mod bulk;
mod catalog;
mod client;
mod config;
pub mod error;
mod leaves;
pub mod pacing;
pub mod pyai;
pub mod retry;
pub mod specala;

pub use client::{metrics, pagination};
pub use config::{endpoints, fields, options, profile, runtime};
pub use leaves::{headers, model};

/// Client-side security: API key and base URL checks ([`ApiKey`](security::ApiKey),
/// raised before anything is sent) and key masking and redaction, so a key never appears
/// in a message, log line or `Debug` output.
pub mod security {
    pub use crate::config::key::{
        check_url_has_no_key, validate_api_key, validate_base_url, ApiKey,
    };
    pub use crate::leaves::secret::{
        is_loopback, mask_key, redact, url_for_traces, KEY_QUERY_PARAMS,
    };
}

/// Every default of surefoot in one place, the same on every surface (Rust, C, Python, the
/// CLI): what a client, a list walk and a bulk run do when the caller says nothing. Each
/// value is defined where its rule lives (client settings, retry policy, bulk rules) and
/// gathered here; docs/guide/defaults.md is their table. The CLI differs only where that
/// page gives the reason.
pub mod defaults {
    pub use crate::bulk::rules::{
        DEFAULT_CONCURRENCY as CREATE_MANY_CONCURRENCY,
        DEFAULT_EXPORT_CONCURRENCY as EXPORT_CONCURRENCY, DEFAULT_ROUNDS as BULK_ROUNDS,
        MAX_CONCURRENCY as BULK_MAX_CONCURRENCY,
    };
    pub use crate::client::pagination::LIMIT_RANGE;
    pub use crate::config::settings::{
        DEFAULT_MAX_RESPONSE_BYTES as MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES as MAX_RETRIES,
        DEFAULT_MAX_RETRY_WAIT as MAX_RETRY_WAIT, DEFAULT_TIMEOUT as TIMEOUT,
    };

    /// The retry policy in force by default: [`MAX_RETRIES`], backoff from 1 s doubling up
    /// to 20 s (jittered), waits above [`MAX_RETRY_WAIT`] failing at once.
    pub fn retry_policy() -> crate::retry::RetryPolicy {
        crate::retry::RetryPolicy::default()
    }
}

pub use client::builder::{ClientBuilder, PACING_STORE_ENV};
pub use client::handle::Client;
pub use client::metrics::Metrics;
pub use client::pagination::{Page, Paginate};
pub use client::raw::{RawClient, RawClientBuilder, RawRequest, RawResponse};
pub use client::request::RequestBuilder;
pub use client::response::Response;
pub use config::api::Api;
pub use config::rate_limit::RateLimit;
pub use error::{Error, ErrorKind, Result};
