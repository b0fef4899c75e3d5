//! The one error type of surefoot and the stable error-code model. This module owns
//! [`Error`] (status, stable `code`, [`ErrorKind`], message, request id, `Retry-After`,
//! attempts, time waited, raw body), the classification of any HTTP error response into
//! that model ([`Error::from_response`]: OpenAI envelope, RFC 7807 problem+json, FastAPI
//! `detail` in all its forms, HTML pages from proxies, empty and unparseable bodies), the
//! stable code strings ([`codes`]), why retrying stopped ([`FailReason`]), why a request was
//! refused before sending ([`InvalidRequestReason`]), and the hints an API profile gives
//! about its own error bodies ([`shape`]). One file per part: the type and its main `impl
//! Error` (`value`), the refusals before sending (`refused`, with their reasons in
//! `reason`), kinds (`kind`), classification by code and status (`classify`), body
//! decoding (`decode`), text forms (`display`). Whether a
//! failure is worth retrying is not decided here but by the retry classifiers
//! ([`crate::retry::classify`], which also answer [`Error::is_retryable`]), so this module
//! depends on no retry code. It never panics on any input and never sees an API key (the
//! client masks keys before building messages; `Debug` shows no headers).

mod classify;
pub mod codes;
mod decode;
mod display;
mod kind;
mod reason;
mod refused;
pub mod shape;
mod value;

pub use classify::code_from_status;
pub(crate) use display::source_chain;
pub use kind::{ErrorKind, FailReason};
pub use reason::InvalidRequestReason;
pub use shape::ErrorShape;
pub use value::Error;

/// `Result` with surefoot's [`Error`] as the default error type.
///
/// ```
/// fn check(limit: u32) -> surefoot::Result<u32> {
///     if limit == 0 {
///         return Err(surefoot::Error::invalid_request("limit must be between 1 and 100"));
///     }
///     Ok(limit)
/// }
/// assert!(check(0).is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest message kept from a server body (characters); longer ones are cut with `…`.
const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest code accepted from a server body; longer (or odd) values fall back to the status.
const MAX_CODE_CHARS: usize = 200;
/// Longest request id accepted from a header or body.
const MAX_REQUEST_ID_CHARS: usize = 200;
/// Most FastAPI validation items spelled out in a message.
const MAX_DETAIL_ITEMS: usize = 10;

#[cfg(test)]
mod tests;
