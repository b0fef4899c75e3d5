//! What the CLI's integration tests share: the `surefoot` binary with a clean environment.

use std::process::{Command, Stdio};

/// `surefoot` with a clean environment (no key, URL, log level or pacing store inherited
/// from the caller) and no stdin.
pub fn surefoot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_surefoot"));
    for var in [
        "SPECALA_API_KEY",
        "PYAI_API_KEY",
        "SPECALA_BASE_URL",
        "PYAI_BASE_URL",
        "RUST_LOG",
        "SUREFOOT_EMULATOR_MINIMAL",
        "SUREFOOT_PACING_STORE",
    ] {
        c.env_remove(var);
    }
    c.stdin(Stdio::null());
    c
}
