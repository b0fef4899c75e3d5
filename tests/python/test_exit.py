"""A program that exits with async calls still in flight exits cleanly.

The shared runtime's threads complete asyncio futures and hand log records to Python on
their own. Before the binding closed the door at exit (``bindings/python/src/shutdown.rs``),
a thread that took the GIL while the interpreter finalized aborted the process
("PyGILState_Release: thread state must be current when releasing") or crashed it: the chaos
soak's asyncio worker died that way about one run in four, and the script below about one
run in ten. Each run here is a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, os, sys
    import surefoot
    from surefoot.testing import Emulator

    # DEBUG: the runtime's threads hand a record to Python for every attempt.
    logging.basicConfig(level=logging.DEBUG, stream=open(os.devnull, "w"))
    emu = Emulator(api="pyai")

    async def main() -> None:
        client = surefoot.AsyncPyAI("pyai_sk_full_0001", base_url=emu.url)
        calls = [asyncio.ensure_future(client.jobs.get(f"job_{i}")) for i in range(300)]
        await asyncio.sleep(float(sys.argv[1]))
        # asyncio.run cancels the calls still running; the interpreter then exits while
        # the runtime is still answering, completing and logging them.

    asyncio.run(main())
    """
)


def test_exiting_with_async_calls_in_flight_does_not_crash() -> None:
    failures = []
    for i in range(16):
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(0.002 * (i % 8))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if run.returncode != 0:
            failures.append(f"run {i}: exit {run.returncode}: {run.stderr[-300:]}")
    assert not failures, "\n".join(failures)
