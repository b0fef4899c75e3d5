"""The Python worker of the chaos soak (bench/soak.py drives it): the surefoot wheel's
PyAI and Specala clients, one of each shared by N threads (``--mode threads``) or by N
asyncio tasks (``--mode asyncio``), taking items from one counter until ``--seconds``
have passed or ``--items`` are taken. Each item is an idempotent job creation (its own
idempotency key and ``metadata.item``; tried again up to 3 rounds with the same key while
the error is retryable), a get of a job created earlier (a list walk while none is), a
list walk of up to 3 pages, or a bulk export of 20-150 transcriptions. Prints
``{"ready": true}``, then one JSON line: items started, done, failed per error code (and
stop reason), wrong answers, created (item, job id) pairs.
The same mix and output as tests/c/chaos_threads.c and the Rust worker.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import itertools
import json
import signal
import sys
import threading
import time
from collections import Counter
from typing import Any

import surefoot

OPS = ("create", "get", "list", "bulk_export")
ROUNDS = 3
M64 = (1 << 64) - 1


def mix(z: int) -> int:
    """splitmix64, as in the C worker: the same item draws the same operation."""
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class Books:
    """The worker's own accounting, shared by every thread or task."""

    def __init__(self, label: str, seed: int, items: int | None, seconds: float | None) -> None:
        self.label, self.seed = label, seed
        self.max_items, self.stop_at = items, (time.monotonic() + seconds if seconds else None)
        self.lock = threading.Lock()
        self.counter = itertools.count()
        self.started = self.done = self.wrong = self.rounds_again = 0
        self.failed: Counter[str] = Counter()
        self.ops = {op: {"done": 0, "failed": 0} for op in OPS}
        self.created: list[tuple[str, str]] = []

    def claim(self) -> int | None:
        with self.lock:
            if self.stop_at is not None and time.monotonic() >= self.stop_at:
                return None
            i = next(self.counter)
            if self.max_items is not None and i >= self.max_items:
                return None
            self.started += 1
            return i

    def key(self, item: int) -> str:
        return f"{self.label}-{self.seed}-{item}"

    def plan(self, item: int) -> tuple[str, int]:
        r = mix(self.seed ^ ((item * 0x100000001B3) & M64))
        pick = r % 100
        op = "create" if pick < 40 else "get" if pick < 65 else "list" if pick < 80 else "bulk_export"
        return op, r >> 8

    def ok(self, op: str) -> None:
        with self.lock:
            self.done += 1
            self.ops[op]["done"] += 1

    def fail(self, op: str, err: BaseException) -> None:
        code = getattr(err, "code", None) or type(err).__name__
        stop = getattr(err, "stop_reason", None)
        code = f"{code}/{stop}" if stop else code  # why the client stopped retrying
        with self.lock:
            self.failed[code] += 1
            self.ops[op]["failed"] += 1

    def bad(self, op: str, what: str) -> None:
        print(f"soak_worker: wrong answer ({op}): {what[:200]}", file=sys.stderr)
        with self.lock:
            self.wrong += 1
            self.failed["wrong_answer"] += 1
            self.ops[op]["failed"] += 1

    def job_for_get(self, r: int) -> str | None:
        """A job created earlier, or None while there is none (a list walk instead)."""
        with self.lock:
            return self.created[r % len(self.created)][1] if self.created else None

    def bulk_ids(self, r: int) -> list[str]:
        n, first = 20 + r % 131, (r >> 16) % (3000 - 150)
        return [f"tr_alpha_{first + i:06d}" for i in range(n)]

    def report(self, mode: str, workers: int, seconds: float) -> dict[str, Any]:
        return {
            "lang": self.label, "mode": mode, "threads": workers, "seconds": round(seconds, 3),
            "started": self.started, "done": self.done, "wrong": self.wrong,
            "rounds_again": self.rounds_again, "ops": self.ops, "failed": dict(self.failed),
            "created": self.created,
        }


OPTIONS: dict[str, Any] = {"max_retries": 3, "deadline": 30.0, "backoff": (0.02, 0.4)}


def run_threads(b: Books, args: argparse.Namespace) -> None:
    pyai = surefoot.PyAI("pyai_sk_full_0001", base_url=args.pyai, timeout=args.timeout, **OPTIONS)
    specala = surefoot.Specala("spk_alpha_pro_0001", base_url=args.specala, timeout=args.timeout,
                               rate_limit="600/s burst 60", **OPTIONS)

    def one(item: int) -> None:
        op, r = b.plan(item)
        want = b.job_for_get(r) if op == "get" else None
        if op == "get" and want is None:
            op = "list"
        try:
            if op == "create":
                key = b.key(item)
                for round_ in range(ROUNDS):
                    try:
                        job = pyai.jobs.create(f"https://example.com/{key}.wav", idempotency_key=key,
                                               metadata={"item": key})
                        break
                    except surefoot.SurefootError as e:
                        if not e.retryable or round_ == ROUNDS - 1:
                            raise
                        with b.lock:
                            b.rounds_again += 1
                with b.lock:
                    b.created.append((key, job.id))
                b.ok(op)
            elif op == "get":
                assert want is not None
                got = pyai.jobs.get(want)
                b.ok(op) if got.id == want else b.bad(op, f"{got.id} for {want}")
            elif op == "list":
                known = len(b.created)  # empty is right only while nothing is created
                n = sum(1 for _ in itertools.islice(pyai.jobs.list(limit=50), 150))
                b.ok(op) if n > 0 or known == 0 else b.bad(op, "an empty list after a creation")
            else:
                ids = b.bulk_ids(r)
                docs = specala.transcriptions.bulk_export(ids)
                ok = list(docs) == ids and all(docs.values())
                b.ok(op) if ok else b.bad(op, "missing or foreign documents")
        except surefoot.SurefootError as e:
            b.fail(op, e)

    def loop() -> None:
        while (item := b.claim()) is not None:
            one(item)

    threads = [threading.Thread(target=loop) for _ in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pyai.close()
    specala.close()


async def run_asyncio(b: Books, args: argparse.Namespace) -> None:
    pyai = surefoot.AsyncPyAI("pyai_sk_full_0001", base_url=args.pyai, timeout=args.timeout, **OPTIONS)
    specala = surefoot.AsyncSpecala("spk_alpha_pro_0001", base_url=args.specala,
                                    timeout=args.timeout, rate_limit="600/s burst 60", **OPTIONS)

    async def one(item: int) -> None:
        op, r = b.plan(item)
        want = b.job_for_get(r) if op == "get" else None
        if op == "get" and want is None:
            op = "list"
        try:
            if op == "create":
                key = b.key(item)
                for round_ in range(ROUNDS):
                    try:
                        job = await pyai.jobs.create(f"https://example.com/{key}.wav",
                                                     idempotency_key=key, metadata={"item": key})
                        break
                    except surefoot.SurefootError as e:
                        if not e.retryable or round_ == ROUNDS - 1:
                            raise
                        b.rounds_again += 1
                b.created.append((key, job.id))
                b.ok(op)
            elif op == "get":
                assert want is not None
                got = await pyai.jobs.get(want)
                b.ok(op) if got.id == want else b.bad(op, f"{got.id} for {want}")
            elif op == "list":
                known, n = len(b.created), 0
                async for _ in pyai.jobs.list(limit=50):
                    n += 1
                    if n >= 150:
                        break
                b.ok(op) if n > 0 or known == 0 else b.bad(op, "an empty list after a creation")
            else:
                ids = b.bulk_ids(r)
                docs = await specala.transcriptions.bulk_export(ids)
                ok = list(docs) == ids and all(docs.values())
                b.ok(op) if ok else b.bad(op, "missing or foreign documents")
        except surefoot.SurefootError as e:
            b.fail(op, e)

    async def loop() -> None:
        while (item := b.claim()) is not None:
            await one(item)

    await asyncio.gather(*(loop() for _ in range(args.workers)))
    await pyai.close()
    await specala.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pyai", required=True)
    p.add_argument("--specala", required=True)
    p.add_argument("--mode", choices=("threads", "asyncio"), default="threads")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--items", type=int)
    p.add_argument("--seconds", type=float)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--label", default="py")
    p.add_argument("--timeout-ms", type=float, default=1000.0)
    args = p.parse_args()
    args.timeout = args.timeout_ms / 1000
    # The driver sends SIGUSR1 to a worker that outlived its bound: every thread's stack.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    b = Books(args.label, args.seed, args.items, args.seconds)
    print(json.dumps({"ready": True}), flush=True)
    t0 = time.monotonic()
    if args.mode == "threads":
        run_threads(b, args)
    else:
        asyncio.run(run_asyncio(b, args))
    print(json.dumps(b.report(args.mode, args.workers, time.monotonic() - t0)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
