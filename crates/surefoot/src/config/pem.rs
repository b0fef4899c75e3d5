//! PEM files an option names (the HTTP client's `ca_file`, a Redis store URL's `tls_ca`,
//! `tls_cert` and `tls_key`): read once, when the option is taken, and checked to hold a
//! block of the kind wanted, so a missing, unreadable or wrong file is refused then. The
//! messages name the option (and where it was given) and the file, never its contents.

use crate::error::{Error, Result};

/// The PEM file `path` given as `option` (`context` goes before the message, e.g.
/// `"pacing store URL: "`), which must hold a block whose header ends with `marker`
/// (`"CERTIFICATE-----"`); `what` names that kind in the message.
pub(crate) fn read(
    context: &str,
    option: &str,
    path: &str,
    marker: &str,
    what: &str,
) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_request(format!(
            "{context}`{option}` file `{path}` cannot be read ({e})"
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let has_block = text
        .lines()
        .any(|l| l.trim().starts_with("-----BEGIN ") && l.trim().ends_with(marker));
    if !has_block {
        return Err(Error::invalid_request(format!(
            "{context}`{option}` file `{path}` holds no PEM {what}"
        )));
    }
    Ok(bytes)
}
