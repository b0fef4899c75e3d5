"""The async clients: coroutines on surefoot's runtime, async for, async with, cancellation."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY, emulator

AUDIO = "https://example.com/a.wav"


def test_async_client_request_and_errors(pyai_emu: Emulator) -> None:
    async def main() -> None:
        async with surefoot.AsyncClient(pyai_emu.url, PYAI_KEY, **FAST) as client:
            resp = await client.post("/v1/transcription/jobs", json={"audio_url": AUDIO}, idempotency_key="a-1")
            assert resp.status_code == 201
            job = resp.json()
            got = await client.get(f"/v1/transcription/jobs/{job['id']}")
            assert got.json()["id"] == job["id"]
            with pytest.raises(surefoot.NotFoundError) as info:
                await client.get("/v1/transcription/jobs/job_missing")
            assert info.value.code == "not_found"
            items = [item async for item in client.paginate("/v1/transcription/jobs", limit=1)]
            assert [i["id"] for i in items] == [job["id"]]
        assert "closed=True" in repr(client)

    asyncio.run(main())


def test_async_specala_pagination_and_bulk(specala_emu: Emulator) -> None:
    async def main() -> None:
        async with surefoot.AsyncSpecala(SPECALA_KEY, base_url=specala_emu.url, **FAST) as client:
            ids = [t.id async for t in client.transcriptions.list(limit=100)]
            assert len(ids) == 250
            docs = await client.transcriptions.bulk_export(ids, format="txt")
            assert list(docs) == ids
            one = await client.transcriptions.get(ids[0])
            assert one.id == ids[0]
            assert await client.transcriptions.export(ids[0])
            created = await client.keys.create("async")
            assert created.id in {k.id for k in await client.keys.list()}
            await client.keys.revoke(created.id)

    asyncio.run(main())


def test_async_pyai_jobs_and_sessions(pyai_emu: Emulator) -> None:
    async def main() -> None:
        client = surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
        pyai_emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
        job = await client.jobs.create(AUDIO, metadata={"k": "v"})
        assert (await client.jobs.get(job.id)) == job
        assert [j.id async for j in client.jobs.list()] == [job.id]
        async with client.realtime.open("agent-1") as session:
            assert isinstance(session, surefoot.AsyncRealtimeSession)
            assert session.agent_id == "agent-1" and not session.closed
        assert session.closed
        session = await client.realtime.open("agent-2")
        async with session:
            pass
        assert session.closed
        await client.close()

    asyncio.run(main())
    stats = pyai_emu.stats()
    assert stats["jobs_created"] == 1 and stats["open_realtime_sessions"] == 0


def test_concurrent_coroutines_without_a_thread_per_call() -> None:
    async def main(emu: Emulator) -> float:
        emu.inject("GET /v1/transcription/jobs", "delay", delay=0.3, count=0)
        client = surefoot.AsyncClient(emu.url, PYAI_KEY, **FAST)
        threads_before = threading.active_count()
        started = time.monotonic()
        pending = [client.get("/v1/transcription/jobs") for _ in range(20)]
        assert threading.active_count() <= threads_before + 2
        results = await asyncio.gather(*pending)
        assert all(r.status_code == 200 for r in results)
        return time.monotonic() - started

    with emulator("pyai", no_rate_limits=True) as emu:
        elapsed = asyncio.run(main(emu))
    assert elapsed < 0.3 * 20 / 2, f"20 concurrent 0.3 s requests took {elapsed:.2f}s: not concurrent"


def test_cancellation_stops_a_long_wait(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503, headers={"Retry-After": "30"}, count=0)

    async def main() -> None:
        client = surefoot.AsyncClient(pyai_emu.url, PYAI_KEY, max_retry_wait=60.0)
        task = asyncio.ensure_future(client.get("/v1/transcription/jobs"))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 5.0, "cancelled, yet it sat out the 30 s wait"

    asyncio.run(main())
    # The request is not retried after cancellation.
    time.sleep(0.2)
    assert pyai_emu.stats()["requests"]["GET /v1/transcription/jobs"] == {"503": 1}


def test_async_invalid_request_before_sending(pyai_emu: Emulator) -> None:
    async def main() -> None:
        client = surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
        with pytest.raises(surefoot.InvalidRequestError):
            await client.jobs.create("")
        with pytest.raises(surefoot.InvalidRequestError):
            async for _ in client.jobs.list(limit=0):
                pass

    asyncio.run(main())
    assert pyai_emu.stats()["total_requests"] == 0


def test_async_methods_need_a_running_loop(pyai_emu: Emulator) -> None:
    client = surefoot.AsyncClient(pyai_emu.url, PYAI_KEY)
    with pytest.raises(RuntimeError):
        client.get("/v1/transcription/jobs")


def test_completions_reach_the_loop_through_its_mailbox(pyai_emu: Emulator) -> None:
    """Calls complete on the loop's thread through one watched socket per loop (no call
    through call_soon_threadsafe), and a closed loop leaves no descriptor behind."""
    seen: list[int] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counting(*args: object, **kwargs: object) -> object:
            seen.append(1)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign, assignment]
        async with surefoot.AsyncClient(pyai_emu.url, PYAI_KEY, **FAST) as client:
            answers = await asyncio.gather(*(client.get("/v1/transcription/jobs") for _ in range(10)))
        assert [a.status_code for a in answers] == [200] * 10
        assert type(getattr(loop, "_surefoot_mailbox")).__name__ == "LoopMailbox"

    asyncio.run(main())
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        asyncio.run(main())
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == before
    assert seen == []
