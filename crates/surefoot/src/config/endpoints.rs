//! The endpoint paths of the typed clients, and their per-client overrides. The API
//! documents name only PyAI's `POST /v1/transcription/jobs`; every other path is surefoot's
//! guess ([`ENDPOINTS`] lists them all), so a client can map any endpoint name to another
//! path with [`ClientBuilder::path`](crate::ClientBuilder::path) (Python `paths={...}`, C
//! `sf_client_options_set_path`). Templates start with `/` and carry `{id}` exactly when the
//! default does; an unknown name or a bad template is an `invalid_request` error from
//! `build`, before anything is sent. The rate-limit surface of an overridden path is the
//! one of the endpoint it replaces (Specala key management stays under 180/min).

use std::collections::HashMap;

use crate::config::http::path_segment;
use crate::error::{Error, Result};

/// Every endpoint name the typed clients use, with its default path template.
///
/// ```
/// let (name, path) = surefoot::endpoints::ENDPOINTS[0];
/// assert_eq!((name, path), ("specala.transcriptions", "/v1/transcriptions"));
/// assert!(surefoot::endpoints::ENDPOINTS.iter().any(|(n, _)| *n == "pyai.jobs"));
/// ```
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("specala.transcriptions", "/v1/transcriptions"),
    ("specala.transcription", "/v1/transcriptions/{id}"),
    (
        "specala.transcription_export",
        "/v1/transcriptions/{id}/export",
    ),
    ("specala.bulk_export", "/v1/transcriptions/export"),
    ("specala.keys", "/v1/keys"),
    ("specala.key", "/v1/keys/{id}"),
    ("pyai.jobs", "/v1/transcription/jobs"),
    ("pyai.job", "/v1/transcription/jobs/{id}"),
    ("pyai.realtime_sessions", "/v1/realtime/sessions"),
    ("pyai.realtime_session", "/v1/realtime/sessions/{id}"),
];

/// The endpoints whose paths pick a rate-limit surface other than the API's main one: an
/// overridden path keeps the surface of the default it replaces.
const SURFACE_ENDPOINTS: &[&str] = &[
    "specala.keys",
    "specala.key",
    "pyai.realtime_sessions",
    "pyai.realtime_session",
];

/// The default path template of an endpoint name (`None` for an unknown name).
///
/// ```
/// assert_eq!(surefoot::endpoints::default_path("pyai.job"), Some("/v1/transcription/jobs/{id}"));
/// assert_eq!(surefoot::endpoints::default_path("pyai.nothing"), None);
/// ```
pub fn default_path(name: &str) -> Option<&'static str> {
    ENDPOINTS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// A client's endpoint paths: the defaults with the overrides it was built with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Paths {
    overrides: HashMap<&'static str, String>,
}

impl Paths {
    /// Checks every override (`(name, template)` pairs, later ones win).
    pub(crate) fn new(given: &[(String, String)]) -> Result<Paths> {
        let mut overrides = HashMap::new();
        for (name, template) in given {
            let Some((known, default)) = ENDPOINTS.iter().find(|(n, _)| n == name) else {
                let names: Vec<&str> = ENDPOINTS.iter().map(|(n, _)| *n).collect();
                return Err(Error::invalid_request(format!(
                    "unknown endpoint name {name:?} for a path override (known: {})",
                    names.join(", ")
                )));
            };
            check_template(known, default, template)?;
            overrides.insert(*known, template.clone());
        }
        Ok(Paths { overrides })
    }

    /// The path template of `name` (the override, else the default).
    pub(crate) fn template(&self, name: &'static str) -> &str {
        match self.overrides.get(name) {
            Some(t) => t,
            None => default_path(name).unwrap_or("/"),
        }
    }

    /// The path of an endpoint without an id.
    pub(crate) fn path(&self, name: &'static str) -> String {
        self.template(name).to_string()
    }

    /// The path of an endpoint for one id (percent-encoded as one path segment; an empty
    /// id or one that is `.`/`..` is an `invalid_request` error).
    pub(crate) fn path_with_id(&self, name: &'static str, id: &str) -> Result<String> {
        let segment = path_segment(id)?;
        Ok(self.template(name).replace("{id}", &segment))
    }

    /// The default path standing for `path` in the choice of a rate-limit surface: an
    /// overridden path of an endpoint with its own surface answers as its default would.
    pub(crate) fn surface_path<'a>(&self, path: &'a str) -> std::borrow::Cow<'a, str> {
        for name in SURFACE_ENDPOINTS {
            if let Some(template) = self.overrides.get(name) {
                let prefix = template.split("{id}").next().unwrap_or(template);
                let prefix = prefix.trim_end_matches('/');
                if !prefix.is_empty()
                    && path.starts_with(prefix)
                    && matches!(path.as_bytes().get(prefix.len()), None | Some(b'/' | b'?'))
                {
                    let default = default_path(name).unwrap_or("/");
                    return default.split("{id}").next().unwrap_or(default).into();
                }
            }
        }
        path.into()
    }
}

fn check_template(name: &str, default: &str, template: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid_request(format!(
            "path for {name} {why} (got {template:?})"
        )))
    };
    if !template.starts_with('/') {
        return bad("must start with '/'");
    }
    if template
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return bad("must not contain spaces or control characters");
    }
    if template.contains(['?', '#']) || template.contains("://") {
        return bad("must be a path only (no scheme, host, query or fragment)");
    }
    let wants_id = default.contains("{id}");
    let ids = template.matches("{id}").count();
    if wants_id && ids != 1 {
        return bad("must contain {id} once");
    }
    if !wants_id && ids != 0 {
        return bad("takes no {id}");
    }
    if template.replace("{id}", "").contains(['{', '}']) {
        return bad("may contain no placeholder but {id}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(pairs: &[(&str, &str)]) -> Result<Paths> {
        let given: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Paths::new(&given)
    }

    #[test]
    fn overrides_and_defaults() {
        let p = paths(&[
            ("pyai.job", "/v2/jobs/{id}/state"),
            ("pyai.jobs", "/v2/jobs"),
        ])
        .unwrap();
        assert_eq!(p.path("pyai.jobs"), "/v2/jobs");
        assert_eq!(
            p.path_with_id("pyai.job", "a b").unwrap(),
            "/v2/jobs/a%20b/state"
        );
        assert_eq!(p.path("specala.keys"), "/v1/keys");
        assert!(p.path_with_id("pyai.job", "").is_err());
    }

    #[test]
    fn bad_overrides_are_refused() {
        for (pair, msg) in [
            (("pyai.nope", "/x"), "unknown endpoint name \"pyai.nope\""),
            (("pyai.jobs", "v2/jobs"), "must start with '/'"),
            (("pyai.jobs", "/v2/jobs?x=1"), "path only"),
            (("pyai.job", "/v2/jobs"), "must contain {id} once"),
            (("pyai.jobs", "/v2/{id}"), "takes no {id}"),
            (("pyai.job", "/v2/{org}/{id}"), "no placeholder but {id}"),
            (("pyai.jobs", "/v2/ jobs"), "spaces"),
        ] {
            let e = paths(&[pair]).unwrap_err();
            assert_eq!(e.code(), "invalid_request");
            assert!(e.message().contains(msg), "{}", e.message());
        }
    }

    #[test]
    fn surface_follows_the_endpoint() {
        let p = paths(&[
            ("specala.keys", "/v2/api-keys"),
            ("specala.key", "/v2/api-keys/{id}"),
        ])
        .unwrap();
        assert_eq!(p.surface_path("/v2/api-keys"), "/v1/keys");
        assert_eq!(p.surface_path("/v2/api-keys/k_1"), "/v1/keys");
        assert_eq!(p.surface_path("/v2/api-keysx"), "/v2/api-keysx");
        assert_eq!(p.surface_path("/v1/transcriptions"), "/v1/transcriptions");
    }
}
