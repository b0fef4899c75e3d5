//! Answers that go wrong on the wire, shared by explicit faults and chaos: a connection
//! closed without an answer ([`kill`] marks the response with [`KillConnection`], which the
//! server turns into a reset), a body cut off halfway ([`truncate`]), and a body that stalls
//! halfway ([`slow`]). Each takes the answer the API produced, so the request was processed.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::stats::STATUS_DROPPED;

/// Pause between the half body and the abort of a truncated answer, so the half is flushed.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(30);

/// Response extension: close the connection without answering; the label goes to stats.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KillConnection(pub(crate) &'static str);

/// A response that closes its connection without answering, counted in stats as `label`.
pub(crate) fn kill(label: &'static str) -> Response {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(KillConnection(label));
    r
}

/// Re-sends `response` with a `Content-Length` of the full body but only half of it,
/// then aborts the connection. A bodiless answer (204) is dropped instead.
pub(crate) async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.is_empty() || parts.status == StatusCode::NO_CONTENT {
        return kill(STATUS_DROPPED);
    }
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let head = futures_util::stream::iter([Ok::<_, io::Error>(half)]);
    let abort = futures_util::stream::once(async {
        tokio::time::sleep(TRUNCATE_PAUSE).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "body truncated by fault injection",
        ))
    });
    Response::from_parts(parts, Body::from_stream(head.chain(abort)))
}

/// The answer with its full `Content-Length`, half the body, a stall of `pause`, the rest.
pub(crate) async fn slow(response: Response, pause: Duration) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.is_empty() {
        tokio::time::sleep(pause).await;
        return Response::from_parts(parts, Body::empty());
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.len() / 2;
    let (a, b) = (bytes.slice(..half), bytes.slice(half..));
    let head = futures_util::stream::iter([Ok::<Bytes, io::Error>(a)]);
    let tail = futures_util::stream::once(async move {
        tokio::time::sleep(pause).await;
        Ok::<Bytes, io::Error>(b)
    });
    Response::from_parts(parts, Body::from_stream(head.chain(tail)))
}
