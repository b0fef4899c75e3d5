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
    /// The key came from `--api-key` rather than the environment variable.
    pub key_from_flag: bool,
}

fn context(api: surefoot::Api, conn: &Conn) -> Context {
    let (name, key_env, url_env) = match api {
        surefoot::Api::Specala => ("Specala", "SPECALA_API_KEY", "SPECALA_BASE_URL"),
        _ => ("PyAI", "PYAI_API_KEY", "PYAI_BASE_URL"),
    };
    Context {
        api: name,
        key_source: if conn.key_from_flag {
            "--api-key".to_string()
        } else {
            key_env.to_string()
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
