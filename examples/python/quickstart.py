"""surefoot quick start: Specala and PyAI, sync.

Runs against the real APIs when SPECALA_API_KEY / PYAI_API_KEY are set, and against the
in-process emulator otherwise:

    python examples/python/quickstart.py
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import surefoot
from surefoot.testing import Emulator


def main() -> None:
    with ExitStack() as stack:
        specala_url = pyai_url = None
        if "SPECALA_API_KEY" not in os.environ:
            specala_url = stack.enter_context(Emulator(api="specala", transcriptions_per_workspace=250)).url
            os.environ["SPECALA_API_KEY"] = "spk_alpha_pro_0001"
        if "PYAI_API_KEY" not in os.environ:
            pyai_url = stack.enter_context(Emulator(api="pyai")).url
            os.environ["PYAI_API_KEY"] = "pyai_sk_full_0001"

        # Specala: list everything lazily, then export it in bulk (100 ids per request,
        # paced under the key's 500 requests/minute).
        specala = surefoot.Specala(base_url=specala_url, deadline=120.0)
        ids = [t.id for t in specala.transcriptions.list(limit=100)]
        docs = specala.transcriptions.bulk_export(ids, format="md")
        print(f"exported {len(docs)} transcriptions")

        try:
            specala.transcriptions.get("tr_does_not_exist")
        except surefoot.NotFoundError as e:
            print(f"{e.code}: {e.message} (request {e.request_id})")

        # PyAI: a job is created exactly once, even when a retry follows a dropped connection.
        pyai = surefoot.PyAI(base_url=pyai_url, max_retry_wait=30.0)
        job = pyai.jobs.create("https://example.com/a.wav", language="en", metadata={"batch": 7})
        print(f"job {job.id} is {job.status}")
        for j in pyai.jobs.list(limit=100):
            print(j)

        # A realtime session holds one of the key's concurrency slots until the block ends.
        with pyai.realtime.open("agent-1") as session:
            print(f"session {session.id} open")

        try:
            pyai.jobs.create("https://example.com/b.wav", idempotency_key=" bad key ")
        except surefoot.InvalidRequestError as e:  # refused before anything was sent
            print(f"{e.code}: {e.message}")


if __name__ == "__main__":
    main()
