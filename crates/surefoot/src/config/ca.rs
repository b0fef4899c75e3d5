//! `ca_file`: the certificate authorities HTTPS trusts, from a PEM file, instead of the
//! Mozilla root store surefoot carries — as `verify="ca.pem"` does in httpx and requests
//! and `--cacert` in curl. The file is read and every certificate in it parsed once, when
//! the option is set: a missing or unreadable file, one without a certificate, or a
//! certificate that does not parse is refused then, naming `ca_file` and the file. The
//! HTTP stacks built afterwards (each thread's, the one for proxies) trust what was read.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// The certificates of a `ca_file`, read and checked (see the module).
#[derive(Clone)]
pub(crate) struct CaFile {
    path: String,
    certs: Arc<[reqwest::Certificate]>,
}

impl fmt::Debug for CaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CaFile({:?}, {} certificates)",
            self.path,
            self.certs.len()
        )
    }
}

impl CaFile {
    /// Reads `path` (see the module).
    pub(crate) fn read(path: String) -> Result<CaFile> {
        let pem = super::pem::read("", "ca_file", &path, "CERTIFICATE-----", "certificate")?;
        let bad = |why: String| {
            Error::invalid_request(format!(
                "`ca_file` file `{path}` holds a certificate that cannot be used: {why}"
            ))
        };
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        let ca = CaFile {
            certs: certs.into(),
            path: path.clone(),
        };
        // rustls parses each certificate as a trust anchor when a client is built: done
        // once here, so a bad one is refused with the option, not at the first HTTPS call.
        ca.trust(reqwest::Client::builder())
            .build()
            .map_err(|e| bad(crate::error::source_chain(&e)))?;
        Ok(ca)
    }

    /// The file as given.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// `builder` trusting these certificates only.
    pub(crate) fn trust(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        self.certs
            .iter()
            .fold(builder.tls_built_in_root_certs(false), |b, c| {
                b.add_root_certificate(c.clone())
            })
    }
}
