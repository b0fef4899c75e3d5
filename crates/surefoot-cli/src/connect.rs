//! Typed clients from the command line's connection flags and environment variables, and
//! the context error messages need (which API, where the key came from, its mask).

use surefoot::security::mask_key;
use surefoot::{ClientBuilder, RateLimit};

use crate::exit::{CliError, Context};

/// Connection settings of one API, as given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub rate_limit: Option<String>,
    /// `--max-retries`; `None`: the core's default (the same as every surface).
    pub max_retries: Option<u32>,
    /// `--pacing-store` (the core reads `SUREFOOT_PACING_STORE` when it is absent).
    pub pacing_store: Option<String>,
    /// `--ca-file`: the CA bundle HTTPS trusts (`None`: the Mozilla roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// The key came from `--api-key` rather than the environment variable.
    pub key_from_flag: bool,
}

fn context(api: surefoot::Api, conn: &Conn) -> Context {
    // The variables are the profile's (the CLI names none of its own).
    let (name, profile) = match api {
        surefoot::Api::Specala => ("Specala", surefoot::specala::profile()),
        _ => ("PyAI", surefoot::pyai::profile()),
    };
    let key_env = profile.key_env().unwrap_or("the key variable").to_string();
    let url_env = profile
        .base_url_env()
        .unwrap_or("the base URL variable")
        .to_string();
    Context {
        api: name,
        key_source: if conn.key_from_flag {
            "--api-key".to_string()
        } else {
            key_env
        },
        key_mask: conn
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(mask_key),
        base_url_env: url_env,
        base_url: conn
            .base_url
            .clone()
            .or_else(|| api.default_base_url())
            .unwrap_or_default(),
    }
}

fn builder(api: surefoot::Api, conn: &Conn, ctx: &Context) -> Result<ClientBuilder, CliError> {
    let mut b = surefoot::Client::builder()
        .api(api)
        .prefetch(true)
        .user_agent(format!("surefoot-cli/{}", env!("CARGO_PKG_VERSION")));
    if let Some(n) = conn.max_retries {
        b = b.max_retries(n);
    }
    if let Some(key) = &conn.api_key {
        b = b.api_key(key.clone());
    }
    if let Some(url) = &conn.base_url {
        b = b.base_url(url.clone());
    }
    if let Some(url) = &conn.pacing_store {
        b = b.pacing_store_url(url.clone());
    }
    if let Some(path) = &conn.ca_file {
        b = b.ca_file(path);
    }
    if let Some(spec) = &conn.rate_limit {
        let limit = RateLimit::parse(spec).map_err(|e| CliError::from_api(&e, ctx))?;
        b = b.rate_limit(limit);
    }
    Ok(b)
}

/// A Specala client and the context of its errors.
pub fn specala(conn: &Conn) -> Result<(surefoot::specala::Client, Context), CliError> {
    let ctx = context(surefoot::Api::Specala, conn);
    let client = builder(surefoot::Api::Specala, conn, &ctx)?
        .build_specala()
        .map_err(|e| CliError::from_api(&e, &ctx))?;
    Ok((client, ctx))
}

/// A PyAI client and the context of its errors.
pub fn pyai(conn: &Conn) -> Result<(surefoot::pyai::Client, Context), CliError> {
    let ctx = context(surefoot::Api::Pyai, conn);
    let client = builder(surefoot::Api::Pyai, conn, &ctx)?
        .build_pyai()
        .map_err(|e| CliError::from_api(&e, &ctx))?;
    Ok((client, ctx))
}
