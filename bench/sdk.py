"""`make bench-sdk` (part of `make bench`): "The SDKs people use, with surefoot underneath".

The openai SDK, the anthropic SDK and requests, each as shipped and each over surefoot
(``surefoot.httpx2`` transports under the SDKs, ``surefoot.requests.HTTPAdapter`` under
requests, sharing one key's budget through a Redis ``pacing_store`` of this script's own),
make N chat completions (``POST /v1/chat/completions``) on one PyAI key against the release
emulator at its documented 50/s burst 10, from 1 and from 4 processes of 4 threads. Side by
side, in one run:

* ``openai`` / ``anthropic``: the SDK's defaults (2 retries, ``Retry-After`` honoured up to
  60 s); ``requests``: urllib3 ``Retry(total=5, backoff_factor=0.5)`` on 429/5xx with
  ``Retry-After`` honoured (bench/many.py's session);
* ``… + surefoot``: the SDK's own retries off (``max_retries=0``), surefoot's transport with
  ``rate_limit="50/s burst 10"`` (the documented limit) and the Redis store; requests with
  surefoot's adapter and the same options.

For each: wall / ideal (ideal = (N - burst) / 50 s), the emulator's 429s, failed calls,
and the CPU time the client processes spent per call (user + system; each process first
makes one warm-up call on another key, so start-up is not measured).
Then the per-request cost of the transport with no limit in play (one process, one
thread, the emulator without limits): httpx's and httpx2's own transports vs surefoot's,
requests' own adapter vs surefoot's, p50 of each call's time. Writes
bench/sdk_results.json; bench/sdk_report.py writes the section of bench/RESULTS.md.

    python bench/sdk.py             the full run
    python bench/sdk.py --quick     small counts (bench/out/sdk_results.json)
    python bench/sdk.py worker KIND URL REDIS N THREADS   (one client process)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from many import BURST, RATE, Emulator, Redis, make_session, pct  # noqa: E402

BENCH = Path(__file__).resolve().parent
PYAI_KEY = "pyai_sk_full_0001"
WARM_KEY = "pyai_sk_readonly_0002"
PATH = "/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
KINDS = ["openai", "openai+surefoot", "anthropic", "anthropic+surefoot", "requests", "requests+surefoot"]
COST_KINDS = ["httpx", "httpx+surefoot", "httpx2", "httpx2+surefoot", "requests", "requests+surefoot"]


# ----- one client process --------------------------------------------------------------


def surefoot_options(redis_url: str) -> dict[str, Any]:
    return {"pacing_store": redis_url, "rate_limit": f"{RATE}/s burst {BURST}"}


def make_call(kind: str, url: str, redis_url: str, key: str = PYAI_KEY) -> Callable[[], bool]:
    """One chat completion with the client `kind` on `key`; True when it succeeded."""
    over = kind.endswith("+surefoot")
    if kind.startswith("openai"):
        import httpx2
        import openai

        import surefoot.httpx2

        kw: dict[str, Any] = {}
        if over:
            transport = surefoot.httpx2.HTTPTransport(**surefoot_options(redis_url))
            kw = {"max_retries": 0, "http_client": httpx2.Client(transport=transport)}
        oa = openai.OpenAI(base_url=url + "/v1", api_key=key, **kw)

        def call() -> bool:
            try:
                oa.chat.completions.create(model="m", messages=BODY["messages"])  # type: ignore[arg-type]
                return True
            except openai.OpenAIError as e:
                print(f"failed: {type(e).__name__}", file=sys.stderr)
                return False

        return call
    if kind.startswith("anthropic"):
        import anthropic
        import httpx2

        import surefoot.httpx2

        kw = {}
        if over:
            transport = surefoot.httpx2.HTTPTransport(**surefoot_options(redis_url))
            kw = {"max_retries": 0, "http_client": httpx2.Client(transport=transport)}
        an = anthropic.Anthropic(base_url=url, api_key=key, **kw)

        def call() -> bool:
            try:
                an.post(PATH, cast_to=httpx2.Response, body=BODY)
                return True
            except anthropic.AnthropicError as e:
                print(f"failed: {type(e).__name__}", file=sys.stderr)
                return False

        return call
    import requests

    import surefoot.requests

    local = threading.local()

    def session() -> Any:
        if not hasattr(local, "s"):
            if over:
                local.s = requests.Session()
                local.s.mount("http://", surefoot.requests.HTTPAdapter(**surefoot_options(redis_url)))
            else:
                local.s = make_session()
            local.s.headers["authorization"] = f"Bearer {key}"
        return local.s

    def call() -> bool:
        try:
            r = session().post(url + PATH, json=BODY, timeout=60)
        except requests.RequestException as e:
            print(f"failed: {type(e).__name__}", file=sys.stderr)
            return False
        if r.status_code != 200:
            print(f"failed: {r.status_code}", file=sys.stderr)
        return bool(r.status_code == 200)

    return call


def make_plain_call(kind: str, url: str) -> Callable[[], bool]:
    """One chat completion over the bare HTTP library `kind` (the transport-cost runs)."""
    headers = {"authorization": f"Bearer {PYAI_KEY}"}
    if kind.startswith("requests"):
        import requests

        import surefoot.requests

        s = requests.Session()
        if kind.endswith("+surefoot"):
            s.mount("http://", surefoot.requests.HTTPAdapter())
        return lambda: bool(s.post(url + PATH, json=BODY, headers=headers).status_code == 200)
    if kind.startswith("httpx2"):
        import httpx2 as h

        import surefoot.httpx2 as sh
    else:
        import httpx as h  # type: ignore[no-redef]

        import surefoot.httpx as sh  # type: ignore[no-redef]
    client = h.Client(transport=sh.HTTPTransport()) if kind.endswith("+surefoot") else h.Client()
    return lambda: bool(client.post(url + PATH, json=BODY, headers=headers).status_code == 200)


def worker(kind: str, url: str, redis_url: str, n: int, threads: int) -> None:
    """Set up, print ``ready``, wait for ``go`` on stdin, make `n` calls from `threads`
    threads, print one JSON line (counts, wall, each call's time in ms)."""
    if kind.startswith("cost:"):
        call = make_plain_call(kind[5:], url)
        call()  # warm: the connection, the runtime
    else:
        call = make_call(kind, url, redis_url)
        # Warm everything a process does once (imports, the SDK's response models, the
        # runtime, Redis and the connections) with one call on another key, so that the
        # measured key's budget is untouched and the run measures the calls, not start-up.
        make_call(kind, url, redis_url, key=WARM_KEY)()
    print("ready", flush=True)
    sys.stdin.readline()
    lock = threading.Lock()
    remaining = [n]
    results = {"ok": 0, "failed": 0}
    lat: list[float] = []

    def loop() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            t = time.perf_counter()
            ok = call()
            ms = (time.perf_counter() - t) * 1000
            with lock:
                results["ok" if ok else "failed"] += 1
                lat.append(ms)

    start, cpu = time.monotonic(), os.times()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    end = os.times()
    cpu_s = (end.user - cpu.user) + (end.system - cpu.system)
    print(json.dumps({**results, "wall": time.monotonic() - start, "cpu": cpu_s, "lat": lat}), flush=True)


# ----- the driver ----------------------------------------------------------------------


def run(kind: str, processes: int, n: int, threads: int, redis: Redis, emu_args: list[str]) -> dict[str, Any]:
    redis.command("FLUSHALL")
    emu = Emulator(*emu_args)
    try:
        share = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "worker", kind, emu.url, redis.url, str(k), str(threads)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for k in share
        ]
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"{kind} worker: {line!r} {p.stderr.read() if p.stderr else ''}")
        emu.admin("POST", "stats/reset")
        start = time.monotonic()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        # The wall ends when the last worker has reported, not when it has exited: the
        # anthropic SDK alone takes about a second to exit, on any transport.
        lines = []
        for p in procs:
            assert p.stdout is not None
            lines.append(p.stdout.readline())
        wall = time.monotonic() - start
        outs, errors = [], []
        for p, line in zip(procs, lines):
            _, err = p.communicate(timeout=900)
            if p.returncode != 0 or not line.strip():
                raise RuntimeError(f"{kind} worker failed: {err[-2000:]}")
            outs.append(json.loads(line))
            errors += [e for e in err.splitlines() if e.startswith("failed:")]
        stats = emu.stats()
    finally:
        emu.stop()
    causes: dict[str, int] = {}
    for e in errors:
        causes[e[len("failed: "):]] = causes.get(e[len("failed: "):], 0) + 1
    return {
        "kind": kind, "processes": processes, "threads": threads, "n": n, "wall": wall,
        "ok": sum(o["ok"] for o in outs), "failed": sum(o["failed"] for o in outs),
        "failed_by": causes, "requests": stats["total_requests"], "rate_limited": stats["rate_limited"],
        "client_cpu": sum(o["cpu"] for o in outs), "worker_wall": max(o["wall"] for o in outs),
        "lat": [x for o in outs for x in o["lat"]],
    }


def versions() -> dict[str, str]:
    out = {}
    for name in ("surefoot", "openai", "anthropic", "httpx", "httpx2", "requests", "urllib3"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "?"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None, help="calls per run (default 1,000; --quick 200)")
    ap.add_argument("--cost-n", type=int, default=None, help="calls per transport-cost run (default 1,000)")
    ap.add_argument("--build", default="release", help="how the wheel was built (recorded)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="the clients to run (comma-separated)")
    ap.add_argument("--processes", default="1,4", help="process counts (comma-separated)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    n = args.n or (200 if args.quick else 1000)
    cost_n = args.cost_n or (200 if args.quick else 1000)
    threads = 4
    out_path = Path(args.out) if args.out else (BENCH / "out" / "sdk_results.json" if args.quick else BENCH / "sdk_results.json")
    ideal = (n - BURST) / RATE
    limits = ["--rate-limit", f"{RATE}/s", "--burst", str(BURST)]
    redis = Redis()
    runs, cost = [], {}
    started = time.monotonic()
    try:
        for processes in [int(p) for p in args.processes.split(",")]:
            for kind in args.kinds.split(","):
                r = run(kind, processes, n, threads, redis, limits)
                lat = r.pop("lat")
                r["lat_ms"] = {"p50": pct(lat, 0.5), "p90": pct(lat, 0.9), "p99": pct(lat, 0.99), "max": max(lat)}
                r["ideal"] = ideal
                runs.append(r)
                print(f"{kind:20} {processes} proc: wall/ideal {r['wall'] / ideal:.2f}, 429s {r['rate_limited']}, "
                      f"failed {r['failed']}, client CPU {1000 * r['client_cpu'] / n:.1f} ms/call, "
                      f"workers' wall / ideal {r['worker_wall'] / ideal:.2f}, latency ms {r['lat_ms']}", flush=True)
        for kind in COST_KINDS:
            r = run("cost:" + kind, 1, cost_n, 1, redis, ["--no-rate-limits"])
            cost[kind] = {"p50": pct(r["lat"], 0.5), "p99": pct(r["lat"], 0.99), "n": len(r["lat"]),
                          "failed": r["failed"]}
            print(f"cost {kind:18} p50 {cost[kind]['p50']:.3f} ms p99 {cost[kind]['p99']:.3f} ms", flush=True)
    finally:
        redis.stop()
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH).stdout.strip()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git": git, "build": args.build, "quick": args.quick, "versions": versions(),
        "rate": RATE, "burst": BURST, "n": n, "threads": threads, "cost_n": cost_n,
        "duration_s": time.monotonic() - started, "runs": runs, "cost": cost,
    }, indent=1))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        kind, url, redis_url, n, threads = sys.argv[2:7]
        worker(kind, url, redis_url, int(n), int(threads))
    else:
        main()
