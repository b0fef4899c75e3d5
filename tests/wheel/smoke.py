"""Smoke test of an installed surefoot wheel, run by `make wheel-smoke` inside a fresh venv
whose PATH has no cargo or rustc: the wheel must import, start the emulator it ships, and
talk to it through the compiled core (retries, idempotency, pagination, errors). Standard
library only; prints one `N passed, M failed` line.
"""

from __future__ import annotations

import os
import shutil
import sys
import traceback
from typing import Callable, List

import surefoot
from surefoot.testing import Emulator

CHECKS: List[Callable[[], None]] = []


def check(fn: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(fn)
    return fn


@check
def no_rust_toolchain_on_path() -> None:
    for tool in ("cargo", "rustc"):
        assert shutil.which(tool) is None, f"{tool} is on PATH: {shutil.which(tool)}"


@check
def installed_from_the_wheel_not_the_source_tree() -> None:
    here = os.path.dirname(surefoot.__file__)
    assert "site-packages" in here, here
    assert surefoot.__version__, "no version"
    assert os.path.isfile(os.path.join(here, "py.typed")), "no py.typed in the wheel"
    assert os.path.isfile(os.path.join(here, "_native.pyi")), "no stubs in the wheel"


@check
def a_job_is_created_once_through_a_dropped_connection() -> None:
    with Emulator(api="pyai") as emu:
        client = surefoot.PyAI("pyai_sk_full_0001", base_url=emu.url, deadline=30.0)
        emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
        job = client.jobs.create("https://example.com/a.wav", language="en")
        assert job.id and emu.stats()["jobs_created"] == 1, emu.stats()
        assert [j.id for j in client.jobs.list(limit=10)] == [job.id]


@check
def errors_carry_the_stable_code() -> None:
    with Emulator(api="pyai") as emu:
        client = surefoot.PyAI("pyai_sk_full_0001", base_url=emu.url)
        try:
            client.jobs.get("job_missing")
        except surefoot.NotFoundError as e:
            assert e.code == "not_found" and e.status_code == 404, (e.code, e.status_code)
        else:
            raise AssertionError("no NotFoundError")


@check
def specala_bulk_export_paginates() -> None:
    with Emulator(api="specala", transcriptions_per_workspace=150) as emu:
        client = surefoot.Specala("spk_alpha_pro_0001", base_url=emu.url)
        ids = [t.id for t in client.transcriptions.list(limit=100)]
        assert len(ids) == 150, len(ids)
        docs = client.transcriptions.bulk_export(ids, format="md")
        assert len(docs) == 150, len(docs)


def main() -> int:
    failed = 0
    for fn in CHECKS:
        try:
            fn()
            print(f"ok   {fn.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
    print(f"the wheel's smoke test, {sys.prefix}:")
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
