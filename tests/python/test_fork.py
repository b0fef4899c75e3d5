"""A client used before fork() works in the children: multiprocessing's `fork` start method
(a Pool, and a Process running the async client) and gunicorn `--preload` (the app, and its
client, imported and used in the master before the workers are forked). Each child gets a
fresh runtime and fresh connections; the parent's client keeps working; every job is
created once (the emulator's count)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

#: The client the children inherit (set by each test before forking).
_CLIENT: Optional[surefoot.PyAI] = None


def _create_in_child(i: int) -> Tuple[int, str]:
    assert _CLIENT is not None
    job = _CLIENT.jobs.create(f"https://example.com/fork-{i}.wav")
    return os.getpid(), job.id


def _fork_context() -> Any:
    return multiprocessing.get_context("fork")


@pytest.fixture
def no_fork_warning() -> Iterator[None]:
    # Python 3.12+ warns that forking a multi-threaded process may deadlock: surefoot's
    # runtime is re-created in the child, which is what these tests show.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@pytest.mark.timeout(120)
def test_a_fork_pool_uses_the_parents_client(pyai_emu: Emulator, no_fork_warning: None) -> None:
    global _CLIENT
    _CLIENT = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, deadline=10.0, **FAST)
    first = _CLIENT.jobs.create("https://example.com/parent.wav")  # runtime and pool warm
    with _fork_context().Pool(3) as pool:
        results: List[Tuple[int, str]] = pool.map_async(_create_in_child, range(12), chunksize=1).get(
            timeout=60
        )
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids and len(pids) >= 1
    ids = {job_id for _, job_id in results}
    assert len(ids) == 12 and first.id not in ids
    # The parent's client still works, and every job exists once.
    last = _CLIENT.jobs.create("https://example.com/parent-after.wav")
    assert pyai_emu.stats()["jobs_created"] == 14
    assert {j.id for j in _CLIENT.jobs.list()} == ids | {first.id, last.id}


def _async_child(url: str, queue: Any) -> None:
    import asyncio

    async def main() -> str:
        async with surefoot.AsyncPyAI(PYAI_KEY, base_url=url, deadline=10.0) as client:
            job = await client.jobs.create("https://example.com/async-child.wav")
            return job.id

    try:
        queue.put(asyncio.run(main()))
    except BaseException as e:  # noqa: BLE001 - the parent reports it
        queue.put(f"error: {e!r}")


@pytest.mark.timeout(120)
def test_a_forked_process_runs_the_async_client(pyai_emu: Emulator, no_fork_warning: None) -> None:
    import asyncio

    async def warm() -> str:
        async with surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, deadline=10.0) as client:
            return (await client.jobs.create("https://example.com/async-parent.wav")).id

    parent_id = asyncio.run(warm())
    ctx = _fork_context()
    queue = ctx.Queue()
    child = ctx.Process(target=_async_child, args=(pyai_emu.url, queue))
    child.start()
    child_id = queue.get(timeout=60)
    child.join(30)
    assert child.exitcode == 0, child.exitcode
    assert child_id.startswith("job_") and child_id != parent_id, child_id
    assert pyai_emu.stats()["jobs_created"] == 2


APP = '''
import os

import surefoot

# Imported once, in the master (--preload), and used there before the workers are forked.
CLIENT = surefoot.PyAI(base_url=os.environ["SF_TEST_BASE_URL"], deadline=10.0)
PRELOADED = CLIENT.jobs.create("https://example.com/preload.wav").id


def app(environ, start_response):
    job = CLIENT.jobs.create("https://example.com" + environ["PATH_INFO"] + ".wav")
    body = f"{os.getpid()} {job.id} {PRELOADED}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(120)
def test_gunicorn_preload_workers_use_the_masters_client(pyai_emu: Emulator, tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed (make test-python installs it)")
    (tmp_path / "sfapp.py").write_text(textwrap.dedent(APP))
    port = _free_port()
    env = dict(os.environ, PYAI_API_KEY=PYAI_KEY, SF_TEST_BASE_URL=pyai_emu.url)
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--chdir", str(tmp_path), "--log-level", "warning", "sfapp:app"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        answers: List[List[str]] = []
        started = time.monotonic()
        for i in range(10):
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/w{i}", timeout=15) as resp:
                        assert resp.status == 200
                        answers.append(resp.read().decode().split())
                    break
                except OSError:  # not listening yet
                    assert master.poll() is None, master.communicate()[0].decode()
                    assert time.monotonic() - started < 60, "gunicorn did not start"
                    time.sleep(0.1)
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            output = master.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            master.kill()
            output = master.communicate()[0].decode()
    assert master.returncode == 0, output
    workers = {pid for pid, _, _ in answers}
    assert str(master.pid) not in workers, "answered by the master"
    job_ids = {job_id for _, job_id, _ in answers}
    assert len(job_ids) == 10
    preloaded = {p for _, _, p in answers}
    assert len(preloaded) == 1 and not preloaded & job_ids
    assert pyai_emu.stats()["jobs_created"] == 11, output
