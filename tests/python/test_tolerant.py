"""Tolerant models against an independent server (a stdlib ``http.server`` on 127.0.0.1,
port 0, not the emulator) whose answers differ from the brief's guessed format: missing
fields, Unix-second timestamps, unknown members, extra list envelope members, nulls, wrong
types, other paths; 2xx answers that cannot be read; and the emulator's minimal form."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import PYAI_KEY, SPECALA_KEY, emulator

Answer = Tuple[int, str, bytes]
Route = Callable[[str, str, Dict[str, List[str]], Dict[str, str], bytes], Answer]

OPTS: Dict[str, Any] = {"max_retries": 0, "pacing": False, "timeout": 10.0}


def js(status: int, value: Any) -> Answer:
    return status, "application/json", json.dumps(value).encode()


class Server:
    """Answers every request with ``route(method, path, query, headers, body)``; records
    what it saw; adds ``x-request-id: req_<n>``."""

    def __init__(self, route: Route) -> None:
        self.seen: List[Tuple[str, str, Dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.seen.append((self.command, self.path, headers))
                status, ctype, out = route(
                    self.command, url.path, parse_qs(url.query), headers, body
                )
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(out)))
                self.send_header("x-request-id", f"req_{len(server.seen)}")
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_DELETE = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Route], Server]]:
    servers: List[Server] = []

    def start(route: Route) -> Server:
        s = Server(route)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


JOB = {
    "id": "job_n1",
    "status": "queued",
    "created_at": 1767225600,
    "language": None,
    "audio_url": 7,
    "priority": "high",
    "usage": {"seconds": 12},
}


def test_a_job_with_numeric_created_at_and_odd_types_is_a_success(
    serve: Callable[[Route], Server],
) -> None:
    def route(method: str, path: str, q: Any, h: Any, body: bytes) -> Answer:
        if (method, path) == ("POST", "/v1/transcription/jobs"):
            return js(201, JOB)
        if (method, path) == ("GET", "/v1/transcription/jobs/job_n1"):
            return js(200, {"id": "job_n1", "status": 3, "created_at": 1767225600.25})
        return js(404, {"error": {"message": "no", "code": "not_found"}})

    server = serve(route)
    client = surefoot.PyAI(PYAI_KEY, base_url=server.url, **OPTS)
    job = client.jobs.create("https://example.com/a.wav", language="en")
    assert job.id == "job_n1"
    assert job.status == "queued"
    assert job.audio_url is None  # a number where text was expected
    assert job.language is None  # null
    assert job.metadata is None  # missing
    assert job.created_at_raw == 1767225600
    assert job.created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert job.to_dict() == JOB  # every member the server sent, unknown ones included
    assert repr(job).startswith("Job(id='job_n1', ")

    again = client.jobs.get("job_n1")
    assert again.status is None
    assert again.created_at == datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=timezone.utc)
    assert again.to_dict() == {"id": "job_n1", "status": 3, "created_at": 1767225600.25}


def test_a_2xx_create_without_an_id_is_invalid_response_with_the_key(
    serve: Callable[[Route], Server],
) -> None:
    server = serve(lambda m, p, q, h, b: js(201, {"status": "queued"}))
    client = surefoot.PyAI(PYAI_KEY, base_url=server.url, **OPTS)
    with pytest.raises(surefoot.APIError) as info:
        client.jobs.create("https://example.com/a.wav", idempotency_key="line-9")
    e = info.value
    assert e.code == "invalid_response"
    assert e.status_code == 201
    assert e.request_id == "req_1"
    assert e.idempotency_key == "line-9"
    assert json.loads(e.body or b"") == {"status": "queued"}
    assert "a job has no `id`" in e.message
    assert e.message.endswith("retrying with idempotency key line-9 is safe")
    assert len(server.seen) == 1

    # A generated key is the one reported.
    with pytest.raises(surefoot.APIError) as info:
        client.jobs.create("https://example.com/b.wav")
    sent = server.seen[1][2]["idempotency-key"]
    assert len(sent) == 36
    assert info.value.idempotency_key == sent

    # Other errors of a create carry the key too; a plain get has none.
    with pytest.raises(surefoot.APIError) as info:
        client.jobs.get("job_1")
    assert info.value.idempotency_key is None


def test_a_list_of_ids_and_titles_with_extra_envelope_members_is_walked(
    serve: Callable[[Route], Server],
) -> None:
    def route(method: str, path: str, q: Dict[str, List[str]], h: Any, b: bytes) -> Answer:
        if "cursor" not in q:
            return js(200, {
                "object": "list", "has_more": True,
                "data": [{"id": "tr_3", "title": "Three"}, {"id": "tr_2", "title": None}],
                "next_cursor": "c2",
            })
        return js(200, {  # the last page: no next_cursor member at all
            "object": "list", "has_more": False,
            "data": [{"id": 1, "title": ["x"], "created_at": "2026-01-01T01:00:00+01:00",
                      "duration_seconds": "12", "speakers": 2}],
        })

    server = serve(route)
    client = surefoot.Specala(SPECALA_KEY, base_url=server.url, **OPTS)
    items = list(client.transcriptions.list(limit=2))
    assert [t.id for t in items] == ["tr_3", "tr_2", "1"]
    assert [t.title for t in items] == ["Three", None, None]
    last = items[2]
    assert last.duration_seconds is None
    assert last.created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert last.created_at_raw == "2026-01-01T01:00:00+01:00"
    assert last.to_dict()["speakers"] == 2
    assert items[0].created_at is None and items[0].created_at_raw is None
    assert len(server.seen) == 2


def test_paths_are_overridable_per_client(serve: Callable[[Route], Server]) -> None:
    def route(method: str, path: str, q: Any, h: Any, b: bytes) -> Answer:
        if (method, path) == ("POST", "/v2/jobs"):
            return js(201, {"id": "j1"})
        if (method, path) == ("GET", "/v2/jobs/j1/state"):
            return js(200, {"id": "j1", "status": "running"})
        return js(404, {"error": {"message": "unknown path", "code": "not_found"}})

    server = serve(route)
    client = surefoot.PyAI(
        PYAI_KEY,
        base_url=server.url,
        paths={"pyai.jobs": "/v2/jobs", "pyai.job": "/v2/jobs/{id}/state"},
        **OPTS,
    )
    assert client.jobs.create("https://example.com/a.wav").id == "j1"
    assert client.jobs.get("j1").status == "running"
    assert [s[1] for s in server.seen] == ["/v2/jobs", "/v2/jobs/j1/state"]

    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.PyAI(PYAI_KEY, base_url=server.url, paths={"pyai.job": "/v2/jobs"})
    assert info.value.message == 'path for pyai.job must contain {id} once (got "/v2/jobs")'
    with pytest.raises(surefoot.InvalidRequestError, match="unknown endpoint name"):
        surefoot.PyAI(PYAI_KEY, base_url=server.url, paths={"pyai.nope": "/x"})


def test_fields_are_renamable_per_client(serve: Callable[[Route], Server]) -> None:
    def route(method: str, path: str, q: Any, h: Any, b: bytes) -> Answer:
        if (method, path) == ("POST", "/v1/transcription/jobs"):
            return js(201, {"id": "j1", "state": "queued", "created": 1767225600})
        if (method, path) == ("GET", "/v1/transcription/jobs"):
            if "cursor" not in q:
                return js(200, {"items": [{"id": "j2", "state": "running"}], "next": "n2"})
            return js(200, {"items": [{"id": "j1", "state": "queued"}], "next": None})
        return js(404, {"error": {"message": "unknown path", "code": "not_found"}})

    server = serve(route)
    names = {"status": "state", "created_at": "created", "data": "items", "next_cursor": "next"}
    client = surefoot.PyAI(PYAI_KEY, base_url=server.url, fields=names, **OPTS)
    job = client.jobs.create("https://example.com/a.wav")
    assert (job.status, job.created_at) == (
        "queued",
        datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    assert job.to_dict()["state"] == "queued"
    assert [(j.id, j.status) for j in client.jobs.list()] == [("j2", "running"), ("j1", "queued")]

    with pytest.raises(surefoot.InvalidRequestError, match='unknown field "createdAt"'):
        surefoot.PyAI(PYAI_KEY, base_url=server.url, fields={"createdAt": "created"})
    with pytest.raises(surefoot.InvalidRequestError, match="fields must be a mapping"):
        surefoot.PyAI(PYAI_KEY, base_url=server.url, fields=["status"])  # type: ignore[arg-type]


def test_the_minimal_emulator_form_reads() -> None:
    with emulator("pyai", minimal=True) as emu:
        client = surefoot.PyAI(PYAI_KEY, base_url=emu.url, **OPTS)
        job = client.jobs.create("https://example.com/a.wav")
        assert isinstance(job.created_at_raw, float)
        assert job.created_at is not None and job.created_at.tzinfo is timezone.utc
        assert job.audio_url is None
        assert job.to_dict()["object"] == "transcription.job"
        listed = list(client.jobs.list())
        assert [j.to_dict() for j in listed] == [{"id": job.id, "status": "queued"}]
    with emulator("specala", minimal=True, transcriptions_per_workspace=5) as emu:
        specala = surefoot.Specala(SPECALA_KEY, base_url=emu.url, **OPTS)
        ids = [t.id for t in specala.transcriptions.list(limit=2)]
        assert len(ids) == 5
        docs = specala.transcriptions.bulk_export(ids, format="txt")
        assert list(docs) == ids and all(docs.values())


def test_errors_pickle_with_the_idempotency_key() -> None:
    import pickle

    e = surefoot.exceptions.APIError("x", code="invalid_response", idempotency_key="k-1")
    back = pickle.loads(pickle.dumps(e))
    assert back.idempotency_key == "k-1"


def test_emulator_accepts_minimal_only_as_bool() -> None:
    with pytest.raises(TypeError):
        Emulator(api="pyai", minimal="yes")  # type: ignore[arg-type]
