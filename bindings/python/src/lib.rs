//! `surefoot._native`: the pyo3 binding of the surefoot core.
//!
//! The binding is thin: it converts Python arguments into the core's types, runs the core's
//! futures — on the one shared runtime ([`surefoot::runtime::handle`]), or a single sync
//! call on the calling thread's own ([`surefoot::runtime::block_on_here`]) — and converts
//! results and errors back. Every rule (retries, idempotency keys, pacing, pagination, bulk
//! chunking, key validation and masking) is the core's.
//!
//! Layout, one file per Python-visible object, on a small ground floor:
//! - ground floor: `bridge` (blocking waits without the GIL, interruptible by Ctrl-C, and
//!   asyncio futures completed from the runtime), `mailbox` (completions handed to an
//!   asyncio loop in batches, one wake-up per batch), `errors` (core errors → the exception
//!   classes of `surefoot.exceptions`), `convert` (JSON, seconds, query pairs),
//!   `options` (client keyword options → `ClientBuilder`, the fork-aware `options::Core`),
//!   `logging` (tracing events → the `surefoot` logger), `twins` (the sync and async
//!   flavours, and the macros that write a sync class and its async twin once), `shutdown`
//!   (no runtime thread enters Python once it exits);
//! - objects: `client` (`Client`, `AsyncClient`, `Response`), `pagination` (item
//!   iterators), `specala`, `pyai`, `bulk` (`create_many`, `export_all`), `models`,
//!   `ratelimit`, `raw` (`RawTransport`, `RawAnswer`: requests of other HTTP libraries
//!   through the core, for `surefoot.httpx`), `emulator`
//!   (`surefoot.testing.Emulator`), `replay` (the conformance vectors' scripted server,
//!   for the vector runner in tests/python).

use pyo3::prelude::*;

mod bridge;
mod bulk;
mod client;
mod convert;
mod emulator;
mod errors;
mod logging;
mod mailbox;
mod models;
mod options;
mod pacing;
mod pagination;
mod pyai;
mod ratelimit;
mod raw;
mod replay;
mod shutdown;
mod specala;
mod twins;

/// The compiled half of the `surefoot` package; import from `surefoot` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py())?;
    shutdown::install(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<ratelimit::RateLimit>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::Response>()?;
    m.add_class::<pagination::Paginator>()?;
    m.add_class::<pagination::AsyncPaginator>()?;
    m.add_class::<pagination::Page>()?;
    m.add_class::<specala::Specala>()?;
    m.add_class::<specala::AsyncSpecala>()?;
    m.add_class::<specala::Transcriptions>()?;
    m.add_class::<specala::AsyncTranscriptions>()?;
    m.add_class::<specala::Keys>()?;
    m.add_class::<specala::AsyncKeys>()?;
    m.add_class::<pyai::PyAI>()?;
    m.add_class::<pyai::AsyncPyAI>()?;
    m.add_class::<pyai::Jobs>()?;
    m.add_class::<pyai::AsyncJobs>()?;
    m.add_class::<pyai::Realtime>()?;
    m.add_class::<pyai::AsyncRealtime>()?;
    m.add_class::<pyai::RealtimeSession>()?;
    m.add_class::<pyai::AsyncRealtimeSession>()?;
    m.add_class::<pyai::AsyncSessionOpener>()?;
    m.add_class::<models::Transcription>()?;
    m.add_class::<models::KeyInfo>()?;
    m.add_class::<models::CreatedKey>()?;
    m.add_class::<models::Job>()?;
    m.add_class::<bulk::JobResult>()?;
    m.add_class::<emulator::Emulator>()?;
    m.add_class::<pacing::PacingState>()?;
    m.add_class::<replay::Replay>()?;
    m.add_class::<raw::RawTransport>()?;
    m.add_class::<raw::RawAnswer>()?;
    m.add_function(wrap_pyfunction!(mask_key, m)?)?;
    m.add_function(wrap_pyfunction!(pacing::reset_all_pacing, m)?)?;
    Ok(())
}

/// Masks an API key for display (`sk-…f00d`), exactly as every surefoot surface does.
#[pyfunction]
fn mask_key(key: &str) -> String {
    surefoot::security::mask_key(key)
}
