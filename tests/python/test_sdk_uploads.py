"""Multipart uploads through surefoot's httpx transport (httpx ``files=`` and the openai SDK's
``files.create``), against a loopback server of this test that records the bytes of every
attempt and drops the connection after reading a request, or answers 503, as scripted: a
POST with an ``Idempotency-Key`` (its own, or added by ``idempotency="auto"``) is resent
with identical bytes and the same key; one without a key is not resent."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from typing import Any, Dict, Iterator, List, Tuple

import httpx
import openai
import pytest

import surefoot.httpx

UPLOAD = b"".join(b'{"custom_id": "%d", "body": {}}\n' % i for i in range(2000))


class _Server(http.server.ThreadingHTTPServer):
    script: List[str]
    seen: List[Tuple[Dict[str, str], bytes]]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
        action = self.server.script.pop(0) if self.server.script else "200"
        if action == "drop":
            # The whole request was read; the connection closes with no answer.
            self.close_connection = True
            return
        status = int(action)
        out = json.dumps(
            {"id": "file-1", "object": "file", "bytes": len(body), "created_at": 0,
             "filename": "batch.jsonl", "purpose": "batch", "status": "processed"}
            if status == 200 else {"error": {"message": "overloaded", "type": "server_error"}}
        ).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@contextlib.contextmanager
def server(*script: str) -> Iterator[_Server]:
    """A server on a free loopback port whose answers follow ``script`` ("drop", or a
    status), then 200s; stopped on exit."""
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.script, srv.seen = list(script), []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


def url(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def _client(**options: Any) -> httpx.Client:
    return httpx.Client(transport=surefoot.httpx.HTTPTransport(backoff=(0.01, 0.05), **options))


def test_an_upload_with_its_key_is_resent_whole_after_a_dropped_connection() -> None:
    with server("drop") as srv, _client() as client:
        resp = client.post(
            url(srv) + "/v1/files",
            files={"file": ("batch.jsonl", UPLOAD, "application/jsonl")},
            data={"purpose": "batch"},
            headers={"Authorization": "Bearer sk-upload-0001", "Idempotency-Key": "upload-1"},
        )
        assert resp.status_code == 200
        (first_headers, first), (second_headers, second) = srv.seen
        assert first == second and UPLOAD in first
        assert first_headers["content-type"].startswith("multipart/form-data; boundary=")
        assert first_headers["content-type"] == second_headers["content-type"]
        assert first_headers["idempotency-key"] == second_headers["idempotency-key"] == "upload-1"


def test_openai_files_upload_with_auto_keys_is_resent_with_one_key() -> None:
    with server("drop") as srv, _client(idempotency="auto") as http_client:
        client = openai.OpenAI(
            base_url=url(srv) + "/v1", api_key="sk-upload-0002", max_retries=0,
            http_client=http_client,  # type: ignore[arg-type]
        )
        created = client.files.create(file=("batch.jsonl", UPLOAD), purpose="batch")
        assert created.id == "file-1" and created.bytes > len(UPLOAD)
        (first_headers, first), (second_headers, second) = srv.seen
        assert first == second and UPLOAD in first
        key = first_headers["idempotency-key"]
        assert key.startswith("sf-") and second_headers["idempotency-key"] == key


@pytest.mark.parametrize("failure", ["503", "drop"])
def test_an_upload_without_a_key_is_not_resent(failure: str) -> None:
    with server(failure) as srv, _client() as client:
        def upload() -> httpx.Response:
            return client.post(
                url(srv) + "/v1/files",
                files={"file": ("batch.jsonl", UPLOAD)},
                headers={"Authorization": "Bearer sk-upload-0003"},
            )
        if failure == "503":
            assert upload().status_code == 503
        else:
            with pytest.raises(httpx.ReadError):
                upload()
        assert len(srv.seen) == 1
        assert "idempotency-key" not in srv.seen[0][0]
