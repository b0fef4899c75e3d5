//! The typed Specala client: transcriptions (list, get, single and bulk export) and key
//! management, on the generic client with Specala's profile — 500 requests/min on data
//! endpoints and 180/min on key management, per key, paced client-side. The endpoint paths
//! are surefoot's (the seed gives none); override the base URL to point elsewhere.

use std::fmt;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::client::{Api, ClientBuilder};
use crate::error::{Error, Result};
use crate::pagination::Paginate;
use crate::request::path_segment;

/// Most ids one bulk export request may carry.
pub const BULK_EXPORT_MAX_IDS: usize = 100;
/// Bulk export chunks in flight at once (each still passes the pacer).
const BULK_EXPORT_PARALLEL: usize = 4;

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Markdown (`text/markdown`).
    Md,
    /// Plain text (`text/plain`).
    Txt,
}

impl Format {
    /// The wire name, `md` or `txt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
        }
    }

    /// Parses `md` or `txt`.
    ///
    /// ```
    /// assert_eq!(surefoot::specala::Format::parse("txt")?, surefoot::specala::Format::Txt);
    /// assert!(surefoot::specala::Format::parse("pdf").is_err());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "md" => Ok(Format::Md),
            "txt" => Ok(Format::Txt),
            other => Err(Error::invalid_request(format!(
                "format must be \"md\" or \"txt\" (got {other:?})"
            ))),
        }
    }
}

/// A transcription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcription {
    /// Its id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Language code.
    #[serde(default)]
    pub language: Option<String>,
    /// Length of the audio.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// The transcript text.
    #[serde(default)]
    pub text: Option<String>,
}

/// One document of a bulk export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// The transcription id.
    pub id: String,
    /// The format of `content`.
    pub format: Format,
    /// The document.
    pub content: String,
}

/// An API key as listed (the secret itself is only in [`CreatedKey`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Key id (used to revoke it).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
}

/// A newly created key; `Debug` masks the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    /// Key id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The secret, shown once.
    pub key: String,
    /// Creation time.
    pub created_at: String,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key", &crate::security::mask_key(&self.key))
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The Specala client.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use surefoot::specala::{Client, Format};
/// # async fn run() -> surefoot::Result<()> {
/// let client = Client::from_env()?; // SPECALA_API_KEY
/// let all: Vec<_> = client.transcriptions().list().limit(100).try_collect().await?;
/// let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
/// let docs = client.transcriptions().bulk_export(&ids, Format::Md).await?;
/// assert_eq!(docs.len(), ids.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// A client with `api_key` and the defaults.
    pub fn new(api_key: impl Into<String>) -> Result<Client> {
        Client::builder().api_key(api_key).build_specala()
    }

    /// A client whose key comes from `SPECALA_API_KEY` (and base URL from `SPECALA_BASE_URL`
    /// when set).
    pub fn from_env() -> Result<Client> {
        let mut b = Client::builder();
        if let Ok(key) = std::env::var("SPECALA_API_KEY") {
            b = b.api_key(key);
        }
        if let Ok(url) = std::env::var("SPECALA_BASE_URL") {
            b = b.base_url(url);
        }
        b.build_specala()
    }

    /// A builder preset for Specala; finish with [`ClientBuilder::build_specala`].
    pub fn builder() -> ClientBuilder {
        crate::Client::builder().api(Api::Specala)
    }

    /// Wraps a generic client (its profile should be [`Api::Specala`]).
    pub fn from_client(inner: crate::Client) -> Client {
        Client { inner }
    }

    /// The generic client underneath, for calls this type does not cover.
    pub fn client(&self) -> &crate::Client {
        &self.inner
    }

    /// Transcription endpoints.
    pub fn transcriptions(&self) -> Transcriptions<'_> {
        Transcriptions { client: self }
    }

    /// Key management endpoints.
    pub fn keys(&self) -> Keys<'_> {
        Keys { client: self }
    }
}

impl ClientBuilder {
    /// Builds a Specala client.
    pub fn build_specala(self) -> Result<Client> {
        Ok(Client {
            inner: self.api(Api::Specala).build()?,
        })
    }
}

/// Transcription endpoints; see [`Client::transcriptions`].
#[derive(Debug, Clone, Copy)]
pub struct Transcriptions<'a> {
    client: &'a Client,
}

impl Transcriptions<'_> {
    /// Every transcription of the key's workspace, newest first, fetched lazily page by page.
    pub fn list(&self) -> Paginate<Transcription> {
        self.client.inner.paginate("/v1/transcriptions")
    }

    /// One transcription. An id from another workspace is `not_found`.
    pub async fn get(&self, id: &str) -> Result<Transcription> {
        let path = format!("/v1/transcriptions/{}", path_segment(id)?);
        self.client.inner.get(path).send().await?.json()
    }

    /// One transcription as a document.
    pub async fn export(&self, id: &str, format: Format) -> Result<String> {
        let path = format!("/v1/transcriptions/{}/export", path_segment(id)?);
        self.client
            .inner
            .get(path)
            .query(&[("format", format.as_str())])
            .send()
            .await?
            .text()
    }

    /// Exports any number of transcriptions with bulk requests of at most 100 ids (never one
    /// request per transcription), paced under the key's limit; the result is in the order of
    /// `ids`. Empty input sends nothing.
    pub async fn bulk_export<S: AsRef<str>>(
        &self,
        ids: &[S],
        format: Format,
    ) -> Result<Vec<Export>> {
        for id in ids {
            if id.as_ref().is_empty() {
                return Err(Error::invalid_request(
                    "transcription ids must not be empty",
                ));
            }
        }
        let chunks: Vec<Vec<String>> = ids
            .chunks(BULK_EXPORT_MAX_IDS)
            .map(|c| c.iter().map(|s| s.as_ref().to_string()).collect())
            .collect();
        let client = &self.client.inner;
        let results: Vec<Vec<Export>> = futures::stream::iter(chunks)
            .map(|chunk| async move {
                #[derive(Deserialize)]
                struct Answer {
                    data: Vec<Export>,
                }
                let resp = client
                    .post("/v1/transcriptions/export")
                    .safe_to_repeat()
                    .json(&serde_json::json!({"ids": chunk, "format": format}))
                    .send()
                    .await?;
                let answer: Answer = resp.json()?;
                if answer.data.len() != chunk.len()
                    || answer.data.iter().zip(&chunk).any(|(e, id)| &e.id != id)
                {
                    return Err(Error::decode(
                        "bulk export answer does not match the requested ids",
                        resp.status().as_u16(),
                        resp.bytes(),
                    ));
                }
                Ok(answer.data)
            })
            .buffered(BULK_EXPORT_PARALLEL)
            .try_collect()
            .await?;
        Ok(results.into_iter().flatten().collect())
    }
}

/// Key management endpoints; see [`Client::keys`].
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    client: &'a Client,
}

impl Keys<'_> {
    /// Every key of the workspace.
    pub async fn list(&self) -> Result<Vec<KeyInfo>> {
        self.client.inner.paginate("/v1/keys").try_collect().await
    }

    /// Creates a key; the answer holds the secret, shown once.
    pub async fn create(&self, name: &str) -> Result<CreatedKey> {
        if name.trim().is_empty() {
            return Err(Error::invalid_request("key name must not be empty"));
        }
        self.client
            .inner
            .post("/v1/keys")
            .json(&serde_json::json!({"name": name}))
            .send()
            .await?
            .json()
    }

    /// Revokes a key; it answers 401 from then on.
    pub async fn revoke(&self, id: &str) -> Result<()> {
        let path = format!("/v1/keys/{}", path_segment(id)?);
        self.client.inner.delete(path).send().await?;
        Ok(())
    }
}
