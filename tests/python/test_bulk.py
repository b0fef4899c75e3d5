"""Bulk work on the core: ``jobs.create_many`` exactly once through dropped connections,
resets and a killed process (the emulator's job count is the judge), and
``transcriptions.export_all`` as an iterator and into a directory resumed after a kill."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY, emulator

JOBS = "POST /v1/transcription/jobs"


def items(n: int) -> List[Any]:
    out: List[Any] = []
    for i in range(n):
        url = f"https://example.com/py/{i}.wav"
        out.append(url if i % 3 == 0 else {"audio_url": url, "language": "en", "metadata": {"i": i}})
    return out


def wait_for(check: Any, what: str, limit: float = 60.0) -> None:
    """Polls ``check`` (a progress condition, not a timing assertion)."""
    end = time.monotonic() + limit
    while not check():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_create_many_through_dropped_connections_is_exactly_once(pyai_emu: Emulator) -> None:
    pyai_emu.inject(JOBS, "drop_after_processing", count=4)
    pyai_emu.inject(JOBS, "reset", count=2)
    seen: List[Dict[str, Any]] = []
    with surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
        results = client.jobs.create_many(items(30), concurrency=6, progress=seen.append)
        assert [r.index for r in results] == list(range(30))
        assert all(r.ok and r.job is not None and r.error is None for r in results), results
        assert pyai_emu.stats()["jobs_created"] == 30
        assert len({r.job.id for r in results if r.job}) == 30
        assert seen and seen[-1]["done"] == 30 and seen[-1]["total"] == 30
        assert isinstance(results[0], surefoot.JobResult)

        again = client.jobs.create_many(items(30))
        assert pyai_emu.stats()["jobs_created"] == 30, "a re-run creates nothing"
        assert [r.idempotency_key for r in again] == [r.idempotency_key for r in results]
        assert [r.job.id for r in again if r.job] == [r.job.id for r in results if r.job]


def test_keys_from_a_field_or_a_callable_and_final_errors(pyai_emu: Emulator) -> None:
    rows = [{"ref": f"order-{i}", "audio_url": f"https://example.com/o/{i}.wav"} for i in range(5)]
    with surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
        by_field = client.jobs.create_many(rows, key="ref")
        by_callable = client.jobs.create_many(rows, key=lambda row: row["ref"])
        assert [r.idempotency_key for r in by_field] == [r.idempotency_key for r in by_callable]
        assert all(k.startswith("sf-") for k in (r.idempotency_key for r in by_field))
        assert pyai_emu.stats()["jobs_created"] == 5

        # The same ref with another body: the server's 409, final (not requeued).
        changed = [dict(rows[0], audio_url="https://example.com/other.wav")]
        [conflict] = client.jobs.create_many(changed, key="ref")
        assert isinstance(conflict.error, surefoot.IdempotencyConflictError)
        assert conflict.rounds == 1

        mixed = client.jobs.create_many(["https://example.com/fine.wav", {"audio_url": "  "}])
        assert mixed[0].ok
        assert isinstance(mixed[1].error, surefoot.InvalidRequestError)

        with pytest.raises(surefoot.InvalidRequestError, match="audio_url"):
            client.jobs.create_many([{"language": "en"}])
        # The core's rule: 0 is the default; above 256 is refused before anything is sent.
        with pytest.raises(surefoot.InvalidRequestError, match="concurrency"):
            client.jobs.create_many(["https://example.com/x.wav"], concurrency=257)
        with pytest.raises(TypeError):
            client.jobs.create_many([42])  # type: ignore[list-item]


def test_async_create_many_as_completed(pyai_emu: Emulator) -> None:
    async def main() -> None:
        async with surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
            results = await client.jobs.create_many(items(12), concurrency=4, ordered=False)
            assert sorted(r.index for r in results) == list(range(12))
            assert all(r.ok for r in results)

    asyncio.run(main())
    assert pyai_emu.stats()["jobs_created"] == 12


def test_results_as_completed_reach_on_result_while_the_run_goes_on(pyai_emu: Emulator) -> None:
    """``ordered=False``: a creation the server holds is overtaken by later items, in the
    callback and in the returned list; ``ordered=True`` keeps input order all the same."""
    with surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
        for ordered in (False, True):
            pyai_emu.inject(JOBS, "delay", count=1, delay=0.5)
            delivered: List[int] = []
            progress: List[int] = []
            results = client.jobs.create_many(
                items(16),
                concurrency=4,
                ordered=ordered,
                progress=lambda p: progress.append(p["done"]),
                on_result=lambda r: delivered.append(r.index),
            )
            assert sorted(delivered) == list(range(16)), "every item once"
            assert [r.index for r in results] == delivered
            assert (delivered == sorted(delivered)) == ordered, (ordered, delivered)
            assert progress == list(range(1, 17))
            assert all(r.ok for r in results)
    assert pyai_emu.stats()["jobs_created"] == 16, "the second run replays"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_async_on_result_and_a_raising_callback(pyai_emu: Emulator) -> None:
    seen: List[int] = []

    def boom(r: surefoot.JobResult) -> None:
        seen.append(r.index)
        raise RuntimeError("the caller's bug")

    async def main() -> None:
        async with surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST) as client:
            results = await client.jobs.create_many(items(6), concurrency=2, on_result=boom)
            assert [r.index for r in results] == list(range(6))
            assert all(r.ok for r in results)

    asyncio.run(main())
    assert seen == list(range(6)), "the run goes on after the callback raised"


def run_child(code: str, *args: str) -> "subprocess.Popen[bytes]":
    env = dict(os.environ)
    env.pop("SUREFOOT_EMULATOR_MINIMAL", None)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env)


def test_create_many_killed_halfway_then_rerun_makes_one_job_per_item() -> None:
    n = 40
    with emulator("pyai") as emu:
        emu.inject(JOBS, "delay", delay=0.05, count=0)
        child = run_child(
            """
            import json, sys, surefoot
            items = json.loads(sys.argv[2])
            with surefoot.PyAI("pyai_sk_full_0001", base_url=sys.argv[1]) as c:
                c.jobs.create_many(items, concurrency=2)
            """,
            emu.url,
            json.dumps(items(n)),
        )
        try:
            wait_for(lambda: emu.stats()["jobs_created"] >= 5 or child.poll() is not None, "jobs")
            child.kill()  # SIGKILL: no chance to clean up
        finally:
            child.wait()
        before = emu.stats()["jobs_created"]
        assert 0 < before < n, f"killed halfway ({before} jobs)"
        emu.clear_faults()
        # Paced under the emulator's 50/s, so the re-run meets no 429s of its own.
        with surefoot.PyAI(PYAI_KEY, base_url=emu.url, rate_limit="40/s", **FAST) as client:
            results = client.jobs.create_many(items(n))
        assert all(r.ok for r in results), [r.error for r in results if r.error and getattr(r.error, "code", "") != "not_done"]
        assert emu.stats()["jobs_created"] == n, "exactly one job per item"
        assert emu.stats()["idempotent_replays"] >= before - 2


def test_export_all_iterates_every_document_once(specala_emu: Emulator) -> None:
    with surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST) as client:
        progress: List[Dict[str, Any]] = []
        docs = dict(client.transcriptions.export_all(format="txt", progress=progress.append))
        assert len(docs) == 250
        ids = [f"tr_alpha_{i:06d}" for i in range(250)]
        assert docs == client.transcriptions.bulk_export(ids, format="txt")
        assert progress[-1]["written"] == 250 and progress[-1]["listing_done"]

        it = client.transcriptions.export_all()
        first = next(it)
        assert isinstance(first, tuple) and first[0].startswith("tr_alpha_")
        del it  # dropping the iterator stops the export

    async def main() -> None:
        async with surefoot.AsyncSpecala(SPECALA_KEY, base_url=specala_emu.url, **FAST) as client:
            got = [pair async for pair in client.transcriptions.export_all()]
            assert len({i for i, _ in got}) == 250 == len(got)

    asyncio.run(main())


def complete(out: Path) -> List[str]:
    """The documents of ``out`` (not the temporaries a writer has open)."""
    return [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []


def test_export_into_a_directory_killed_then_resumed_is_complete(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    with emulator("specala", transcriptions_per_workspace=250) as emu:
        emu.inject("POST /v1/transcriptions/export", "delay", delay=0.3, count=0)
        child = run_child(
            """
            import sys, surefoot
            with surefoot.Specala("spk_alpha_pro_0001", base_url=sys.argv[1]) as c:
                c.transcriptions.export_all(directory=sys.argv[2])
            """,
            emu.url,
            str(out),
        )
        try:
            wait_for(lambda: len(complete(out)) >= 100 or child.poll() is not None, "files")
            child.kill()
        finally:
            child.wait()
        done_before = len(complete(out))
        emu.clear_faults()
        emu.reset_stats()
        with surefoot.Specala(SPECALA_KEY, base_url=emu.url, **FAST) as client:
            report = client.transcriptions.export_all(directory=out)
            assert report["listed"] == 250
            assert report["skipped"] == done_before >= 100, report
            assert report["written"] + report["skipped"] == 250, report
            requests = emu.stats()["requests"].get("POST /v1/transcriptions/export", {})
            assert sum(requests.values()) == report["chunks"] <= 2
            ids = [f"tr_alpha_{i:06d}" for i in range(250)]
            expected = client.transcriptions.bulk_export(ids)
        names = sorted(p.name for p in out.iterdir())
        assert names == sorted(f"{i}.md" for i in ids), "one file each, no temporaries"
        for i, doc in expected.items():
            assert (out / f"{i}.md").read_text() == doc
        journal = Path(report["journal"])
        files = [json.loads(line)["file"] for line in journal.read_text().splitlines() if line.strip().endswith("}")]
        assert len(files) == len(set(files)), "each document fetched once"
        # A kill between a rename and its journal line leaves one file the journal lacks.
        assert set(files) <= set(names) and len(files) >= len(names) - 1
