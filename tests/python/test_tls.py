"""HTTPS against nginx (a server no one here wrote) with certificates made by ``openssl`` (a
private CA and a server certificate for 127.0.0.1): ``ca_file`` (a ``str`` or a
``pathlib.Path``) makes ``surefoot.Client`` trust that CA; without it the call fails at
once, saying why; the real openai SDK runs over HTTPS on surefoot's httpx transport given
httpx's ``verify="ca.pem"`` or ``SSL_CERT_FILE``, and requests over the adapter given
``ca_file=`` or ``REQUESTS_CA_BUNDLE``, as httpx and requests read them. nginx logs
whether an ``Authorization`` header came, never its value."""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Iterator, List, NamedTuple

import httpx
import openai
import pytest
import requests

import surefoot
import surefoot.httpx
import surefoot.requests

KEY = "sk-tls-test-key-0001"
JOB = b'{"id": "job_1", "status": "done", "extra": {"from": "nginx"}}'
MODEL = b'{"id": "m1", "object": "model", "created": 0, "owned_by": "nginx"}'


class Server(NamedTuple):
    url: str
    ca: pathlib.Path
    log: pathlib.Path

    def seen(self) -> List[str]:
        """The access log's lines ("uri yes|no": whether a key came), once it is still."""
        text = ""
        for _ in range(40):
            again = self.log.read_text() if self.log.exists() else ""
            if again == text and text:
                break
            text = again
            time.sleep(0.05)
        return text.splitlines()


def _openssl(cwd: pathlib.Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certs(d: pathlib.Path) -> None:
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(d, "req", "-x509", "-days", "2", "-subj", "/CN=surefoot test CA", *ec, "-keyout", "ca.key",
             "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl(d, "req", "-subj", "/CN=server", *ec, "-keyout", "server.key", "-out", "server.csr")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", "server.pem", "-extfile", "server.ext")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[Server]:
    # Not pytest's tmp_path: its parent is private, and nginx's worker (another user when
    # the tests run as root) must read the files.
    d = pathlib.Path(tempfile.mkdtemp(prefix="surefoot-tls-"))
    d.chmod(0o755)
    _certs(d)
    for name, body in (("job.json", JOB), ("v1/models/m1", MODEL)):
        (d / "html" / name).parent.mkdir(parents=True, exist_ok=True)
        (d / "html" / name).write_bytes(body)
    port = _free_port()
    (d / "nginx.conf").write_text(f"""worker_processes 1; daemon off; error_log {d}/error.log crit; pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};
  map $http_authorization $has_key {{ "" no; default yes; }}
  log_format seen '$uri $has_key';
  access_log {d}/access.log seen;
  default_type application/json;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/server.pem; ssl_certificate_key {d}/server.key;
    root {d}/html;
  }}
}}
""")
    nginx = "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else shutil.which("nginx") or "nginx"
    proc = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Server(f"https://127.0.0.1:{port}", d / "ca.pem", d / "access.log")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("as_path", [True, False], ids=["pathlib", "str"])
def test_ca_file_trusts_a_private_ca(server: Server, as_path: bool) -> None:
    ca = server.ca if as_path else str(server.ca)
    with surefoot.Client(server.url, api_key=KEY, ca_file=ca) as client:
        assert client.get("/job.json").json()["extra"] == {"from": "nginx"}
        assert client.describe_option("ca_file") == str(server.ca)
    assert server.seen() == ["/job.json yes"]


def test_without_ca_file_the_call_fails_at_once_saying_why(server: Server) -> None:
    with surefoot.Client(server.url, api_key=KEY) as client:
        with pytest.raises(surefoot.APIConnectionError) as info:
            client.get("/job.json")
    e = info.value
    assert "UnknownIssuer" in str(e) and "as ca_file" in str(e)
    assert KEY not in str(e) and KEY not in repr(e)
    assert (e.attempts, e.retryable) == (1, False)
    assert server.seen() == []


def test_a_missing_ca_file_is_refused_naming_it(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.Client("https://127.0.0.1:9", api_key=KEY, ca_file=missing)
    assert info.value.message.startswith(f"`ca_file` file `{missing}` cannot be read (")


def test_the_openai_sdk_over_https_with_httpx_verify(server: Server) -> None:
    transport = surefoot.httpx.HTTPTransport(verify=str(server.ca))
    with httpx.Client(transport=transport) as http:
        # openai 3 types it as an httpx2 client; an httpx one works (openai accepts both).
        sdk = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, http_client=http, max_retries=0)  # type: ignore[arg-type]
        model = sdk.models.retrieve("m1")
    assert (model.id, model.owned_by) == ("m1", "nginx")
    assert server.seen() == ["/v1/models/m1 yes"]
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.httpx.HTTPTransport(verify=str(server.ca), ca_file=str(server.ca))
    assert "verify=" in str(info.value) and "once" in str(info.value)


def test_requests_over_https_with_the_adapters_ca_file(server: Server) -> None:
    session = requests.Session()
    session.mount("https://", surefoot.requests.HTTPAdapter(ca_file=server.ca, max_retries=0))
    auth = {"Authorization": f"Bearer {KEY}"}
    assert session.get(server.url + "/job.json", headers=auth).json()["status"] == "done"
    assert session.get(server.url + "/job.json", headers=auth, verify=str(server.ca)).status_code == 200
    with pytest.raises(surefoot.InvalidRequestError) as info:
        session.get(server.url + "/job.json", headers=auth, verify="/etc/ssl/other-ca.pem")
    assert "verify=" in str(info.value)
    assert server.seen() == ["/job.json yes", "/job.json yes"]


def test_the_transports_read_the_bundle_their_library_would(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca))
    with httpx.Client(transport=surefoot.httpx.HTTPTransport()) as http:
        # openai 3 types it as an httpx2 client; an httpx one works (openai accepts both).
        sdk = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, http_client=http, max_retries=0)  # type: ignore[arg-type]
        assert sdk.models.retrieve("m1").id == "m1"
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(server.ca))
    session = requests.Session()
    session.mount("https://", surefoot.requests.HTTPAdapter(max_retries=0))
    assert session.get(server.url + "/job.json", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert server.seen() == ["/v1/models/m1 yes", "/job.json yes"]


def test_a_bundle_from_the_environment_that_cannot_be_used_names_the_variable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "gone.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.httpx.AsyncHTTPTransport()
    assert info.value.message.startswith(f"SSL_CERT_FILE names a CA bundle surefoot cannot use: `ca_file` file `{missing}`")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.requests.HTTPAdapter()
    assert info.value.message.startswith("REQUESTS_CA_BUNDLE names a CA bundle surefoot cannot use: ")
    # A bundle given to the transport wins over the environment's.
    _certs(tmp_path)
    surefoot.httpx.HTTPTransport(verify=tmp_path / "ca.pem").close()
    surefoot.requests.HTTPAdapter(ca_file=str(tmp_path / "ca.pem")).close()
