//! PEM files an option names (the HTTP client's `ca_file`, a Redis store URL's `tls_ca`,
//! `tls_cert` and `tls_key`): read once, when the option is taken, and checked to hold a
//! block of the kind wanted, so a missing, unreadable or wrong file is refused then (as is
//! anything but a regular file, or one over 16 MiB). The messages name the option (and
//! where it was given) and the file, never its contents.

use std::io::Read;

use crate::error::{Error, Result};

/// The largest PEM file read: far above any CA bundle (the Mozilla set is about 200 KiB).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

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
    let refuse =
        |why: String| Error::invalid_request(format!("{context}`{option}` file `{path}` {why}"));
    let cannot_read = |e: std::io::Error| refuse(format!("cannot be read ({e})"));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    // Not a device, a pipe or a directory: /dev/zero would never end, a FIFO could block.
    if !file.metadata().map_err(cannot_read)?.is_file() {
        return Err(refuse("is not a regular file".to_owned()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(refuse("is larger than 16 MiB".to_owned()));
    }
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
