//! The generic client: the builder and its options (`handle`, `configure`), the HTTP stack (`http_stack`: shared by a client's clones, and per thread for calls a thread drives itself: the lean hyper
//! stack of `lean`, whose connections each call drives inside its own future: `inline`, polled with the waker of `quiet`; its connects through `gated`; what goes over either and comes back: `wire`), one call and its
//! send loop (`request`), raw calls of other HTTP libraries (`raw`), the answer (`response`), lazy pagination (`pagination`) and the
//! client's counters (`metrics`). Knows no API by name: an API profile plugs in from above.

pub mod builder;
pub mod configure;
pub mod exchange;
pub(crate) mod gated;
pub mod handle;
pub mod http_stack;
pub(crate) mod inline;
pub(crate) mod lean;
pub mod metrics;
pub mod pagination;
pub(crate) mod quiet;
pub mod raw;
pub mod request;
pub mod response;
pub mod send;
pub(crate) mod wire;
