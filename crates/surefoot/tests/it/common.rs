//! Shared set-up: emulators on port 0 and clients pointed at them.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use surefoot::ClientBuilder;
use surefoot_emulator::{Config, Emulator, EmulatorHandle};

pub const PYAI_KEY: &str = "pyai_sk_full_0001";
pub const SPECALA_KEY: &str = "spk_alpha_pro_0001";

/// An emulator on a port no earlier emulator of this process had: pacing state is kept per
/// key and base URL for the whole process, so a test on a reused port would inherit another
/// test's pauses and learned limits (port 0 hands out a used port again often enough).
async fn start_on_a_fresh_port(config: Config) -> EmulatorHandle {
    static USED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    loop {
        let emu = Emulator::start(config.clone())
            .await
            .expect("emulator starts");
        let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
        if used.get_or_insert_with(HashSet::new).insert(emu.url()) {
            return emu;
        }
    }
}

pub async fn pyai_with(config: Config) -> EmulatorHandle {
    start_on_a_fresh_port(config).await
}

pub async fn pyai() -> EmulatorHandle {
    pyai_with(Config::pyai()).await
}

pub async fn specala_with(config: Config) -> EmulatorHandle {
    start_on_a_fresh_port(config).await
}

pub async fn specala() -> EmulatorHandle {
    specala_with(Config::specala().transcriptions_per_workspace(250)).await
}

/// A generic-client builder for `emu` with a fast backoff (tests must not sleep seconds).
pub fn builder(emu: &EmulatorHandle, key: &str) -> ClientBuilder {
    surefoot::Client::builder()
        .base_url(emu.url())
        .api_key(key)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
}

pub fn pyai_client(emu: &EmulatorHandle) -> surefoot::pyai::Client {
    builder(emu, PYAI_KEY).build_pyai().expect("client builds")
}

pub fn specala_client(emu: &EmulatorHandle, key: &str) -> surefoot::specala::Client {
    builder(emu, key).build_specala().expect("client builds")
}

/// Requests the emulator saw on `route` (all statuses).
pub fn requests_on(emu: &EmulatorHandle, route: &str) -> u64 {
    let stats = serde_json::to_value(emu.stats()).unwrap();
    stats["requests"][route]
        .as_object()
        .map(|m| m.values().map(|v| v.as_u64().unwrap_or(0)).sum())
        .unwrap_or(0)
}

/// Every request the emulator saw.
pub fn total_requests(emu: &EmulatorHandle) -> u64 {
    let stats = serde_json::to_value(emu.stats()).unwrap();
    stats["requests"]
        .as_object()
        .map(|routes| {
            routes
                .values()
                .flat_map(|m| m.as_object().unwrap().values())
                .map(|v| v.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

pub fn stat(emu: &EmulatorHandle, name: &str) -> u64 {
    serde_json::to_value(emu.stats()).unwrap()[name]
        .as_u64()
        .unwrap_or_else(|| panic!("stats has no number {name}"))
}
