"""Async PyAI: many jobs at once on surefoot's runtime (no thread per call), `async for`
pagination, `async with` sessions, and branching on the stable error code.

    python examples/python/async_jobs.py
"""

from __future__ import annotations

import asyncio
import os
from typing import List, Optional

import surefoot
from surefoot.testing import Emulator


async def run(base_url: Optional[str]) -> None:
    async with surefoot.AsyncPyAI(base_url=base_url, rate_limit="20/s burst 5") as client:
        jobs: List[surefoot.Job] = await asyncio.gather(
            *(client.jobs.create(f"https://example.com/{i}.wav") for i in range(10))
        )
        print(f"created {len(jobs)} jobs")
        async for job in client.jobs.list(limit=5):
            print(job.id, job.status)
        async with client.realtime.open("agent-1") as session:
            print(f"session {session.id} open")
        try:
            await client.jobs.get("job_missing")
        except surefoot.APIStatusError as e:
            if e.code == "not_found":
                print("no such job")
            else:
                raise


def main() -> None:
    if "PYAI_API_KEY" in os.environ:
        asyncio.run(run(None))
        return
    with Emulator(api="pyai") as emu:
        os.environ["PYAI_API_KEY"] = "pyai_sk_full_0001"
        asyncio.run(run(emu.url))


if __name__ == "__main__":
    main()
