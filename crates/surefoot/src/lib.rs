//! surefoot: one HTTP API client core that gets it right when the server pushes back.
//!
//! (crate docs are written once the public API settles)

pub mod blocking;
mod client;
pub mod error;
pub mod pacing;
pub mod pagination;
pub mod pyai;
mod request;
mod response;
pub mod retry;
pub mod runtime;
pub mod security;
pub mod specala;

pub use client::{Api, Client, ClientBuilder};
pub use error::{Error, ErrorKind, Result};
pub use pacing::RateLimit;
pub use pagination::{Page, Paginate};
pub use request::RequestBuilder;
pub use response::Response;
