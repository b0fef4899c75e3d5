//! surefoot under reqwest: [`Surefoot`], a [`reqwest_middleware::Middleware`] that sends
//! each request through surefoot's send loop ([`surefoot::RawClient`]) — pacing per
//! credential (the `Authorization`, `x-api-key` or `api-key` header, or the one
//! `key_header` names; shared across processes through a `pacing_store`), retries
//! honouring `Retry-After`, the outage hold, the retry budget, the deadline — and hands the
//! final answer back as a `reqwest::Response`, whatever its status. This crate converts
//! types only; every decision is the core's.
//!
//! ```no_run
//! use surefoot::options::OptionValue;
//! use surefoot_reqwest_middleware::Surefoot;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(Surefoot::new([("pacing_store", OptionValue::from("redis://127.0.0.1:6379/0"))])?)
//!     .build();
//! let resp = client
//!     .get("https://api.example.com/v1/models")
//!     .bearer_auth("sk-example")
//!     .send()
//!     .await?;
//! println!("{}", resp.status());
//! # Ok(()) }
//! ```
//!
//! `Surefoot` sends the request itself, over surefoot's own connections: it ends the chain
//! (middlewares added after it do not run) and the wrapped `reqwest::Client`'s settings
//! (proxy, TLS roots, pool) do not apply to the requests it sends.
//!
//! Errors: a transport failure, or a call refused before anything was sent (the key paused
//! longer than `max_retry_wait` or the deadline allow), is
//! [`reqwest_middleware::Error::Middleware`] holding the [`surefoot::Error`] (get it back
//! with `downcast_ref::<surefoot::Error>()`; [`surefoot::Error::reached_server`] tells the
//! two apart). A 2xx body that breaks midway fails the read of the body, not retried.

use bytes::Bytes;
use http::Extensions;
use http_body_util::BodyExt;
use reqwest::{Request, Response, ResponseBuilderExt};
use reqwest_middleware::{Middleware, Next};
use surefoot::options::OptionValue;
use surefoot::{RawClient, RawRequest, RawResponse};

/// The middleware: surefoot's send loop for every request of the chain. Cheap to clone.
#[derive(Clone)]
pub struct Surefoot {
    raw: RawClient,
}

impl Surefoot {
    /// A middleware with the options of surefoot's clients by name (`rate_limit`,
    /// `pacing_store`, `max_retries`, `timeout`, `deadline`, `max_retry_wait`, …, plus
    /// `idempotency` and `key_header`; not `base_url` nor `api_key`: each request carries
    /// its own), checked by the core's rules ([`surefoot::RawClientBuilder::set`]).
    pub fn new<'a>(
        options: impl IntoIterator<Item = (&'a str, OptionValue)>,
    ) -> surefoot::Result<Surefoot> {
        let mut builder = RawClient::builder();
        for (name, value) in options {
            builder.set(name, value)?;
        }
        Ok(Surefoot {
            raw: builder.build()?,
        })
    }
}

impl From<RawClient> for Surefoot {
    fn from(raw: RawClient) -> Surefoot {
        Surefoot { raw }
    }
}

fn middleware_error(
    e: impl std::error::Error + Send + Sync + 'static,
) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(anyhow::Error::new(e))
}

/// reqwest's request as surefoot's: method, URL, headers, the body read once, the timeout.
async fn raw_request(mut req: Request) -> reqwest_middleware::Result<RawRequest> {
    let mut raw =
        RawRequest::new(req.method().as_str(), req.url().as_str()).map_err(middleware_error)?;
    for (name, value) in req.headers() {
        raw = raw.header(name, value).map_err(middleware_error)?;
    }
    if let Some(t) = req.timeout() {
        raw = raw.timeout(*t);
    }
    if let Some(body) = req.body_mut().take() {
        let bytes = body
            .collect()
            .await
            .map_err(reqwest_middleware::Error::Reqwest)?;
        raw = raw.body(bytes.to_bytes());
    }
    Ok(raw)
}

/// surefoot's final answer as reqwest's: status, headers, the body as surefoot reads it.
fn response(resp: RawResponse, url: reqwest::Url) -> reqwest_middleware::Result<Response> {
    let mut builder = http::Response::builder().status(resp.status()).url(url);
    if let Some(headers) = builder.headers_mut() {
        headers.extend(resp.headers().iter().map(|(n, v)| (n.clone(), v.clone())));
    }
    let chunks = futures::stream::try_unfold(resp, |mut resp| async move {
        Ok::<_, surefoot::Error>(resp.chunk().await?.map(|c: Bytes| (c, resp)))
    });
    let body = reqwest::Body::wrap_stream(chunks);
    Ok(Response::from(
        builder.body(body).map_err(middleware_error)?,
    ))
}

#[async_trait::async_trait]
impl Middleware for Surefoot {
    async fn handle(
        &self,
        req: Request,
        _extensions: &mut Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let url = req.url().clone();
        let raw = raw_request(req).await?;
        let resp = self.raw.send(raw).await.map_err(middleware_error)?;
        response(resp, url)
    }
}

/// The Rust examples of the guide page "With the SDK you already use"
/// (docs/guide/with-your-sdk.md), run as doctests (its other blocks are tagged with their
/// language and skipped).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/guide/with-your-sdk.md")]
pub struct GuideExamples;
