//! Integration tests of the core against the emulator over loopback HTTP.

mod abandoned;
mod blocking;
mod bulk;
mod common;
mod errors;
mod idempotency;
mod lean_stack;
mod metrics;
mod pacing;
mod pacing_state;
mod pagination;
mod raw;
mod realtime;
mod recovery_opens;
mod retries;
mod riding_out;
mod security;
mod shared_pool;
mod tolerant;
mod typed;
