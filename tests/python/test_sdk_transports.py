"""surefoot under the openai SDK: ``surefoot.httpx`` transports, against the emulator's
OpenAI-compatible chat completions over loopback, with the real ``openai`` and ``httpx``
(test-only dependencies, pinned in bindings/python/rules.mk)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any, List

import httpx
import openai
import pytest

import surefoot
import surefoot.httpx
from surefoot.testing import Emulator

from conftest import PYAI_BROKE_KEY, PYAI_KEY, emulator
from test_redis_pacing import redis_url  # noqa: F401  (the fixture)

CHAT = "POST /v1/chat/completions"
JOBS = "POST /v1/transcription/jobs"
MESSAGES: List[Any] = [{"role": "user", "content": "hi"}]


def _openai(emu: Emulator, key: str = PYAI_KEY, **options: Any) -> openai.OpenAI:
    transport = surefoot.httpx.HTTPTransport(backoff=(0.01, 0.05), **options)
    return openai.OpenAI(
        base_url=emu.url + "/v1",
        api_key=key,
        max_retries=0,
        # openai 3 types it as an httpx2 client; an httpx one works (openai accepts both).
        http_client=httpx.Client(transport=transport),  # type: ignore[arg-type]
    )


def _sent(emu: Emulator, route: str) -> int:
    return sum(emu.stats()["requests"].get(route, {}).values())


WORKER = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx, openai, surefoot.httpx
url, store, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
transport = surefoot.httpx.HTTPTransport(pacing_store=store, rate_limit="36/s burst 4", backoff=(0.02, 0.2))
client = openai.OpenAI(base_url=url + "/v1", api_key="pyai_sk_full_0001", max_retries=0,
                       http_client=httpx.Client(transport=transport))
def one(_):
    try:
        r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        return r.choices[0].message.content == "Hello from the PyAI emulator."
    except openai.OpenAIError as e:
        print("call failed:", repr(e), file=sys.stderr)
        return False
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(one, range(n)))
print(json.dumps({"ok": sum(results), "failed": len(results) - sum(results)}))
"""


def test_four_openai_processes_on_one_key_share_one_budget(redis_url: str) -> None:  # noqa: F811
    processes, calls = 4, 25
    with emulator("pyai", rate_limit=40, burst=8) as emu:
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, emu.url, redis_url, str(calls)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall = time.monotonic() - started
        assert results == [{"ok": calls, "failed": 0}] * processes
        assert emu.stats()["rate_limited"] == 0
        assert _sent(emu, CHAT) == processes * calls
        ideal = (processes * calls - 4) / 36  # the client paces at 36/s burst 4 (under the 40/s burst 8)
        print(f"4 openai processes x {calls} calls: wall {wall:.2f}s, ideal {ideal:.2f}s (incl. interpreter start-up)")


def test_a_streamed_completion_arrives_chunk_by_chunk() -> None:
    with emulator("pyai") as emu:
        client = _openai(emu)
        arrivals = []
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            sent_at = int((chunk.system_fingerprint or "sent_at_ms:0").split(":")[1])
            arrivals.append((time.time() * 1000, sent_at, chunk.choices[0].delta.content))
        assert "".join(c or "" for _, _, c in arrivals) == "Hello from the PyAI emulator."
        # The first chunk was in our hands before the server had sent the last one.
        assert arrivals[0][0] < arrivals[-1][1]


def test_a_streamed_completion_arrives_chunk_by_chunk_async() -> None:
    async def run(emu: Emulator) -> List[Any]:
        transport = surefoot.httpx.AsyncHTTPTransport()
        client = openai.AsyncOpenAI(
            base_url=emu.url + "/v1",
            api_key=PYAI_KEY,
            max_retries=0,
            http_client=httpx.AsyncClient(transport=transport),  # type: ignore[arg-type]
        )
        arrivals = []
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        async for chunk in stream:
            sent_at = int((chunk.system_fingerprint or "sent_at_ms:0").split(":")[1])
            arrivals.append((time.time() * 1000, sent_at))
        await client.close()
        return arrivals

    with emulator("pyai") as emu:
        arrivals = asyncio.run(run(emu))
        assert len(arrivals) == 7
        assert arrivals[0][0] < arrivals[-1][1]


def test_402_409_422_go_back_untouched_and_unretried() -> None:
    with emulator("pyai") as emu:
        client = _openai(emu)
        with pytest.raises(openai.UnprocessableEntityError) as unprocessable:
            client.post("/transcription/jobs", cast_to=httpx.Response, body={"language": "en"})
        assert "audio_url" in unprocessable.value.response.text
        body = {"audio_url": "https://example.com/a.wav"}
        keyed: Any = {"headers": {"Idempotency-Key": "sdk-409"}}
        client.post("/transcription/jobs", cast_to=httpx.Response, body=body, options=keyed)
        with pytest.raises(openai.ConflictError) as conflict:
            client.post("/transcription/jobs", cast_to=httpx.Response, body={**body, "language": "fr"}, options=keyed)
        assert "idempotency_conflict" in conflict.value.response.text
        with pytest.raises(openai.APIStatusError) as payment:
            _openai(emu, PYAI_BROKE_KEY).chat.completions.create(model="m", messages=MESSAGES)
        assert payment.value.status_code == 402
        assert payment.value.response.json()["error"]["code"] == "credit_exhausted"
        assert _sent(emu, JOBS) == 3 and _sent(emu, CHAT) == 1


def test_a_paused_key_raises_the_sdks_rate_limit_error_without_sending() -> None:
    with emulator("pyai") as emu:
        emu.inject(CHAT, "status", status=429, headers={"Retry-After": "30"},
                   body={"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}})
        client = _openai(emu, max_retry_wait=1.0)
        # The server's 429 asks for more than max_retry_wait: handed back as it came.
        with pytest.raises(openai.RateLimitError) as first:
            client.chat.completions.create(model="m", messages=MESSAGES)
        assert first.value.response.headers["retry-after"] == "30"
        assert "x-surefoot-not-sent" not in first.value.response.headers
        # The key is paused for ~30 s: the next call is refused before it is sent.
        started = time.monotonic()
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - started < 1.0
        headers = refused.value.response.headers
        assert headers["x-surefoot-not-sent"] == "true" and headers["x-should-retry"] == "false"
        assert 25 <= int(headers["retry-after"]) <= 30
        error = refused.value.response.json()["error"]
        assert error["not_sent"] is True and error["code"] == "rate_limit_exceeded"
        assert "not sent" in error["message"] and "slow down" in error["message"]
        assert PYAI_KEY not in refused.value.response.text
        assert _sent(emu, CHAT) == 1


def test_transport_failures_are_httpx_exceptions() -> None:
    with emulator("pyai") as emu:
        url = emu.url
    client = httpx.Client(transport=surefoot.httpx.HTTPTransport(max_retries=0))
    with pytest.raises(httpx.ConnectError):
        client.get(url + "/v1/transcription/jobs")
    with emulator("pyai") as emu:
        emu.inject(CHAT, "delay", delay=2.0)
        sdk = _openai(emu, max_retries=0)
        started = time.monotonic()
        # httpx's per-request timeout applies when smaller than surefoot's.
        with pytest.raises(openai.APITimeoutError):
            sdk.with_options(timeout=0.3).chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - started < 1.5


def test_cancelling_an_async_request_aborts_it() -> None:
    async def run(emu: Emulator) -> int:
        client = httpx.AsyncClient(transport=surefoot.httpx.AsyncHTTPTransport())
        headers = {"Authorization": f"Bearer {PYAI_KEY}"}
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get(emu.url + "/v1/transcription/jobs", headers=headers), 0.2)
        assert time.monotonic() - started < 1.0
        resp = await client.get(emu.url + "/v1/transcription/jobs", headers=headers)
        await client.aclose()
        return resp.status_code

    with emulator("pyai") as emu:
        emu.inject("GET /v1/transcription/jobs", "delay", delay=3.0)
        assert asyncio.run(run(emu)) == 200


def test_openai_over_httpx2_streams_too() -> None:
    import httpx2

    import surefoot.httpx2

    with emulator("pyai") as emu:
        client = openai.OpenAI(
            base_url=emu.url + "/v1", api_key=PYAI_KEY, max_retries=0,
            http_client=httpx2.Client(transport=surefoot.httpx2.HTTPTransport()),
        )
        arrivals = []
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            arrivals.append((time.time() * 1000, int((chunk.system_fingerprint or "x:0").split(":")[1])))
        assert len(arrivals) == 7 and arrivals[0][0] < arrivals[-1][1]
        with pytest.raises(httpx2.ConnectError):
            httpx2.Client(transport=surefoot.httpx2.HTTPTransport(max_retries=0)).get("http://127.0.0.1:9/")


def test_importing_surefoot_imports_neither_httpx_nor_requests() -> None:
    code = "import sys, surefoot; assert not {'httpx', 'httpx2', 'requests'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})


def test_options_are_checked_by_the_cores_rules() -> None:
    with pytest.raises(surefoot.InvalidRequestError, match="max_retries"):
        surefoot.httpx.HTTPTransport(max_retries=-1)
    with pytest.raises(surefoot.InvalidRequestError, match="idempotency"):
        surefoot.httpx.HTTPTransport(idempotency="always")
    with pytest.raises(surefoot.InvalidRequestError, match="each request carries"):
        surefoot.httpx.AsyncHTTPTransport(api_key="sk-nope-0123456789")
    transport = surefoot.httpx.HTTPTransport()
    transport.close()
    with pytest.raises(surefoot.InvalidRequestError, match="closed"):
        httpx.Client(transport=transport).get("http://127.0.0.1:9/")



ANTHROPIC_WORKER = r"""
import json, sys
from concurrent.futures import ThreadPoolExecutor
import anthropic, httpx2, surefoot.httpx2
url, store, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
transport = surefoot.httpx2.HTTPTransport(pacing_store=store, rate_limit="36/s burst 4", backoff=(0.02, 0.2))
if sys.argv[4] == "x-api-key":  # the key only in x-api-key, through httpx2 itself
    plain = httpx2.Client(transport=transport, headers={"x-api-key": "pyai_sk_full_0001"})
    post = lambda: plain.post(url + "/v1/chat/completions", json={"model": "m", "messages": []})
else:  # anthropic 2.16 sends its key as a bearer token
    client = anthropic.Anthropic(base_url=url, api_key="pyai_sk_full_0001", max_retries=0,
                                 http_client=httpx2.Client(transport=transport))
    post = lambda: client.post("/v1/chat/completions", cast_to=httpx2.Response, body={"model": "m", "messages": []})
def one(_):
    try:
        r = post()
        return r.status_code == 200
    except anthropic.AnthropicError as e:
        print("call failed:", repr(e), file=sys.stderr)
        return False
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(one, range(n)))
print(json.dumps({"ok": sum(results), "failed": len(results) - sum(results)}))
"""


@pytest.mark.parametrize("mode", ["anthropic", "x-api-key"])
def test_four_anthropic_processes_on_one_key_share_one_budget(redis_url: str, mode: str) -> None:  # noqa: F811
    with emulator("pyai", rate_limit=40, burst=8) as emu:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", ANTHROPIC_WORKER, emu.url, redis_url, "25", mode],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        assert results == [{"ok": 25, "failed": 0}] * 4
        assert emu.stats()["rate_limited"] == 0


def test_anthropic_raises_its_rate_limit_error_for_a_paused_key() -> None:
    import anthropic
    import httpx2

    import surefoot.httpx2

    with emulator("pyai") as emu:
        emu.inject(CHAT, "status", status=429, headers={"Retry-After": "30"}, count=1)
        client = anthropic.Anthropic(
            base_url=emu.url, api_key=PYAI_KEY, max_retries=0,
            http_client=httpx2.Client(transport=surefoot.httpx2.HTTPTransport(max_retry_wait=1.0)),
        )
        for _ in range(2):
            with pytest.raises(anthropic.RateLimitError) as info:
                client.post("/v1/chat/completions", cast_to=httpx2.Response, body={"model": "m", "messages": []})
        assert info.value.response.headers["x-surefoot-not-sent"] == "true"
        assert _sent(emu, CHAT) == 1


def test_requests_through_the_adapter() -> None:
    import requests

    import surefoot.requests

    with emulator("pyai") as emu:
        session = requests.Session()
        session.mount(emu.url, surefoot.requests.HTTPAdapter(backoff=(0.01, 0.05)))
        auth = {"Authorization": f"Bearer {PYAI_KEY}"}
        emu.inject("GET /v1/transcription/jobs", "status", status=503, count=1)
        resp = session.get(emu.url + "/v1/transcription/jobs", headers=auth)
        assert resp.status_code == 200 and isinstance(resp.json()["data"], list)
        assert _sent(emu, "GET /v1/transcription/jobs") == 2
        # A 422 comes back as the server sent it, once.
        resp = session.post(emu.url + "/v1/transcription/jobs", json={"language": "en"}, headers=auth)
        assert resp.status_code == 422 and "audio_url" in resp.text
        with pytest.raises(requests.HTTPError):
            resp.raise_for_status()
        # A POST without a key is not retried after a 503; with idempotency="auto" a dropped
        # connection after the server acted is retried with one key: one job, replayed.
        emu.inject(JOBS, "status", status=503, count=1)
        body = {"audio_url": "https://example.com/a.wav"}
        assert session.post(emu.url + "/v1/transcription/jobs", json=body, headers=auth).status_code == 503
        auto = requests.Session()
        auto.mount(emu.url, surefoot.requests.HTTPAdapter(idempotency="auto", backoff=(0.01, 0.05)))
        emu.inject(JOBS, "drop_after_processing", count=1)
        resp = auto.post(emu.url + "/v1/transcription/jobs", json=body, headers=auth)
        assert resp.status_code == 201 and resp.headers["idempotent-replayed"] == "true"
        # Streamed: the first SSE chunk is read before the server sent the last one.
        resp = session.post(emu.url + "/v1/chat/completions", headers=auth, stream=True,
                            json={"model": "m", "messages": [], "stream": True})
        chunks = [(time.time() * 1000, c) for c in resp.iter_content(chunk_size=None) if c]
        last_sent = max(int(x) for x in __import__("re").findall(rb"sent_at_ms:(\d+)", b"".join(c for _, c in chunks)))
        assert len(chunks) > 1 and chunks[0][0] < last_sent
        # Transport failures are requests' own exceptions.
        with pytest.raises(requests.ConnectionError):
            closed = requests.Session()
            closed.mount("http://", surefoot.requests.HTTPAdapter(max_retries=0))
            closed.get("http://127.0.0.1:9/v1/x")


_FORKED: Any = None


def _chat_in_child(i: int) -> int:
    assert _FORKED is not None
    reply = _FORKED.chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content == "Hello from the PyAI emulator."
    return os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.timeout(120)
def test_a_transport_used_before_fork_works_in_the_children() -> None:
    import multiprocessing
    import warnings

    global _FORKED
    with emulator("pyai") as emu, warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock: the
        # transport's core client and runtime are re-created in the child.
        warnings.simplefilter("ignore", DeprecationWarning)
        _FORKED = _openai(emu)
        _FORKED.chat.completions.create(model="m", messages=MESSAGES)  # runtime and pool warm
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pids = pool.map_async(_chat_in_child, range(6), chunksize=1).get(timeout=60)
        assert os.getpid() not in pids
        _FORKED.chat.completions.create(model="m", messages=MESSAGES)  # the parent's still works
        assert _sent(emu, CHAT) == 8
