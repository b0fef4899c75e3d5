"""Pool, proxy and TLS settings given to surefoot's httpx transports and requests adapter:
accepted where they describe what surefoot does, refused otherwise with an
``InvalidRequestError`` naming the argument; the environment's proxy is used (checked
through a recording proxy of this test on loopback)."""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, List

import httpx
import pytest
import requests
from urllib3.util.retry import Retry

import surefoot
import surefoot.httpx
import surefoot.httpx2
import surefoot.requests

from conftest import PYAI_KEY, emulator

AUTH = {"Authorization": f"Bearer {PYAI_KEY}"}


@pytest.mark.parametrize(
    "cls",
    [
        surefoot.httpx.HTTPTransport,
        surefoot.httpx.AsyncHTTPTransport,
        surefoot.httpx2.HTTPTransport,
        surefoot.httpx2.AsyncHTTPTransport,
    ],
)
@pytest.mark.parametrize(
    "name, value, why",
    [
        ("verify", False, "root store"),
        ("verify", ssl.create_default_context(), "root store"),
        ("cert", ("client.pem", "client.key"), "client certificate"),
        ("trust_env", False, "HTTPS_PROXY"),
        ("proxy", "http://proxy.internal:3128", "HTTPS_PROXY"),
        ("limits", httpx.Limits(max_connections=4), "pool"),
        ("retries", 3, "max_retries"),
        ("http1", False, "HTTP/1.1"),
        ("uds", "/tmp/socket", "TCP"),
        ("local_address", "0.0.0.0", "local address"),
    ],
)
def test_httpx_settings_surefoot_cannot_honour_are_refused(cls: Any, name: str, value: Any, why: str) -> None:
    with pytest.raises(surefoot.InvalidRequestError) as info:
        cls(**{name: value})
    assert f"{cls.__module__}.{cls.__name__}: {name}=" in str(info.value)
    assert why in str(info.value)


def test_httpx_settings_that_describe_surefoot_are_accepted() -> None:
    transport = surefoot.httpx.HTTPTransport(
        verify=True, cert=None, trust_env=True, proxy=None, http1=True, http2=True, limits=None, retries=0
    )
    with emulator("pyai") as emu, httpx.Client(transport=transport) as client:
        assert client.get(emu.url + "/v1/transcription/jobs", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "options, name",
    [
        ({"pool_connections": 20}, "pool_connections"),
        ({"pool_maxsize": 20}, "pool_maxsize"),
        ({"pool_block": True}, "pool_block"),
        ({"max_retries": Retry(total=5)}, "max_retries"),
    ],
)
def test_requests_adapter_settings_are_refused(options: Dict[str, Any], name: str) -> None:
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.requests.HTTPAdapter(**options)
    assert f"surefoot.requests.HTTPAdapter: {name}=" in str(info.value)


@pytest.mark.parametrize(
    "per_request, name",
    [
        ({"verify": False}, "verify"),
        ({"verify": "/etc/ssl/private-ca.pem"}, "verify"),
        ({"cert": ("client.pem", "client.key")}, "cert"),
        ({"proxies": {"http": "http://proxy.internal:3128"}}, "proxies"),
    ],
)
def test_requests_per_request_settings_are_refused_before_sending(per_request: Dict[str, Any], name: str) -> None:
    with emulator("pyai") as emu:
        session = requests.Session()
        session.mount(emu.url, surefoot.requests.HTTPAdapter(max_retries=2))
        with pytest.raises(surefoot.InvalidRequestError) as info:
            session.get(emu.url + "/v1/transcription/jobs", headers=AUTH, **per_request)
        assert f"{name}=" in str(info.value)
        assert sum(emu.stats()["requests"].get("GET /v1/transcription/jobs", {}).values()) == 0
        # The defaults go through.
        assert session.get(emu.url + "/v1/transcription/jobs", headers=AUTH).status_code == 200


class _Proxy(http.server.ThreadingHTTPServer):
    seen: List[str]


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A forward proxy that answers every request itself, recording the target it names."""

    server: _Proxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        body = b'{"via": "proxy"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


CLIENTS = r"""
import sys, httpx, requests, surefoot.httpx, surefoot.requests
target = sys.argv[1]
session = requests.Session()
session.mount("http://", surefoot.requests.HTTPAdapter())
print(session.get(target + "/requests", headers={"Authorization": "Bearer sk-proxy-0001"}).json()["via"])
client = httpx.Client(transport=surefoot.httpx.HTTPTransport())
print(client.get(target + "/httpx", headers={"Authorization": "Bearer sk-proxy-0001"}).json()["via"])
"""


def test_the_environments_proxy_is_used() -> None:
    proxy = _Proxy(("127.0.0.1", 0), _ProxyHandler)
    proxy.seen = []
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["HTTP_PROXY"] = f"http://127.0.0.1:{proxy.server_address[1]}"
        # Nothing listens there: only the proxy can answer.
        target = "http://127.0.0.1:9"
        out = subprocess.run(
            [sys.executable, "-c", CLIENTS, target], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["proxy", "proxy"]
        assert proxy.seen == [target + "/requests", target + "/httpx"]
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join()


class _Forwarder(http.server.ThreadingHTTPServer):
    key: str
    keyed: List[bool]


class _ForwardHandler(http.server.BaseHTTPRequestHandler):
    """A forward proxy that passes each request on to the target it names (without a proxy
    of its own) and records whether it carried the client's key (a bool: the key itself is
    never kept or printed)."""

    server: _Forwarder

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        auth = self.headers.get("authorization")
        self.server.keyed.append(auth == f"Bearer {self.server.key}")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
        req = urllib.request.Request(self.path, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=10) as resp:
                status, body, ctype = resp.status, resp.read(), resp.headers.get("content-type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("content-type", "")
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


KEYED = r"""
import sys, surefoot
client = surefoot.Client(sys.argv[1], sys.argv[2], max_retries=0)
print(client.get("/v1/transcription/jobs").status_code)
"""


def test_a_keyed_client_sends_its_key_through_the_environments_proxy() -> None:
    """With a proxy in the environment, calls go through reqwest's stack (not surefoot's
    lean one): the client's key still reaches the server, in the Authorization header."""
    with emulator("pyai") as emu:
        proxy = _Forwarder(("127.0.0.1", 0), _ForwardHandler)
        proxy.key, proxy.keyed = PYAI_KEY, []
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
            env["HTTP_PROXY"] = f"http://127.0.0.1:{proxy.server_address[1]}"
            out = subprocess.run(
                [sys.executable, "-c", KEYED, emu.url, PYAI_KEY], env=env, capture_output=True, text=True, timeout=60
            )
            assert out.returncode == 0, out.stderr
            assert out.stdout.split() == ["200"]
            assert proxy.keyed == [True]
            assert sum(emu.stats()["requests"].get("GET /v1/transcription/jobs", {}).values()) == 1
        finally:
            proxy.shutdown()
            proxy.server_close()
            thread.join()
