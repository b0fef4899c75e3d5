//! HTTPS against nginx (a server no one here wrote) with certificates made by `openssl`
//! (a private CA, a server certificate for 127.0.0.1 and one for another name): `ca_file`
//! makes the client trust that CA instead of the Mozilla roots, on the blocking (calling
//! thread) and async stacks; without it, or with a certificate for another name, the call
//! fails saying why; a redirect from `http://` to `https://` on another port goes on with
//! the key dropped; and the option's own errors name `ca_file` and the file. nginx logs
//! whether an `Authorization` header came, never its value.

mod nginx_support;
mod port_support;
mod redis_support;

use nginx_support::Nginx;
use redis_support::Certs;

const KEY: &str = "sk-https-test-key-0001";
const JOB: &[u8] = br#"{"id": "job_1", "status": "done", "extra": {"from": "nginx"}}"#;

/// The CA's files, and nginx on three ports: HTTPS with the server certificate, plain HTTP
/// redirecting `/hop` to the first port's `/job.json`, HTTPS with the other name's.
struct Servers {
    certs: Certs,
    nginx: Nginx,
    _dir: tempfile::TempDir,
}

impl Servers {
    fn start() -> Servers {
        let dir = tempfile::tempdir().unwrap();
        let certs = Certs::make(dir.path());
        let nginx = Nginx::start(3, &[("html/job.json", JOB)], |d, p| {
            let c = |f: &str| certs.path(f);
            format!(
                "  map $http_authorization $has_key {{ \"\" no; default yes; }}
  log_format seen '$server_port $uri $has_key';
  access_log {d}/access.log seen;
  default_type application/json;
  server {{
    listen 127.0.0.1:{p0} ssl;
    ssl_certificate {server}; ssl_certificate_key {server_key};
    root {d}/html;
  }}
  server {{
    listen 127.0.0.1:{p1};
    location = /hop {{ return 302 https://127.0.0.1:{p0}/job.json; }}
  }}
  server {{
    listen 127.0.0.1:{p2} ssl;
    ssl_certificate {wrong}; ssl_certificate_key {wrong_key};
    root {d}/html;
  }}",
                p0 = p[0],
                p1 = p[1],
                p2 = p[2],
                server = c("server.pem"),
                server_key = c("server.key"),
                wrong = c("wrongname.pem"),
                wrong_key = c("wrongname.key"),
            )
        });
        Servers {
            certs,
            nginx,
            _dir: dir,
        }
    }

    fn url(&self, i: usize) -> String {
        let scheme = if i == 1 { "http" } else { "https" };
        format!("{scheme}://127.0.0.1:{}", self.nginx.ports[i])
    }

    /// The access log's lines: "port uri yes|no" (whether a key came).
    fn seen(&self) -> Vec<String> {
        self.nginx.access_log().lines().map(str::to_owned).collect()
    }
}

fn builder(url: &str) -> surefoot::ClientBuilder {
    surefoot::Client::builder()
        .base_url(url)
        .api_key(KEY)
        .max_retries(0)
}

fn blocking(b: surefoot::ClientBuilder) -> surefoot::blocking::Client {
    surefoot::blocking::Client::new(b).unwrap()
}

#[test]
fn ca_file_trusts_a_private_ca_on_the_calling_threads_stack() {
    let s = Servers::start();
    let client = blocking(builder(&s.url(0)).ca_file(s.certs.path("ca.pem")));
    let resp = client.get("/job.json").send().unwrap();
    assert_eq!(resp.status(), 200);
    let job: serde_json::Value = resp.json().unwrap();
    assert_eq!(job["extra"]["from"], "nginx");
    assert_eq!(s.seen(), [format!("{} /job.json yes", s.nginx.ports[0])]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_file_trusts_a_private_ca_on_the_async_stack() {
    let s = Servers::start();
    let client = builder(&s.url(0))
        .ca_file(s.certs.path("ca.pem"))
        .build()
        .unwrap();
    for _ in 0..3 {
        let resp = client.get("/job.json").send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().as_ref(), JOB);
    }
    assert_eq!(s.seen().len(), 3);
}

#[test]
fn without_ca_file_the_private_ca_is_refused_at_once_and_nothing_is_sent() {
    let s = Servers::start();
    // Default retries: a refused certificate is not retried, nor taken for an outage.
    let client = blocking(surefoot::Client::builder().base_url(s.url(0)).api_key(KEY));
    let e = client.get("/job.json").send().unwrap_err();
    assert!(e.is_certificate_refused() && !e.is_retryable(), "{e}");
    assert_eq!((e.code(), e.attempts()), ("connection_error", 1));
    let e = client.get("/job.json").send().unwrap_err();
    assert_eq!(e.attempts(), 1, "{e}");
    let text = e.to_string();
    assert!(text.contains("certificate"), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
    assert!(
        text.contains("give that CA's PEM file as ca_file"),
        "{text}"
    );
    assert!(!text.contains(KEY) && !format!("{e:?}").contains(KEY));
    assert!(s.seen().is_empty(), "{:?}", s.seen());
}

#[test]
fn a_certificate_for_another_name_is_refused_with_ca_file() {
    let s = Servers::start();
    let client = blocking(builder(&s.url(2)).ca_file(s.certs.path("ca.pem")));
    let e = client.get("/job.json").send().unwrap_err();
    assert!(e.is_certificate_refused(), "{e}");
    let text = e.to_string();
    assert!(text.contains("certificate not valid for name"), "{text}");
    assert!(!text.contains("ca_file"), "{text}");
    assert!(s.seen().is_empty(), "{:?}", s.seen());
}

#[test]
fn a_redirect_to_https_on_another_port_goes_on_without_the_key() {
    let s = Servers::start();
    let client = blocking(builder(&s.url(1)).ca_file(s.certs.path("ca.pem")));
    let resp = client.get("/hop").send().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().as_ref(), JOB);
    let (p0, p1) = (s.nginx.ports[0], s.nginx.ports[1]);
    assert_eq!(
        s.seen(),
        [format!("{p1} /hop yes"), format!("{p0} /job.json no")]
    );
}

fn build_error(b: surefoot::ClientBuilder) -> String {
    let e = b.build().unwrap_err();
    assert_eq!(e.code(), "invalid_request", "{e}");
    e.message().to_owned()
}

#[test]
fn ca_file_errors_name_the_option_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let base = || builder("https://127.0.0.1:9");
    let missing = format!("{d}/missing.pem");
    let msg = build_error(base().ca_file(&missing));
    assert!(
        msg.starts_with(&format!("`ca_file` file `{missing}` cannot be read (")),
        "{msg}"
    );
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    assert_eq!(
        build_error(base().ca_file(dir.path().join("junk.pem"))),
        format!("`ca_file` file `{d}/junk.pem` holds no PEM certificate")
    );
    std::fs::write(
        dir.path().join("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nTUlJQm9ndXM=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let msg = build_error(base().ca_file(dir.path().join("bad.pem")));
    assert!(
        msg.starts_with(&format!(
            "`ca_file` file `{d}/bad.pem` holds a certificate that cannot be used: "
        )),
        "{msg}"
    );
    let big = dir.path().join("big.pem");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    assert_eq!(
        build_error(base().ca_file(&big)),
        format!("`ca_file` file `{d}/big.pem` is larger than 16 MiB")
    );
    for not_a_file in ["/dev/zero".to_owned(), d.to_string()] {
        assert_eq!(
            build_error(base().ca_file(&not_a_file)),
            format!("`ca_file` file `{not_a_file}` is not a regular file")
        );
    }
    assert_eq!(
        build_error(base().ca_file(" ")),
        "ca_file must not be empty or blank, or none for the Mozilla roots"
    );
    let certs = Certs::make(dir.path());
    let with = base().ca_file(certs.path("ca.pem")).build().unwrap();
    assert_eq!(with.describe_option("ca_file"), Some(certs.path("ca.pem")));
    let without = base().build().unwrap();
    assert_eq!(
        without.describe_option("ca_file").as_deref(),
        Some("the Mozilla roots")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_certificates_do_not_make_an_outage() {
    let s = Servers::start();
    let client = surefoot::Client::builder()
        .base_url(s.url(0))
        .api_key(KEY)
        .build()
        .unwrap();
    // More calls in a row than an outage takes (retry::hold::OUTAGE_THRESHOLD): each fails
    // on its one attempt, and the host is not held.
    for _ in 0..surefoot::retry::hold::OUTAGE_THRESHOLD + 2 {
        let e = client.get("/job.json").send().await.unwrap_err();
        assert!(e.is_certificate_refused(), "{e}");
        assert_eq!(e.attempts(), 1, "{e}");
    }
    assert_eq!(client.outage(), None);
}
