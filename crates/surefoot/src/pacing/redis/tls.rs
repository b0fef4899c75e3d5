//! The TLS files a `rediss://` store URL names — `tls_ca` (the CA that signed the
//! server's certificate, instead of the public roots), `tls_cert` and `tls_key` (this
//! client's certificate and key, for mutual TLS) — read once when the store is made, so a
//! missing or unreadable file is refused then, naming the option and the file.

use redis::{ClientTlsConfig, TlsCertificates};

use crate::error::Result;

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
    crate::config::pem::read("pacing store URL: ", option, path, marker, what)
}
