//! The typed Specala client: transcriptions (list, get, single and bulk export) and key
//! management, on the generic client with Specala's profile — 500 requests/min on data
//! endpoints and 180/min on key management, per key, paced client-side. The endpoint paths
//! are surefoot's (the seed gives none): override them per client with
//! [`ClientBuilder::path`] (names in [`crate::config::endpoints::ENDPOINTS`]). Models are tolerant
//! (see [`crate::leaves::model`]): only ids are required.

use std::fmt;
use std::time::SystemTime;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::builder::ClientBuilder;
use crate::client::pagination::Paginate;
use crate::config::api::Api;
use crate::error::{Error, Result};

pub(crate) mod profile;
pub use self::profile::profile;

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

crate::leaves::model::model! {
    /// A transcription as the server sent it. Only the id is required; every other field
    /// reads `None` when missing or of another type, and [`raw`](Transcription::raw) keeps
    /// the whole object (unknown fields included).
    ///
    /// ```
    /// use serde_json::json;
    /// let t = surefoot::specala::Transcription::from_value(json!({
    ///     "id": "tr_1", "title": "Standup", "created_at": 1767225600.5, "speakers": 3
    /// })).unwrap();
    /// assert_eq!((t.id(), t.title()), ("tr_1", Some("Standup")));
    /// assert_eq!((t.language(), t.duration_seconds(), t.text()), (None, None, None));
    /// assert!(t.created_at().is_some());
    /// assert_eq!(t.get("speakers"), Some(&json!(3)));
    /// ```
    Transcription, "a transcription", "surefoot::specala::Transcription",
    r#"{"id": "tr_1", "title": "Standup"}"#
}

impl Transcription {
    /// The title (`None` when missing or not a string).
    ///
    /// ```
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t", "title": null})).unwrap();
    /// assert_eq!(t.title(), None);
    /// ```
    pub fn title(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "title")
    }

    /// The language code (`None` when missing or not a string).
    ///
    /// ```
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t", "language": "en"})).unwrap();
    /// assert_eq!(t.language(), Some("en"));
    /// ```
    pub fn language(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "language")
    }

    /// The length of the audio in seconds (`None` when missing or not a number).
    ///
    /// ```
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t", "duration_seconds": "12"})).unwrap();
    /// assert_eq!(t.duration_seconds(), None);
    /// ```
    pub fn duration_seconds(&self) -> Option<f64> {
        crate::leaves::model::f64_field(&self.raw, "duration_seconds")
    }

    /// The creation time, parsed from an RFC 3339 string or Unix seconds (see
    /// [`parse_timestamp`](crate::leaves::model::parse_timestamp)); `None` when missing or unreadable.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t", "created_at": 1767225600})).unwrap();
    /// assert_eq!(t.created_at(), Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600)));
    /// ```
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created_at_raw()
            .and_then(crate::leaves::model::parse_timestamp)
    }

    /// The creation time as the server sent it (`None` when missing or `null`).
    ///
    /// ```
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t"})).unwrap();
    /// assert_eq!(t.created_at_raw(), None);
    /// ```
    pub fn created_at_raw(&self) -> Option<&Value> {
        crate::leaves::model::value_field(&self.raw, "created_at")
    }

    /// The transcript text (`None` when missing or not a string).
    ///
    /// ```
    /// let t = surefoot::specala::Transcription::from_value(serde_json::json!({"id": "t", "text": "Hello."})).unwrap();
    /// assert_eq!(t.text(), Some("Hello."));
    /// ```
    pub fn text(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "text")
    }
}

/// One document of a bulk export. Its `id` and `content` (a string) are required — a
/// document without its content is not an export; `format` reads `None` when missing or
/// not `md`/`txt`, and [`raw`](Export::raw) keeps the whole item.
///
/// ```
/// use serde_json::json;
/// let doc = surefoot::specala::Export::from_value(json!({"id": "tr_1", "content": "# Standup", "pages": 1})).unwrap();
/// assert_eq!((doc.id(), doc.content(), doc.format()), ("tr_1", "# Standup", None));
/// assert_eq!(doc.get("pages"), Some(&json!(1)));
/// assert!(surefoot::specala::Export::from_value(json!({"id": "tr_1"})).is_err());
/// ```
#[derive(Clone, PartialEq)]
pub struct Export {
    id: String,
    content: String,
    raw: Value,
}

impl Export {
    /// Makes a document from one item of a bulk export answer: an object with an `id` and
    /// a string `content`; anything else is an error naming what is wrong.
    ///
    /// ```
    /// let e = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": 3})).unwrap_err();
    /// assert_eq!(e, "an exported document has no `content` string");
    /// ```
    pub fn from_value(value: Value) -> std::result::Result<Export, String> {
        let (id, raw) = crate::leaves::model::object_of(value, "an exported document")?;
        let content = crate::leaves::model::str_field(&raw, "content")
            .ok_or("an exported document has no `content` string")?
            .to_string();
        Ok(Export { id, content, raw })
    }

    /// The transcription id.
    ///
    /// ```
    /// let d = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": ""})).unwrap();
    /// assert_eq!(d.id(), "t");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document.
    ///
    /// ```
    /// let d = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": "hi"})).unwrap();
    /// assert_eq!(d.content(), "hi");
    /// ```
    pub fn content(&self) -> &str {
        &self.content
    }

    /// Consumes the document, returning its content.
    ///
    /// ```
    /// let d = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": "hi"})).unwrap();
    /// assert_eq!(d.into_content(), "hi");
    /// ```
    pub fn into_content(self) -> String {
        self.content
    }

    /// The format of the content (`None` when missing or neither `md` nor `txt`).
    ///
    /// ```
    /// use surefoot::specala::{Export, Format};
    /// let d = Export::from_value(serde_json::json!({"id": "t", "content": "", "format": "md"})).unwrap();
    /// assert_eq!(d.format(), Some(Format::Md));
    /// ```
    pub fn format(&self) -> Option<Format> {
        crate::leaves::model::str_field(&self.raw, "format").and_then(|f| Format::parse(f).ok())
    }

    /// The server's whole JSON item, unknown fields included.
    ///
    /// ```
    /// let d = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": ""})).unwrap();
    /// assert!(d.raw().is_object());
    /// ```
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// One member of the item as sent (`None` when absent).
    ///
    /// ```
    /// let d = surefoot::specala::Export::from_value(serde_json::json!({"id": "t", "content": ""})).unwrap();
    /// assert_eq!(d.get("format"), None);
    /// ```
    pub fn get(&self, member: &str) -> Option<&Value> {
        self.raw.get(member)
    }
}

impl fmt::Debug for Export {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Export")
            .field("id", &self.id)
            .field("content_len", &self.content.len())
            .field("raw_members", &self.raw.as_object().map(|o| o.len()))
            .finish()
    }
}

impl Serialize for Export {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Export {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Export::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

crate::leaves::model::model! {
    /// An API key as listed (the secret itself is only in a [`CreatedKey`]). Only the id
    /// is required; [`raw`](KeyInfo::raw) keeps the whole object.
    ///
    /// ```
    /// let k = surefoot::specala::KeyInfo::from_value(serde_json::json!({"id": "key_1", "name": "ci"})).unwrap();
    /// assert_eq!((k.id(), k.name(), k.created_at()), ("key_1", Some("ci"), None));
    /// ```
    KeyInfo, "a key", "surefoot::specala::KeyInfo", r#"{"id": "key_1", "name": "ci"}"#
}

impl KeyInfo {
    /// Its name (`None` when missing or not a string).
    ///
    /// ```
    /// let k = surefoot::specala::KeyInfo::from_value(serde_json::json!({"id": "k", "name": 1})).unwrap();
    /// assert_eq!(k.name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "name")
    }

    /// The creation time, parsed (RFC 3339 or Unix seconds); `None` when missing or
    /// unreadable.
    ///
    /// ```
    /// let k = surefoot::specala::KeyInfo::from_value(serde_json::json!({"id": "k", "created_at": "2026-01-01T00:00:00Z"})).unwrap();
    /// assert!(k.created_at().is_some());
    /// ```
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created_at_raw()
            .and_then(crate::leaves::model::parse_timestamp)
    }

    /// The creation time as the server sent it (`None` when missing or `null`).
    ///
    /// ```
    /// let k = surefoot::specala::KeyInfo::from_value(serde_json::json!({"id": "k", "created_at": 5})).unwrap();
    /// assert_eq!(k.created_at_raw(), Some(&serde_json::json!(5)));
    /// ```
    pub fn created_at_raw(&self) -> Option<&Value> {
        crate::leaves::model::value_field(&self.raw, "created_at")
    }
}

crate::leaves::model::model! {
    /// A newly created key. Only the id is required; the secret is [`key`](CreatedKey::key),
    /// shown once. `Debug` masks it (the raw JSON, which holds it, is not printed).
    ///
    /// ```
    /// let k = surefoot::specala::CreatedKey::from_value(serde_json::json!({
    ///     "id": "key_9", "name": "ci", "key": "spk_live_0123456789abf00d"
    /// })).unwrap();
    /// assert_eq!(k.key(), Some("spk_live_0123456789abf00d"));
    /// assert!(!format!("{k:?}").contains("0123456789"));
    /// ```
    CreatedKey, "a created key", "surefoot::specala::CreatedKey",
    r#"{"id": "key_9", "name": "ci", "key": "spk_test_0123456789"}"#, custom debug
}

impl CreatedKey {
    /// Its name (`None` when missing or not a string).
    ///
    /// ```
    /// let k = surefoot::specala::CreatedKey::from_value(serde_json::json!({"id": "k", "name": "ci"})).unwrap();
    /// assert_eq!(k.name(), Some("ci"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "name")
    }

    /// The secret, shown only in this answer (`None` when missing or not a string).
    ///
    /// ```
    /// let k = surefoot::specala::CreatedKey::from_value(serde_json::json!({"id": "k"})).unwrap();
    /// assert_eq!(k.key(), None);
    /// ```
    pub fn key(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "key")
    }

    /// The creation time, parsed (RFC 3339 or Unix seconds); `None` when missing or
    /// unreadable.
    ///
    /// ```
    /// let k = surefoot::specala::CreatedKey::from_value(serde_json::json!({"id": "k", "created_at": 0})).unwrap();
    /// assert_eq!(k.created_at(), Some(std::time::UNIX_EPOCH));
    /// ```
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created_at_raw()
            .and_then(crate::leaves::model::parse_timestamp)
    }

    /// The creation time as the server sent it (`None` when missing or `null`).
    ///
    /// ```
    /// let k = surefoot::specala::CreatedKey::from_value(serde_json::json!({"id": "k"})).unwrap();
    /// assert_eq!(k.created_at_raw(), None);
    /// ```
    pub fn created_at_raw(&self) -> Option<&Value> {
        crate::leaves::model::value_field(&self.raw, "created_at")
    }
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("name", &self.name())
            .field("key", &self.key().map(crate::leaves::secret::mask_key))
            .field("created_at", &self.created_at_raw())
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
/// let ids: Vec<String> = all.iter().map(|t| t.id().to_string()).collect();
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
    /// Read by [`ClientBuilder::from_env`], as C and Python do (unset, empty or blank
    /// variables count as not set).
    pub fn from_env() -> Result<Client> {
        Client::builder().from_env().build_specala()
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
        let client = &self.client.inner;
        client.paginate(client.paths().path("specala.transcriptions"))
    }

    /// One transcription. An id from another workspace is `not_found`.
    pub async fn get(&self, id: &str) -> Result<Transcription> {
        let client = &self.client.inner;
        let path = client.paths().path_with_id("specala.transcription", id)?;
        client.get(path).send().await?.json()
    }

    /// One transcription as a document.
    pub async fn export(&self, id: &str, format: Format) -> Result<String> {
        let client = &self.client.inner;
        let path = client
            .paths()
            .path_with_id("specala.transcription_export", id)?;
        client
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
                    .post(client.paths().path("specala.bulk_export"))
                    .safe_to_repeat()
                    .json(&serde_json::json!({"ids": chunk, "format": format}))
                    .send()
                    .await?;
                let answer: Answer = resp.json()?;
                if answer.data.len() != chunk.len()
                    || answer.data.iter().zip(&chunk).any(|(e, id)| e.id() != id)
                {
                    return Err(Error::decode(
                        "bulk export answer does not match the requested ids",
                        resp.status().as_u16(),
                        resp.bytes(),
                    )
                    .with_request_id(resp.request_id().map(str::to_string))
                    .with_attempts(resp.attempts()));
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
        let client = &self.client.inner;
        client
            .paginate(client.paths().path("specala.keys"))
            .try_collect()
            .await
    }

    /// Creates a key; the answer holds the secret, shown once.
    pub async fn create(&self, name: &str) -> Result<CreatedKey> {
        if name.trim().is_empty() {
            return Err(Error::invalid_request("key name must not be empty"));
        }
        let client = &self.client.inner;
        client
            .post(client.paths().path("specala.keys"))
            .json(&serde_json::json!({"name": name}))
            .send()
            .await?
            .json()
    }

    /// Revokes a key; it answers 401 from then on.
    pub async fn revoke(&self, id: &str) -> Result<()> {
        let client = &self.client.inner;
        let path = client.paths().path_with_id("specala.key", id)?;
        client.delete(path).send().await?;
        Ok(())
    }
}
