"""Pacing on Redis from Python: several processes on one key share one budget.

Each test starts its own ``redis-server`` on 127.0.0.1 at a free port (``make test``
installs it) and stops it; the other processes are ``python -c`` subprocesses.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, List

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, emulator

WORKER = r"""
import json, sys
from concurrent.futures import ThreadPoolExecutor
import surefoot
url, store, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kwargs = {"pacing_store": store} if store != "-" else {}
client = surefoot.Client(url, "pyai_sk_full_0001", rate_limit="36/s burst 4",
                         backoff=(0.02, 0.2), **kwargs)
def one(_):
    try:
        client.get("/v1/transcription/jobs")
        return True
    except surefoot.SurefootError as e:
        print("call failed:", e.code, file=sys.stderr)
        return False
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(one, range(n)))
print(json.dumps({"ok": sum(results), "failed": len(results) - sum(results)}))
"""


# The workers pace a tenth under the emulator's 40/s burst 5: a worker descheduled between
# its pacing decision and its send (a loaded 2-core machine) can land two requests closer
# together than the schedule put them, and the server's bucket has no slack for that.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def redis_url() -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server is not None, "redis-server is not installed (make test installs it)"
    port = _free_port()
    workdir = tempfile.mkdtemp()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _fleet(url: str, store: str, processes: int, n: int, env: Dict[str, str] | None = None) -> List[Dict[str, Any]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, store, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        for _ in range(processes)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_processes_on_one_key_share_one_budget(redis_url: str) -> None:
    with emulator("pyai", rate_limit=40, burst=5) as emu:
        results = _fleet(emu.url, redis_url, 3, 30)
        assert results == [{"ok": 30, "failed": 0}] * 3
        assert emu.stats()["rate_limited"] == 0
        # The same fleet pacing each process on its own overshoots: the check can fail.
        _fleet(emu.url, "memory", 3, 20)
        assert emu.stats()["rate_limited"] > 0


def test_the_environment_variable_names_the_store(redis_url: str) -> None:
    with emulator("pyai", rate_limit=40, burst=5) as emu:
        results = _fleet(emu.url, "-", 3, 30, env={"SUREFOOT_PACING_STORE": redis_url})
        assert results == [{"ok": 30, "failed": 0}] * 3
        assert emu.stats()["rate_limited"] == 0


def test_every_constructor_takes_pacing_store(redis_url: str, pyai_emu: Emulator) -> None:
    clients: List[Any] = [
        surefoot.Client(pyai_emu.url, PYAI_KEY, pacing_store=redis_url, **FAST),
        surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, pacing_store=redis_url, **FAST),
        surefoot.Specala("spk_alpha_pro_0001", base_url=pyai_emu.url, pacing_store=redis_url),
    ]
    assert clients[0].get("/v1/transcription/jobs").status_code == 200

    async def run() -> int:
        a = surefoot.AsyncClient(pyai_emu.url, PYAI_KEY, pacing_store=redis_url, **FAST)
        surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url, pacing_store=redis_url)
        surefoot.AsyncSpecala("spk_alpha_pro_0001", base_url=pyai_emu.url, pacing_store=None)
        return (await a.get("/v1/transcription/jobs")).status_code

    assert asyncio.run(run()) == 200


def test_a_malformed_url_is_refused_without_the_password() -> None:
    for url, problem in [
        ("redis://:hunter2@127.0.0.1:6379/zero", "database number"),
        ("http://:hunter2@127.0.0.1:6379", "unsupported scheme `http`"),
        ("redis://:hunter2@127.0.0.1/0?fail=sometimes", "`fail` must be `open` or `closed`"),
    ]:
        with pytest.raises(surefoot.InvalidRequestError) as info:
            surefoot.Client("http://127.0.0.1:9", pacing_store=url)
        assert problem in str(info.value)
        assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)
    with pytest.raises(surefoot.InvalidRequestError, match="pacing_store must be a string"):
        surefoot.Client("http://127.0.0.1:9", pacing_store=6379)  # type: ignore[arg-type]


def _redis_keys(url: str) -> List[str]:
    port = url.rsplit(":", 1)[1].split("/")[0]
    out = subprocess.run(
        ["redis-cli", "-p", port, "--raw", "KEYS", "*"], capture_output=True, text=True, check=True
    ).stdout
    return [k for k in out.splitlines() if k]


def test_a_secret_renames_the_keys_and_processes_with_it_share_one_budget(redis_url: str) -> None:
    secret = "py-team-secret-51"
    with emulator("pyai", rate_limit=40, burst=5) as emu:
        # Two processes with the secret in the URL, one with it in the variable: one budget.
        results = _fleet(emu.url, f"{redis_url}?secret={secret}", 2, 30)
        results += _fleet(emu.url, redis_url, 1, 30, env={"SUREFOOT_PACING_SECRET": secret})
        assert results == [{"ok": 30, "failed": 0}] * 3
        assert emu.stats()["rate_limited"] == 0
        with_secret = set(_redis_keys(redis_url))
        assert with_secret and all(k.startswith("surefoot:{") for k in with_secret)
        # Without the secret the same API key has other names.
        _fleet(emu.url, redis_url, 1, 5)
        without = set(_redis_keys(redis_url)) - with_secret
        assert without
        assert not {k.split(":")[1] for k in without} & {k.split(":")[1] for k in with_secret}
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.Client("http://127.0.0.1:9", pacing_store=f"{redis_url}?secret={secret}&fail=x")
    assert secret not in str(info.value) and secret not in repr(info.value)
