"""The GIL is released while waiting (threads progress in parallel), Ctrl-C interrupts a
wait, and a client keeps working in a child process after os.fork()."""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
import warnings
from typing import List

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, emulator


def test_16_threads_share_one_client_in_parallel() -> None:
    # Without server-side limits: this is about the GIL, not pacing.
    with emulator("pyai", no_rate_limits=True) as emu:
        emu.inject("GET /v1/transcription/jobs", "delay", delay=0.5, count=0)
        client = surefoot.Client(emu.url, PYAI_KEY, **FAST)
        statuses: List[int] = []
        lock = threading.Lock()

        def work() -> None:
            resp = client.get("/v1/transcription/jobs")
            with lock:
                statuses.append(resp.status_code)

        threads = [threading.Thread(target=work) for _ in range(16)]
        started = time.monotonic()
        for t in threads:
            t.start()
        # Meanwhile the main thread keeps running Python code (the GIL is free).
        spins = 0
        while any(t.is_alive() for t in threads):
            spins += 1
            time.sleep(0.001)
        elapsed = time.monotonic() - started
    assert statuses == [200] * 16
    assert elapsed < 0.5 * 16 / 2, f"16 requests of 0.5 s took {elapsed:.2f}s: not parallel"
    assert spins > 10


def _interrupt_after(seconds: float) -> None:
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.daemon = True
    timer.start()


def test_keyboard_interrupt_during_a_backoff_wait(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503, headers={"Retry-After": "30"}, count=0)
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, max_retry_wait=60.0)
    _interrupt_after(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.get("/v1/transcription/jobs")
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, f"KeyboardInterrupt took {elapsed:.2f}s of the 30 s wait"
    time.sleep(0.1)
    assert pyai_emu.stats()["requests"]["GET /v1/transcription/jobs"] == {"503": 1}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_during_a_pacing_wait(pyai_emu: Emulator) -> None:
    # 1 request per 30 s: the second call waits for the client-side pacer.
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, rate_limit="1/30s", max_retry_wait=60.0)
    list(client.jobs.list())
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(client.jobs.list())
    elapsed = time.monotonic() - started
    timer.join()
    assert elapsed < 5.0, f"KeyboardInterrupt took {elapsed:.2f}s of the 30 s wait"


def test_interrupt_in_a_worker_thread_does_not_break_it(pyai_emu: Emulator) -> None:
    # Signals are only delivered to the main thread; other threads keep waiting normally.
    pyai_emu.inject("GET /v1/transcription/jobs", "delay", delay=0.3)
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    out: List[int] = []
    t = threading.Thread(target=lambda: out.append(client.get("/v1/transcription/jobs").status_code))
    t.start()
    t.join()
    assert out == [200]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_client_works_in_a_forked_child(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, deadline=10.0, **FAST)
    job = client.jobs.create("https://example.com/parent.wav")  # warm the connection pool
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded process" (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: same client object, fresh runtime and connections
        code = 1
        try:
            child_job = client.jobs.create("https://example.com/child.wav")
            seen = {j.id for j in client.jobs.list()}
            code = 0 if {job.id, child_job.id} <= seen else 2
        except BaseException:  # noqa: BLE001 - report anything as a failure code
            code = 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung")
        time.sleep(0.02)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    # The parent's client still works too.
    assert len(list(client.jobs.list())) == 2
