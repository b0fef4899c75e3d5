//! The TLS files a `rediss://` store URL names — `tls_ca` (the CA that signed the
//! server's certificate, instead of the public roots), `tls_cert` and `tls_key` (this
//! client's certificate and key, for mutual TLS) — read once when the store is made, so a
//! missing or unreadable file is refused then, naming the option and the file.

use redis::{ClientTlsConfig, TlsCertificates};

use crate::error::{Error, Result};

/// The TLS files of a store URL (paths as given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct TlsFiles {
    pub(super) ca: Option<String>,
    pub(super) cert: Option<String>,
    pub(super) key: Option<String>,
}

impl TlsFiles {
    /// Whether any file is given.
    pub(super) fn any(&self) -> bool {
        self.ca.is_some() || self.cert.is_some() || self.key.is_some()
    }

    /// The files' contents for the `redis` crate (`None`: no file given, the public
    /// roots and no client certificate).
    pub(super) fn load(&self) -> Result<Option<TlsCertificates>> {
        if !self.any() {
            return Ok(None);
        }
        let client_tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Some(ClientTlsConfig {
                client_cert: read("tls_cert", cert, "CERTIFICATE-----", "certificate")?,
                client_key: read("tls_key", key, "PRIVATE KEY-----", "private key")?,
            }),
            _ => None,
        };
        let root_cert = self
            .ca
            .as_deref()
            .map(|ca| read("tls_ca", ca, "CERTIFICATE-----", "certificate"))
            .transpose()?;
        Ok(Some(TlsCertificates {
            client_tls,
            root_cert,
        }))
    }
}

/// The PEM file `path` of `option`, which must hold a block whose header ends with
/// `marker` (`what`, for the message).
fn read(option: &str, path: &str, marker: &str, what: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_request(format!(
            "pacing store URL: `{option}` file `{path}` cannot be read ({e})"
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let has_block = text
        .lines()
        .any(|l| l.trim().starts_with("-----BEGIN ") && l.trim().ends_with(marker));
    if !has_block {
        return Err(Error::invalid_request(format!(
            "pacing store URL: `{option}` file `{path}` holds no PEM {what}"
        )));
    }
    Ok(bytes)
}
