"""Retries, Retry-After, exactly-once creation, deadlines — the core's behaviour, seen from
Python."""

from __future__ import annotations

import time

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY

AUDIO = "https://example.com/a.wav"


def test_503_is_retried(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503, count=2)
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    resp = client.get("/v1/transcription/jobs")
    assert resp.status_code == 200
    assert resp.attempts == 3
    assert resp.json() == {"data": [], "next_cursor": None}
    assert pyai_emu.stats()["requests"]["GET /v1/transcription/jobs"] == {"503": 2, "200": 1}


def test_429_retry_after_is_honoured(pyai_emu: Emulator) -> None:
    pyai_emu.inject(
        "GET /v1/transcription/jobs",
        "status",
        status=429,
        body={"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}},
        headers={"Retry-After": "0.4"},
    )
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    started = time.monotonic()
    assert list(client.jobs.list()) == []
    elapsed = time.monotonic() - started
    assert elapsed >= 0.4, "the retry came before Retry-After"
    assert elapsed < 10.0


def test_retry_after_longer_than_allowed_fails_at_once(pyai_emu: Emulator) -> None:
    pyai_emu.inject(
        "GET /v1/transcription/jobs",
        "status",
        status=429,
        body={"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}},
        headers={"Retry-After": "3600"},
    )
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    started = time.monotonic()
    with pytest.raises(surefoot.RateLimitError) as info:
        client.get("/v1/transcription/jobs")
    assert time.monotonic() - started < 10.0, "it slept instead of failing at once"
    assert info.value.retry_after == 3600.0
    assert info.value.attempts == 1
    assert info.value.stop_reason == "wait_exceeds_max_retry_wait"


def test_the_reason_retrying_stopped_is_told(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503, count=5)
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, max_retries=1, **FAST)
    with pytest.raises(surefoot.InternalServerError) as info:
        client.get("/v1/transcription/jobs")
    assert info.value.attempts == 2
    assert info.value.stop_reason == "retries_exhausted"
    with pytest.raises(surefoot.NotFoundError) as nf:
        client.get("/v1/transcription/jobs/job_missing")
    assert nf.value.stop_reason == "not_retryable"


def test_job_created_exactly_once_through_a_dropped_connection(pyai_emu: Emulator) -> None:
    pyai_emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    job = client.jobs.create(AUDIO, language="en", metadata={"batch": 7, "tags": ["a", "b"]})
    assert job.audio_url == AUDIO and job.language == "en"
    assert job.metadata == {"batch": 7, "tags": ["a", "b"]}
    stats = pyai_emu.stats()
    assert stats["jobs_created"] == 1
    assert stats["idempotent_replays"] == 1
    assert stats["requests"]["POST /v1/transcription/jobs"] == {"dropped": 1, "201": 1}
    assert client.jobs.get(job.id) == job


def test_post_without_idempotency_key_is_not_retried_after_a_drop(pyai_emu: Emulator) -> None:
    pyai_emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    with pytest.raises(surefoot.APIConnectionError):
        client.post("/v1/transcription/jobs", json={"audio_url": AUDIO})
    assert pyai_emu.stats()["jobs_created"] == 1


def test_deadline_bounds_all_attempts(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503, count=0)
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, backoff=(0.2, 0.2), max_retries=50, deadline=0.5)
    started = time.monotonic()
    with pytest.raises(surefoot.SurefootError) as info:
        client.get("/v1/transcription/jobs")
    assert time.monotonic() - started < 5.0, "50 retries of 0.2 s went past the 0.5 s deadline"
    assert info.value.attempts >= 2


def test_bulk_export_retried_after_503(specala_emu: Emulator) -> None:
    specala_emu.inject("POST /v1/transcriptions/export", "status", status=503)
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    docs = client.transcriptions.bulk_export(["tr_alpha_000001", "tr_alpha_000002"], format="txt")
    assert list(docs) == ["tr_alpha_000001", "tr_alpha_000002"]


def test_response_attributes(pyai_emu: Emulator) -> None:
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    resp = client.post(
        "/v1/transcription/jobs", json={"audio_url": AUDIO}, idempotency_key="resp-attrs-1"
    )
    assert resp.status_code == 201
    assert resp.request_id and resp.request_id.startswith("req_")
    assert resp.headers["content-type"].startswith("application/json")
    assert not resp.is_replay and resp.attempts == 1 and resp.waited < 0.05
    body = resp.json()
    assert resp.content.decode() == resp.text
    replay = client.post(
        "/v1/transcription/jobs", json={"audio_url": AUDIO}, idempotency_key="resp-attrs-1"
    )
    assert replay.is_replay and replay.json()["id"] == body["id"]
    assert "Response [201]" in repr(resp)


def test_json_key_order_is_kept(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/things", "status", status=200, body='{"z": 1, "a": [true, null, 1.5], "m": {"y": "", "b": 2}}')
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    body = client.get("/v1/things").json()
    assert list(body) == ["z", "a", "m"] and list(body["m"]) == ["y", "b"]
    assert body["a"] == [True, None, 1.5]
