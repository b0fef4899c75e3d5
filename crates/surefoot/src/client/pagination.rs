//! Cursor pagination: lazy streams of pages and items over `{"data": [...], "next_cursor": ...}`
//! lists. One page is held at a time (two with prefetch), `limit` is checked (1–100) before
//! anything is sent, the walk stops on a null `next_cursor`, and a cursor the server already
//! gave is an error instead of an endless loop.

use std::collections::HashSet;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::handle::Client;
use crate::error::{Error, Result};

/// Smallest and largest page size the APIs accept.
pub const LIMIT_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in the server's order.
    pub items: Vec<T>,
    /// The cursor of the next page (`None` on the last page).
    pub next_cursor: Option<String>,
    /// The server's request id for this page.
    pub request_id: Option<String>,
    /// Attempts it took to fetch this page.
    pub attempts: u32,
}

/// A lazy walk over a cursor-paginated list; a [`Stream`] of items (use
/// [`pages`](Paginate::pages) for whole pages). Nothing is sent until it is polled.
///
/// ```no_run
/// use futures::TryStreamExt;
/// # async fn run(client: surefoot::Client) -> surefoot::Result<()> {
/// let mut items = client
///     .paginate::<serde_json::Value>("/v1/transcription/jobs")
///     .limit(100)
///     .prefetch(true);
/// while let Some(job) = items.try_next().await? {
///     println!("{job}");
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Paginate<T> {
    config: Option<Config>,
    items: Option<BoxStream<'static, Result<T>>>,
}

#[derive(Clone)]
struct Config {
    client: Client,
    path: String,
    query: Vec<(String, String)>,
    /// As given (a binding's negative or huge value included), checked on the first poll.
    limit: Option<i64>,
    prefetch: bool,
    start_cursor: Option<String>,
}

impl<T> Paginate<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pub(crate) fn new(client: Client, path: String) -> Self {
        let prefetch = client.prefetch_default();
        Paginate {
            config: Some(Config {
                client,
                path,
                query: Vec::new(),
                limit: None,
                prefetch,
                start_cursor: None,
            }),
            items: None,
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        self.config
            .as_mut()
            .expect("Paginate configured after it was polled")
    }

    /// Page size, 1–100 (the server's default when unset). Out of range fails on the first
    /// poll with an `invalid_request` error, before anything is sent.
    pub fn limit(mut self, limit: u32) -> Self {
        self.config_mut().limit = Some(i64::from(limit));
        self
    }

    /// [`limit`](Paginate::limit) for a page size as C and Python give it: a negative or
    /// huge one fails on the first poll with the same `invalid_request` message as any
    /// other out of the profile's range.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use futures::StreamExt;
    /// let client = surefoot::Client::builder().base_url("http://127.0.0.1:9").build().unwrap();
    /// let mut walk = client.paginate::<serde_json::Value>("/v1/things").limit_i64(-5);
    /// let e = walk.next().await.unwrap().unwrap_err();
    /// assert_eq!(e.message(), "limit must be between 1 and 100 (got -5)");
    /// # }
    /// ```
    pub fn limit_i64(mut self, limit: i64) -> Self {
        self.config_mut().limit = Some(limit);
        self
    }

    /// Extra query parameters sent with every page.
    pub fn query<K: AsRef<str>, V: ToString>(mut self, pairs: &[(K, V)]) -> Self {
        for (k, v) in pairs {
            self.config_mut()
                .query
                .push((k.as_ref().to_string(), v.to_string()));
        }
        self
    }

    /// Start from a cursor a previous walk returned.
    pub fn start_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.config_mut().start_cursor = Some(cursor.into());
        self
    }

    /// Fetch the next page in the background while the current one is consumed.
    pub fn prefetch(mut self, prefetch: bool) -> Self {
        self.config_mut().prefetch = prefetch;
        self
    }

    /// The walk as a stream of whole pages.
    pub fn pages(mut self) -> BoxStream<'static, Result<Page<T>>> {
        let config = self
            .config
            .take()
            .expect("Paginate::pages called after it was polled");
        pages(config)
    }
}

impl<T> Stream for Paginate<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.items.is_none() {
            let config = this
                .config
                .take()
                .expect("config present before first poll");
            this.items = Some(
                pages::<T>(config)
                    .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
                    .try_flatten()
                    .boxed(),
            );
        }
        this.items.as_mut().expect("set above").poll_next_unpin(cx)
    }
}

/// Walk state between pages.
struct State<T> {
    config: Config,
    next: Next<T>,
    seen: HashSet<String>,
}

enum Next<T> {
    Fetch(Option<String>),
    Prefetched(tokio::task::JoinHandle<Result<Page<T>>>),
    Fail(Error),
    Done,
}

fn pages<T>(config: Config) -> BoxStream<'static, Result<Page<T>>>
where
    T: DeserializeOwned + Send + 'static,
{
    if let Some(limit) = config.limit {
        // The range is the API profile's (1–100 for Specala, PyAI and the generic client).
        let range = config.client.inner.profile.list_limit();
        if !u32::try_from(limit).is_ok_and(|l| range.contains(&l)) {
            let err = Error::invalid_request(format!(
                "limit must be between {} and {} (got {limit})",
                range.start(),
                range.end()
            ));
            return stream::once(async move { Err(err) }).boxed();
        }
    }
    let first = config.start_cursor.clone();
    let state = State {
        config,
        seen: first.iter().cloned().collect(),
        next: Next::Fetch(first),
    };
    stream::unfold(state, |mut state| async move {
        let page = match std::mem::replace(&mut state.next, Next::Done) {
            Next::Done => return None,
            Next::Fail(e) => return Some((Err(e), state)),
            Next::Fetch(cursor) => fetch_page::<T>(state.config.clone(), cursor).await,
            Next::Prefetched(handle) => match handle.await {
                Ok(r) => r,
                Err(e) => Err(Error::connection(format!("page prefetch failed: {e}"), true)),
            },
        };
        let page = match page {
            Ok(p) => p,
            Err(e) => return Some((Err(e), state)),
        };
        if let Some(next) = &page.next_cursor {
            if !state.seen.insert(next.clone()) {
                // Yield this page's items, then the error: nothing is lost, nothing loops.
                state.next = Next::Fail(Error::decode(
                    format!(
                        "the server returned cursor {next:?} twice; stopping instead of looping forever"
                    ),
                    200,
                    b"",
                ));
                return Some((Ok(page), state));
            }
            state.next = if state.config.prefetch {
                let handle =
                    tokio::spawn(fetch_page::<T>(state.config.clone(), Some(next.clone())));
                Next::Prefetched(handle)
            } else {
                Next::Fetch(Some(next.clone()))
            };
        }
        Some((Ok(page), state))
    })
    .boxed()
}

impl<T> Drop for State<T> {
    fn drop(&mut self) {
        if let Next::Prefetched(handle) = &self.next {
            handle.abort();
        }
    }
}

async fn fetch_page<T: DeserializeOwned>(
    config: Config,
    cursor: Option<String>,
) -> Result<Page<T>> {
    let mut req = config.client.get(config.path.clone()).query(&config.query);
    if let Some(limit) = config.limit {
        req = req.query(&[("limit", limit)]);
    }
    if let Some(cursor) = &cursor {
        req = req.query(&[("cursor", cursor)]);
    }
    let resp = req.send().await?;
    let value: Value = resp.json()?;
    let (items, next_cursor) = parse_page(&value, resp.status().as_u16(), resp.bytes())
        .map_err(|e| e.with_request_id(resp.request_id().map(str::to_string)))?;
    Ok(Page {
        items,
        next_cursor,
        request_id: resp.request_id().map(str::to_string),
        attempts: resp.attempts(),
    })
}

/// Reads one list page from the server's JSON (`body` is the raw answer, kept in an error):
/// the items of its `data` array and its `next_cursor` (`None` when absent, `null` or empty;
/// other envelope members such as `has_more` or `object` are ignored — the cursor alone
/// decides whether another page follows). Anything else is an `invalid_response` error
/// naming what is wrong. This is the parsing every walk uses, public so that it can be
/// fuzzed (`fuzz/fuzz_targets/list_page.rs`).
///
/// ```
/// use serde_json::{json, Value};
/// let page = json!({"data": [{"id": "a"}], "next_cursor": "c1", "has_more": true});
/// let (items, next) = surefoot::pagination::parse_page::<Value>(&page, 200, b"").unwrap();
/// assert_eq!((items.len(), next.as_deref()), (1, Some("c1")));
/// let err = surefoot::pagination::parse_page::<Value>(&json!({"items": []}), 200, b"").unwrap_err();
/// assert_eq!(err.code(), "invalid_response");
/// ```
pub fn parse_page<T: DeserializeOwned>(
    value: &Value,
    status: u16,
    body: &[u8],
) -> Result<(Vec<T>, Option<String>)> {
    let bad = |what: &str| Error::decode(format!("list response {what}"), status, body);
    let obj = value
        .as_object()
        .ok_or_else(|| bad("is not a JSON object"))?;
    let data = match obj.get("data") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad("has a `data` member that is not an array")),
        None => return Err(bad("has no `data` array")),
    };
    let next_cursor = match obj.get("next_cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("has a `next_cursor` that is neither a string nor null")),
    };
    let items = data
        .iter()
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|e| {
                bad(&format!(
                    "has an item that does not match the expected type: {e}"
                ))
            })
        })
        .collect::<Result<Vec<T>>>()?;
    Ok((items, next_cursor))
}

impl Client {
    /// Lazily walks a cursor-paginated list (`{"data": [...], "next_cursor": ...}`), yielding
    /// items; see [`Paginate`].
    pub fn paginate<T>(&self, path: impl Into<String>) -> Paginate<T>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        Paginate::new(self.clone(), path.into())
    }
}
