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

pub mod blocking;
pub mod bulk;
mod client;
pub mod defaults;
pub mod endpoints;
pub mod error;
pub mod fields;
pub mod headers;
pub mod metrics;
pub mod model;
pub mod options;
pub mod pacing;
pub mod pagination;
pub mod profile;
pub mod pyai;
mod request;
mod response;
pub mod retry;
pub mod runtime;
pub mod security;
pub mod specala;

pub use client::{Api, Client, ClientBuilder, PACING_STORE_ENV};
pub use error::{Error, ErrorKind, Result};
pub use metrics::Metrics;
pub use pacing::RateLimit;
pub use pagination::{Page, Paginate};
pub use request::RequestBuilder;
pub use response::Response;
