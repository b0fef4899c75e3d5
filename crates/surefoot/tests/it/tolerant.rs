//! The typed clients against a hand-written server (not the emulator) whose answers differ
//! from the brief's guessed wire format: missing fields, numeric timestamps, unknown
//! fields, extra list envelope members, a last page without `next_cursor`, nulls, wrong
//! types, ids as numbers, other paths — and 2xx answers that cannot be read.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use futures::TryStreamExt;
use serde_json::{json, Value};
use surefoot::pyai::CreateJob;
use surefoot::specala::Format;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// An answer: status, content type, body.
struct Reply(u16, &'static str, Vec<u8>);

fn reply_json(status: u16, v: Value) -> Reply {
    Reply(status, "application/json", v.to_string().into_bytes())
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A minimal HTTP/1.1 server on 127.0.0.1:0: one request per connection
/// (`Connection: close`), `x-request-id: req_<n>` on every answer.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, log) = (handler.clone(), log.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut read = BufReader::new(read);
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or("").to_string();
                    let target = parts.next().unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        if read.read_line(&mut h).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_string(), v.trim().to_string()));
                        }
                    }
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    if read.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let req = Seen {
                        method,
                        target,
                        headers,
                        body,
                    };
                    let Reply(status, ct, body) = handler(&req);
                    let n = {
                        let mut log = log.lock().unwrap();
                        log.push(req);
                        log.len()
                    };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nx-request-id: req_{n}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = write.write_all(head.as_bytes()).await;
                    let _ = write.write_all(&body).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Server { url, seen, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn pyai(server: &Server) -> surefoot::ClientBuilder {
    surefoot::pyai::Client::builder()
        .base_url(&server.url)
        .api_key("pyai_sk_test_0123456789")
        .max_retries(0)
        .disable_pacing()
}

fn specala(server: &Server) -> surefoot::ClientBuilder {
    surefoot::specala::Client::builder()
        .base_url(&server.url)
        .api_key("spk_test_0123456789")
        .max_retries(0)
        .disable_pacing()
}

#[tokio::test]
async fn a_job_with_numeric_created_at_unknown_fields_and_odd_types_is_a_success() {
    let server = Server::start(|req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/transcription/jobs") => reply_json(
            201,
            json!({"id": "job_n1", "status": "queued", "created_at": 1_767_225_600,
                   "language": null, "audio_url": 7, "priority": "high",
                   "usage": {"seconds": 12}}),
        ),
        ("GET", "/v1/transcription/jobs/job_n1") => reply_json(
            200,
            json!({"id": "job_n1", "status": 3, "created_at": 1_767_225_600.25}),
        ),
        _ => reply_json(
            404,
            json!({"error": {"message": "no", "code": "not_found"}}),
        ),
    })
    .await;
    let client = pyai(&server).build_pyai().unwrap();
    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav").language("en"))
        .await
        .unwrap();
    assert_eq!(job.id(), "job_n1");
    assert_eq!(job.status(), Some("queued"));
    assert_eq!(job.audio_url(), None, "a number where text was expected");
    assert_eq!(job.language(), None, "null");
    assert_eq!(job.metadata(), None, "missing");
    assert_eq!(
        job.created_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert_eq!(job.created_at_raw(), Some(&json!(1_767_225_600)));
    assert_eq!(job.get("priority"), Some(&json!("high")));
    assert_eq!(job.raw()["usage"], json!({"seconds": 12}));
    assert_eq!(
        serde_json::to_value(&job).unwrap()["usage"]["seconds"],
        json!(12),
        "serialises back to the server's JSON"
    );

    let again = client.jobs().get("job_n1").await.unwrap();
    assert_eq!(again.status(), None, "a number where text was expected");
    assert_eq!(
        again.created_at(),
        Some(UNIX_EPOCH + Duration::from_millis(1_767_225_600_250))
    );
}

#[tokio::test]
async fn a_2xx_create_answer_without_an_id_is_invalid_response_with_the_idempotency_key() {
    let server = Server::start(|req| match req.path() {
        "/v1/transcription/jobs" if req.header("idempotency-key") == Some("line-9") => reply_json(
            201,
            json!({"status": "queued", "created_at": "2026-01-01T00:00:00Z"}),
        ),
        _ => Reply(200, "text/plain", b"accepted".to_vec()),
    })
    .await;
    let client = pyai(&server).build_pyai().unwrap();

    let err = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav").idempotency_key("line-9"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert_eq!(err.kind(), surefoot::ErrorKind::Server);
    assert_eq!(err.status(), Some(201));
    assert_eq!(err.request_id(), Some("req_1"));
    assert_eq!(err.idempotency_key(), Some("line-9"));
    let body: Value = serde_json::from_slice(err.body().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"status": "queued", "created_at": "2026-01-01T00:00:00Z"})
    );
    assert!(
        err.message().contains("a job has no `id`"),
        "{}",
        err.message()
    );
    assert!(
        err.message()
            .ends_with("retrying with idempotency key line-9 is safe"),
        "{}",
        err.message()
    );
    assert_eq!(
        server.seen().len(),
        1,
        "not retried: the server answered 2xx"
    );

    // Not JSON at all, with a generated key: the error names the key that was sent.
    let err = client
        .jobs()
        .create(CreateJob::new("https://example.com/b.wav"))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.status()), ("invalid_response", Some(200)));
    assert_eq!(err.body(), Some(&b"accepted"[..]));
    let sent = server.seen()[1]
        .header("idempotency-key")
        .unwrap()
        .to_string();
    assert_eq!(sent.len(), 36, "a UUID: {sent}");
    assert_eq!(err.idempotency_key(), Some(sent.as_str()));
    assert!(err.message().contains(&sent), "{}", err.message());
}

#[tokio::test]
async fn a_list_of_ids_and_titles_with_extra_envelope_members_and_no_last_cursor_is_walked() {
    let server = Server::start(|req| {
        let page = match req.query("cursor").as_deref() {
            None => json!({
                "object": "list", "has_more": true, "total": 5,
                "data": [{"id": "tr_5", "title": "Five"}, {"id": "tr_4", "title": null},
                         {"id": 3, "title": ["not", "text"], "owner": {"team": "x"}}],
                "next_cursor": "c2",
            }),
            // The last page has no `next_cursor` member at all.
            Some("c2") => json!({
                "object": "list", "has_more": false,
                "data": [{"id": "tr_2", "title": "Two", "created_at": 1_767_225_600.5,
                          "duration_seconds": "12"},
                         {"id": "tr_1", "created_at": "2026-01-01T01:00:00+01:00",
                          "duration_seconds": 61.5, "language": "fr"}],
            }),
            Some(_) => return reply_json(400, json!({"detail": "bad cursor"})),
        };
        reply_json(200, page)
    })
    .await;
    let client = specala(&server).build_specala().unwrap();
    let all: Vec<surefoot::specala::Transcription> = client
        .transcriptions()
        .list()
        .limit(3)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["tr_5", "tr_4", "3", "tr_2", "tr_1"]);
    let titles: Vec<Option<&str>> = all.iter().map(|t| t.title()).collect();
    assert_eq!(titles, [Some("Five"), None, None, Some("Two"), None]);
    assert_eq!(all[2].raw()["owner"], json!({"team": "x"}));
    assert_eq!(
        all[3].duration_seconds(),
        None,
        "a string where a number was expected"
    );
    assert_eq!(
        all[3].created_at(),
        Some(UNIX_EPOCH + Duration::from_millis(1_767_225_600_500))
    );
    assert_eq!(all[4].duration_seconds(), Some(61.5));
    assert_eq!(all[4].language(), Some("fr"));
    assert_eq!(
        all[4].created_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert_eq!(server.seen().len(), 2, "two pages, then the end");
    assert_eq!(server.seen()[0].query("limit").as_deref(), Some("3"));
}

#[tokio::test]
async fn a_list_item_without_an_id_is_invalid_response_naming_it() {
    let server =
        Server::start(|_| reply_json(200, json!({"data": [{"id": "j1"}, {"title": "no id"}]})))
            .await;
    let client = pyai(&server).build_pyai().unwrap();
    let err = client
        .jobs()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.status()), ("invalid_response", Some(200)));
    assert!(
        err.message().contains("a job has no `id`"),
        "{}",
        err.message()
    );
    assert_eq!(err.request_id(), Some("req_1"));
}

#[tokio::test]
async fn bulk_export_items_without_format_and_with_unknown_members_are_documents() {
    let server = Server::start(|req| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let data: Vec<Value> = body["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                let id = id.as_str().unwrap();
                if id == "tr_bad" {
                    json!({"id": id, "content": null})
                } else {
                    json!({"id": id, "content": format!("# {id}\n"), "pages": 1})
                }
            })
            .collect();
        reply_json(
            200,
            json!({"object": "list", "data": data, "next_cursor": null}),
        )
    })
    .await;
    let client = specala(&server).build_specala().unwrap();
    let ids: Vec<String> = (0..150).map(|i| format!("tr_{i}")).collect();
    let docs = client
        .transcriptions()
        .bulk_export(&ids, Format::Md)
        .await
        .unwrap();
    assert_eq!(docs.len(), 150);
    assert_eq!(
        (docs[149].id(), docs[149].content()),
        ("tr_149", "# tr_149\n")
    );
    assert_eq!(docs[0].format(), None);
    assert_eq!(docs[0].get("pages"), Some(&json!(1)));
    assert_eq!(server.seen().len(), 2, "chunks of 100");

    let err = client
        .transcriptions()
        .bulk_export(&["tr_ok", "tr_bad"], Format::Txt)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(
        err.message()
            .contains("an exported document has no `content` string"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn keys_with_numeric_ids_and_missing_members_are_read() {
    let server = Server::start(|req| match req.method.as_str() {
        "POST" => reply_json(
            201,
            json!({"id": 17, "key": "spk_new_0123456789abf00d", "object": "api_key"}),
        ),
        "GET" => reply_json(
            200,
            json!({"data": [{"id": 17, "created_at": 1_767_225_600}]}),
        ),
        _ => Reply(204, "text/plain", Vec::new()),
    })
    .await;
    let client = specala(&server).build_specala().unwrap();
    let created = client.keys().create("ci").await.unwrap();
    assert_eq!(created.id(), "17");
    assert_eq!(created.name(), None);
    assert_eq!(created.key(), Some("spk_new_0123456789abf00d"));
    assert!(
        !format!("{created:?}").contains("0123456789"),
        "Debug masks the secret"
    );
    let listed = client.keys().list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id(), "17");
    assert_eq!(
        listed[0].created_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    client.keys().revoke(created.id()).await.unwrap();
    assert_eq!(server.seen()[2].target, "/v1/keys/17");
}

#[tokio::test]
async fn overridden_paths_are_the_ones_requested() {
    let server = Server::start(|req| match (req.method.as_str(), req.path()) {
        ("POST", "/v2/audio/jobs") => reply_json(201, json!({"id": "j1", "status": "queued"})),
        ("GET", "/v2/audio/jobs") => reply_json(200, json!({"data": [{"id": "j1"}]})),
        ("GET", "/v2/audio/jobs/j1/state") => reply_json(200, json!({"id": "j1"})),
        ("POST", "/v2/rt") => reply_json(201, json!({"id": "s1"})),
        ("DELETE", "/v2/rt/s1") => Reply(204, "text/plain", Vec::new()),
        _ => reply_json(
            404,
            json!({"error": {"message": "unknown path", "code": "not_found"}}),
        ),
    })
    .await;
    let client = pyai(&server)
        .path("pyai.jobs", "/v2/audio/jobs")
        .path("pyai.job", "/v2/audio/jobs/{id}/state")
        .path("pyai.realtime_sessions", "/v2/rt")
        .path("pyai.realtime_session", "/v2/rt/{id}")
        .build_pyai()
        .unwrap();
    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav"))
        .await
        .unwrap();
    assert_eq!(job.id(), "j1");
    assert_eq!(client.jobs().get("j1").await.unwrap().id(), "j1");
    let listed: Vec<_> = client.jobs().list().try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    let session = client.realtime().open("agent-1").await.unwrap();
    assert_eq!(
        (session.id(), session.agent_id()),
        ("s1", "agent-1"),
        "the agent asked for when the server does not repeat it"
    );
    assert_eq!(session.raw(), &json!({"id": "s1"}));
    session.close().await.unwrap();
    let paths: Vec<String> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path()))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /v2/audio/jobs",
            "GET /v2/audio/jobs/j1/state",
            "GET /v2/audio/jobs",
            "POST /v2/rt",
            "DELETE /v2/rt/s1"
        ]
    );
}

#[tokio::test]
async fn renamed_members_are_read_under_the_names_the_client_was_given() {
    // A server with its own names: `items` / `next` for the envelope, `state` and
    // `created` in jobs (and a `created` inside metadata that stays as sent).
    let server = Server::start(|req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/transcription/jobs") => reply_json(
            201,
            json!({"id": "job_9", "state": "queued", "created": 1_767_225_600,
                   "metadata": {"created": "by hand"}}),
        ),
        ("GET", "/v1/transcription/jobs") => match req.query("cursor").as_deref() {
            None => reply_json(
                200,
                json!({"items": [{"id": "job_2", "state": "running"}], "next": "n2"}),
            ),
            _ => reply_json(
                200,
                json!({"items": [{"id": "job_1", "state": "succeeded"}], "next": null}),
            ),
        },
        _ => reply_json(
            404,
            json!({"error": {"code": "not_found", "message": "no"}}),
        ),
    })
    .await;
    let client = pyai(&server)
        .field("status", "state")
        .field("created_at", "created")
        .field("data", "items")
        .field("next_cursor", "next")
        .build_pyai()
        .unwrap();
    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav"))
        .await
        .unwrap();
    assert_eq!(job.status(), Some("queued"));
    assert_eq!(
        job.created_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert_eq!(job.raw()["state"], "queued", "the server's member stays");
    assert_eq!(job.raw()["metadata"], json!({"created": "by hand"}));
    let listed: Vec<surefoot::pyai::Job> = client.jobs().list().try_collect().await.unwrap();
    let statuses: Vec<_> = listed.iter().map(|j| (j.id(), j.status())).collect();
    assert_eq!(
        statuses,
        [("job_2", Some("running")), ("job_1", Some("succeeded"))]
    );
    assert_eq!(server.seen()[2].query("cursor").as_deref(), Some("n2"));

    // Without the renames the same server's list is not a list.
    let plain = pyai(&server).build_pyai().unwrap();
    let err = plain
        .jobs()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(
        err.message().contains("has no `data` array"),
        "{}",
        err.message()
    );
}
