"""Problems the client sees itself are InvalidRequestError (also a ValueError), raised
before anything is sent."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY


def invalid(call: Callable[[], Any], *needles: str) -> surefoot.InvalidRequestError:
    with pytest.raises(surefoot.InvalidRequestError) as info:
        call()
    err = info.value
    assert isinstance(err, ValueError)
    assert err.code == "invalid_request" and err.kind == "invalid_request"
    assert err.attempts == 0 and err.status_code is None
    for needle in needles:
        assert needle in str(err), str(err)
    return err


def test_bad_keys_rejected_before_sending(pyai_emu: Emulator) -> None:
    invalid(lambda: surefoot.PyAI(PYAI_KEY + " ", base_url=pyai_emu.url), "trailing whitespace")
    invalid(lambda: surefoot.PyAI(" " + PYAI_KEY, base_url=pyai_emu.url), "whitespace")
    invalid(lambda: surefoot.PyAI(PYAI_KEY + "\n", base_url=pyai_emu.url))
    invalid(lambda: surefoot.PyAI("pyai_sk\r\nX-Evil: 1", base_url=pyai_emu.url))
    invalid(lambda: surefoot.PyAI("", base_url=pyai_emu.url))
    assert pyai_emu.stats()["total_requests"] == 0


def test_trailing_space_key_never_reaches_the_server(pyai_emu: Emulator) -> None:
    err = invalid(lambda: surefoot.Client(pyai_emu.url, PYAI_KEY + " "))
    assert PYAI_KEY not in str(err)
    assert pyai_emu.stats()["total_requests"] == 0


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYAI_API_KEY", raising=False)
    monkeypatch.delenv("SPECALA_API_KEY", raising=False)
    invalid(lambda: surefoot.PyAI(base_url="http://127.0.0.1:9"), "PYAI_API_KEY")
    invalid(lambda: surefoot.Specala(base_url="http://127.0.0.1:9"), "SPECALA_API_KEY")


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, pyai_emu: Emulator) -> None:
    monkeypatch.setenv("PYAI_API_KEY", PYAI_KEY)
    client = surefoot.PyAI(base_url=pyai_emu.url, **FAST)
    assert list(client.jobs.list()) == []
    assert "pya…0001" in repr(client)


def test_urls() -> None:
    invalid(lambda: surefoot.Client("http://api.example.com", "sk-test-0123456789"), "plain http")
    surefoot.Client("http://api.example.com", "sk-test-0123456789", allow_insecure_http=True)
    invalid(lambda: surefoot.Client("not a url", "sk-test-0123456789"))
    invalid(lambda: surefoot.Client("http://127.0.0.1:9/?api_key=sk-test-0123456789", "sk-test-0123456789"))


def test_limits_and_ids(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    invalid(lambda: next(client.transcriptions.list(limit=0)), "limit")
    invalid(lambda: next(client.transcriptions.list(limit=101)), "limit")
    invalid(lambda: next(client.transcriptions.list(limit=-1)), "limit")
    invalid(lambda: client.transcriptions.get(""), "empty")
    invalid(lambda: client.transcriptions.export("tr_alpha_000001", format="pdf"), "format")  # type: ignore[arg-type]
    invalid(lambda: client.transcriptions.bulk_export(["tr_alpha_000001", ""]), "empty")
    invalid(lambda: client.keys.create("  "), "name")
    assert specala_emu.stats()["total_requests"] == 0


def test_options(pyai_emu: Emulator) -> None:
    url = pyai_emu.url
    invalid(lambda: surefoot.Client(url, PYAI_KEY, timeout=-1.0), "timeout")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, timeout=0.0), "timeout")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, deadline=float("nan")), "deadline")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, rate_limit="0/s"), "rate limit")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, rate_limit="fast"), "rate limit")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, backoff=(0.0, 1.0)), "backoff")
    invalid(lambda: surefoot.RateLimit(requests=0), "requests")
    invalid(lambda: surefoot.Client(url, PYAI_KEY, headers={"Authorization": "Bearer x"}))
    # Checked by the core's rules, as in Rust and C: an unknown name too.
    invalid(lambda: surefoot.Client(url, PYAI_KEY, retries=3), 'unknown option "retries"')  # type: ignore[call-arg]
    invalid(lambda: surefoot.Client(url, PYAI_KEY, max_concurrent_sessions=0), "max_concurrent_sessions")


def test_request_level_checks(pyai_emu: Emulator) -> None:
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    invalid(lambda: client.request("GE T", "/v1/transcription/jobs"), "method")
    invalid(lambda: client.get("/v1/transcription/jobs?api_key=" + PYAI_KEY))
    invalid(lambda: client.post("/v1/transcription/jobs", json={"x": float("nan")}), "JSON")
    invalid(lambda: client.post("/v1/transcription/jobs", json={"x": object()}), "JSON")
    invalid(lambda: client.post("/x", json={}, idempotency_key="has space"), "idempotency key")
    invalid(lambda: client.get("https://elsewhere.example.com/v1/x"), "origin")
    pyai = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    invalid(lambda: pyai.jobs.create("  "), "audio_url")
    invalid(lambda: pyai.realtime.open(""), "agent_id")
    assert pyai_emu.stats()["total_requests"] == 0


def test_rate_limit_values() -> None:
    assert surefoot.RateLimit.parse("500/min") == surefoot.RateLimit(requests=500, per=60.0)
    rl = surefoot.RateLimit(requests=20, per=1.0, burst=5)
    assert (rl.requests, rl.per, rl.burst) == (20, 1.0, 5)
    assert str(rl) == "20/s burst 5"
    assert repr(rl) == "RateLimit(requests=20, per=1.0, burst=5)"
    for value in ("500/min", "20/s", rl, None):
        surefoot.Client("http://127.0.0.1:9", "sk-test-0123456789", rate_limit=value)


def test_closed_client(pyai_emu: Emulator) -> None:
    with surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
        assert list(client.jobs.list()) == []
    assert "closed=True" in repr(client)
    invalid(lambda: list(client.jobs.list()), "closed")


def test_per_call_timeouts_follow_the_clients_rule(pyai_emu: Emulator) -> None:
    # The core checks a call's `timeout` / `deadline` by the client option's rule, with the
    # same messages: zero, negative, NaN, infinite and over 365 days are refused unsent.
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    pyai_emu.reset_stats()
    invalid(lambda: client.request("GET", "/v1/transcription/jobs", deadline=0.0), "deadline must be greater than zero")
    invalid(lambda: client.request("GET", "/v1/transcription/jobs", timeout=-1.0), "timeout must be greater than zero")
    invalid(lambda: client.request("GET", "/v1/transcription/jobs", timeout=float("nan")), "timeout", "NaN")
    invalid(lambda: client.request("GET", "/v1/transcription/jobs", deadline=float("inf")), "deadline must be at most")
    invalid(lambda: client.request("GET", "/v1/transcription/jobs", deadline=400 * 86400.0), "365 days")
    assert pyai_emu.stats()["total_requests"] == 0
    assert client.request("GET", "/v1/transcription/jobs", timeout=5.0, deadline=10.0).status_code == 200
