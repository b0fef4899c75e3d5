"""The generic client for any REST API with surefoot's conventions (bearer keys, JSON errors,
`{"data": [...], "next_cursor": ...}` lists), with one deadline, a rate limit and logging.

    python examples/python/generic_client.py
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import surefoot
from surefoot.testing import Emulator


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    logging.getLogger("surefoot").setLevel(logging.INFO)  # retries and waits, never the key

    with Emulator(api="pyai") as emu:
        emu.inject("GET /v1/transcription/jobs", "status", status=503)  # retried once
        with surefoot.Client(
            emu.url,
            "pyai_sk_full_0001",
            deadline=30.0,
            rate_limit=surefoot.RateLimit(requests=20, per=1.0, burst=5),
        ) as client:
            print(client)  # the key is masked
            resp = client.post(
                "/v1/transcription/jobs",
                json={"audio_url": "https://example.com/a.wav"},
                idempotency_key="order-42-job",
            )
            created: Dict[str, Any] = resp.json()
            print(resp.status_code, created["id"], f"after {resp.attempts} attempt(s)")
            jobs: List[Dict[str, Any]] = list(client.paginate("/v1/transcription/jobs", limit=50))
            print(f"{len(jobs)} job(s)")
            try:
                client.get("/v1/transcription/jobs/job_missing")
            except surefoot.SurefootError as e:
                print(f"{type(e).__name__} {e.code} status={e.status_code} attempts={e.attempts}")
            print(emu.stats()["requests"])


if __name__ == "__main__":
    main()
