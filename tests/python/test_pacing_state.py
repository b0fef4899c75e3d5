"""A call refused because of a server's pause keeps that answer's code; the client's own
limiter says ``client_rate_limited``; pacing state is visible and resettable (the client's
``pacing_state()`` / ``reset_pacing()``, and ``surefoot.testing``'s fixture)."""

from __future__ import annotations

import asyncio

import pytest

import surefoot
from surefoot.testing import Emulator, reset_pacing, surefoot_isolated_pacing  # noqa: F401

from conftest import FAST, PYAI_KEY, emulator

CAP = {
    "error": {
        "message": "Daily cap reached.",
        "type": "rate_limit_error",
        "code": "daily_cap_exceeded",
        "param": None,
    }
}
JOBS = "GET /v1/transcription/jobs"


def _sent(emu: Emulator) -> int:
    return sum(sum(by_status.values()) for by_status in emu.stats()["requests"].values())


def test_a_refusal_keeps_the_cause_of_the_server_pause() -> None:
    with emulator("pyai", no_rate_limits=True) as emu:
        client = surefoot.PyAI(PYAI_KEY, base_url=emu.url, **FAST)
        emu.inject(JOBS, "status", status=429, body=CAP, headers={"Retry-After": "3600"})
        with pytest.raises(surefoot.RateLimitError) as first:
            list(client.jobs.list())
        assert (first.value.code, first.value.status_code, first.value.attempts) == (
            "daily_cap_exceeded",
            429,
            1,
        )
        sent = _sent(emu)

        with pytest.raises(surefoot.RateLimitError) as second:
            client.jobs.get("job_1")
        e = second.value
        assert (e.code, e.kind, e.status_code, e.attempts) == (
            "daily_cap_exceeded",
            "rate_limited",
            429,
            0,
        )
        assert e.request_id is not None and e.request_id == first.value.request_id
        assert e.message.startswith("not sent:") and "Daily cap reached." in e.message
        assert e.retry_after is not None and 3590 < e.retry_after <= 3600
        assert _sent(emu) == sent, "nothing was sent"

        (state,) = [s for s in client.pacing_state() if s.surface == "default"]
        assert state.pause_code == "daily_cap_exceeded"
        assert state.pause_status == 429
        assert state.paused_for is not None and state.paused_for > 3590
        assert "daily_cap_exceeded" in repr(state)

        client.reset_pacing()
        assert all(s.paused_for is None for s in client.pacing_state())
        with pytest.raises(surefoot.NotFoundError) as again:
            client.jobs.get("job_none")
        assert again.value.attempts == 1


def test_the_clients_own_limiter_has_its_own_code() -> None:
    with emulator("pyai", no_rate_limits=True) as emu:
        client = surefoot.Client(
            emu.url, PYAI_KEY, rate_limit="1/min", backoff=(0.01, 0.05), max_retry_wait=1.0
        )
        client.get("/v1/transcription/jobs")
        with pytest.raises(surefoot.RateLimitError) as refused:
            client.get("/v1/transcription/jobs")
        e = refused.value
        assert (e.code, e.kind, e.status_code, e.attempts, e.retryable) == (
            "client_rate_limited",
            "rate_limited",
            None,
            0,
            False,
        )
        assert "1/min" in e.message
        assert e.retry_after is not None and 50 < e.retry_after <= 62
        (state,) = client.pacing_state()
        assert state.limit == surefoot.RateLimit.parse("1/min")
        assert state.paused_for is None and state.pause_code is None


def test_async_clients_read_and_reset_their_state() -> None:
    async def run(url: str) -> None:
        client = surefoot.AsyncPyAI(PYAI_KEY, base_url=url, **FAST)
        with pytest.raises(surefoot.RateLimitError):
            await client.jobs.get("job_1")
        states = await client.pacing_state()
        assert [s.pause_code for s in states if s.surface == "default"] == ["daily_cap_exceeded"]
        await client.reset_pacing()
        assert all(s.paused_for is None for s in await client.pacing_state())

    with emulator("pyai", no_rate_limits=True) as emu:
        emu.inject("GET /v1/transcription/jobs/*", "status", status=429, body=CAP,
                   headers={"Retry-After": "900"})
        asyncio.run(run(emu.url))


def test_the_fixture_isolates_pacing_between_tests(surefoot_isolated_pacing: None) -> None:
    with emulator("pyai", no_rate_limits=True) as emu:
        client = surefoot.PyAI(PYAI_KEY, base_url=emu.url, **FAST)
        emu.inject(JOBS, "status", status=429, body=CAP, headers={"Retry-After": "600"})
        with pytest.raises(surefoot.RateLimitError):
            list(client.jobs.list())
        assert client.pacing_state()[0].paused_for is not None
        reset_pacing()  # what the fixture does after the test
        assert all(s.paused_for is None for s in client.pacing_state())
        assert isinstance(list(client.jobs.list()), list)  # sent again, no refusal


def test_a_generic_client_given_surfaces_paces_each_apart() -> None:
    with emulator("specala", transcriptions_per_workspace=10, data_limit="10/0.5s",
                  management_limit="3/s") as emu:
        client = surefoot.Client(
            emu.url,
            "spk_alpha_pro_0001",
            surfaces={"/v1/keys": "3/s", "*": surefoot.RateLimit(10, 0.5)},
        )
        assert [(s.surface, s.limit) for s in client.pacing_state()] == [
            ("default", surefoot.RateLimit(10, 0.5)),
            ("/v1/keys", surefoot.RateLimit.parse("3/s")),
        ]
        for _ in range(4):
            client.get("/v1/keys")
        for _ in range(15):
            client.get("/v1/transcriptions/tr_alpha_000001")
        assert emu.stats()["rate_limited"] == 0
        with pytest.raises(surefoot.InvalidRequestError, match="must be a path starting with `/`"):
            surefoot.Client(emu.url, "spk_alpha_pro_0001", surfaces={"v1": "1/s"})
        with pytest.raises(surefoot.InvalidRequestError, match="surfaces must be a mapping"):
            surefoot.Client(emu.url, "spk_alpha_pro_0001", surfaces=["/v1"])  # type: ignore[arg-type]
