"""`make bench-many` (part of `make bench`): "Many processes, one key".

1, 2, 4 and 8 client processes x 8 threads share 2,000 GETs on one PyAI key against the
release emulator at its documented 50/s burst 10. Side by side, in one run:

* ``surefoot-memory``: surefoot (Python wheel), each process pacing on its own;
* ``surefoot-redis``: surefoot with ``pacing_store="redis://…"``;
* ``limits``: ``limits`` moving window "50/second" on Redis + requests (urllib3 Retry);
* ``pyrate``: PyrateLimiter's Redis bucket (50/s) + requests (urllib3 Retry).

For each run: wall / ideal (ideal = (2,000 - burst) / 50 s), the emulator's 429s, failed
calls, Redis round trips per request (commands clients sent, counted with `MONITOR`; not
those scripts run inside Redis, nor connection set-up). Then the latency the store adds
per request (one process, one thread, no server limit: surefoot on Redis minus surefoot
in memory, per request; for the peers their limiter call alone), and one run per Redis client with Redis killed halfway
(4 processes). Writes bench/many_results.json; bench/report.py puts the section into
bench/RESULTS.md.

    python bench/many.py            the full run
    python bench/many.py --quick    small counts (bench/out/many_results.json)
    python bench/many.py worker KIND URL REDIS N THREADS MODE   (one client process)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TARGET = Path(os.environ.get("BENCH_TARGET", BENCH / "target"))
EMULATOR = TARGET / "release" / "surefoot-emulator"
PYAI_KEY = "pyai_sk_full_0001"
PATH = "/v1/transcription/jobs"
# The key's limit (a worker may be told another with BENCH_RATE / BENCH_BURST).
RATE = int(os.environ.get("BENCH_RATE", "50"))
BURST = int(os.environ.get("BENCH_BURST", "10"))
KINDS = ["surefoot-memory", "surefoot-redis", "limits", "pyrate"]
REDIS_KINDS = ["surefoot-redis", "limits", "pyrate"]


# ----- one client process --------------------------------------------------------------


def make_session() -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()
    retry = Retry(
        total=5,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=None,
        respect_retry_after_header=True,
        backoff_factor=0.5,
        raise_on_status=False,
    )
    s.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=16))
    s.headers["authorization"] = f"Bearer {PYAI_KEY}"
    return s


def worker(kind: str, url: str, redis_url: str, n: int, threads: int, mode: str) -> None:
    """Set up, print ``ready``, wait for ``go`` on stdin, make `n` calls from `threads`
    threads, print one JSON line."""
    rate: str | None = f"{RATE}/s burst {BURST}" if mode == "paced" else "100000/s"
    if mode == "learn":
        rate = None  # no limit given: surefoot learns it from the server's 429s
    lat: list[float] = []
    lat_lock = threading.Lock()
    if kind.startswith("surefoot"):
        import surefoot

        store = redis_url if kind == "surefoot-redis" else "memory"
        client = surefoot.Client(url, PYAI_KEY, rate_limit=rate, pacing_store=store, max_retries=5)
        path = os.environ.get("BENCH_PATH", PATH)

        def call() -> bool:
            t = time.perf_counter()
            try:
                client.get(path)
                ok = True
            except surefoot.SurefootError as e:
                print(f"failed: {e.code}", file=sys.stderr)
                ok = False
            with lat_lock:
                lat.append((time.perf_counter() - t) * 1000)
            return ok

    else:
        session_local = threading.local()

        def session() -> Any:
            if not hasattr(session_local, "s"):
                session_local.s = make_session()
            return session_local.s

        if kind == "limits":
            from limits import parse, storage, strategies

            st = storage.storage_from_string(redis_url.rsplit("/", 1)[0])
            limiter = strategies.MovingWindowRateLimiter(st)
            item = parse(f"{RATE}/second" if mode == "paced" else "100000/second")

            def acquire() -> None:
                while True:
                    if limiter.hit(item, "bench", "pyai_key"):
                        return
                    reset, _ = limiter.get_window_stats(item, "bench", "pyai_key")
                    time.sleep(min(max(reset - time.time(), 0.002), 1.0))

        else:
            import redis
            from pyrate_limiter import Duration, Limiter, Rate, RedisBucket

            conn = redis.Redis.from_url(redis_url)
            per = Rate(RATE, Duration.SECOND) if mode == "paced" else Rate(100000, Duration.SECOND)
            bucket = RedisBucket.init([per], conn, "bench-pyai-key")
            plimiter = Limiter(bucket)

            def acquire() -> None:
                plimiter.try_acquire("pyai_key", blocking=True)

        def call() -> bool:
            try:
                t = time.perf_counter()
                acquire()
                with lat_lock:
                    lat.append((time.perf_counter() - t) * 1000)
                r = session().get(url + PATH, timeout=30)
                if r.status_code != 200:
                    print(f"failed: {r.status_code}", file=sys.stderr)
                return bool(r.status_code == 200)
            except Exception as e:  # noqa: BLE001 - a failed call, whatever raised
                print(f"failed: {type(e).__name__}", file=sys.stderr)
                return False

    print("ready", flush=True)
    sys.stdin.readline()
    counter = iter(range(n))
    counter_lock = threading.Lock()
    results = {"ok": 0, "failed": 0}

    def loop() -> None:
        while True:
            with counter_lock:
                if next(counter, None) is None:
                    return
            ok = call()
            with counter_lock:
                results["ok" if ok else "failed"] += 1

    start = time.monotonic()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.monotonic() - start
    print(json.dumps({**results, "wall": wall, "lat": lat}), flush=True)


# ----- the driver ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                if self.command("PING"):
                    return
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def command(self, *args: str) -> Any:
        import redis

        return redis.Redis(port=self.port, socket_timeout=5).execute_command(*args)

    def calls(self) -> dict[str, int]:
        import redis

        stats = redis.Redis(port=self.port, socket_timeout=5).info("commandstats")
        return {k[len("cmdstat_"):]: int(v["calls"]) for k, v in stats.items()}

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Monitor:
    """Counts the commands clients send (round trips) with `MONITOR`, leaving out the
    commands scripts run inside Redis (`[… lua]` lines) and connection set-up."""

    SETUP = {"info", "ping", "client", "select", "hello", "script", "flushall", "monitor"}

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"MONITOR\r\n")
        self.sent = 0
        self.by_command: dict[str, int] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return
                buf += chunk
                *lines, buf = buf.split(b"\r\n")
                for line in lines:
                    text = line.decode(errors="replace")
                    if not text.startswith("+") or " lua]" in text or "[" not in text:
                        continue
                    try:
                        cmd = text.split("] ", 1)[1].split(" ", 1)[0].strip('"').lower()
                    except IndexError:
                        continue
                    if cmd in self.SETUP:
                        continue
                    self.sent += 1
                    self.by_command[cmd] = self.by_command.get(cmd, 0) + 1
        except OSError:
            return

    def stop(self) -> tuple[int, dict[str, int]]:
        time.sleep(0.2)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
        return self.sent, self.by_command


class Emulator:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(EMULATOR), "--api", "pyai", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def admin(self, method: str, path: str) -> Any:
        req = urllib.request.Request(f"{self.url}/__emulator/{path}", method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def stats(self) -> dict[str, Any]:
        s: dict[str, Any] = self.admin("GET", "stats")
        return {"total_requests": s["total_requests"], "rate_limited": s["rate_limited"]}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def run(
    kind: str,
    processes: int,
    n: int,
    threads: int,
    redis: Redis,
    emu_args: list[str],
    mode: str = "paced",
    kill_at: float | None = None,
) -> dict[str, Any]:
    redis.command("FLUSHALL")
    emu = Emulator(*emu_args)
    share = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", kind, emu.url, redis.url, str(k), str(threads), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in share
    ]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"{kind} worker: {line!r} {p.stderr.read() if p.stderr else ''}")
    emu.admin("POST", "stats/reset")
    monitor = Monitor(redis.port) if kill_at is None else None
    start = time.monotonic()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    at_kill: dict[str, Any] | None = None
    if kill_at is not None:
        time.sleep(kill_at)
        at_kill = emu.stats()
        redis.kill()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        if p.returncode != 0 or not out.strip():
            raise RuntimeError(f"{kind} worker failed: {err[-2000:]}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.monotonic() - start
    stats = emu.stats()
    emu.stop()
    result: dict[str, Any] = {
        "kind": kind,
        "processes": processes,
        "threads": threads,
        "n": n,
        "wall": wall,
        "ok": sum(o["ok"] for o in outs),
        "failed": sum(o["failed"] for o in outs),
        "requests": stats["total_requests"],
        "rate_limited": stats["rate_limited"],
        "lat": [x for o in outs for x in o["lat"]],
    }
    if monitor is not None:
        result["redis_calls"], result["redis_by_command"] = monitor.stop()
    else:
        assert at_kill is not None
        result["killed_at"] = kill_at
        away_requests = stats["total_requests"] - at_kill["total_requests"]
        away_429 = stats["rate_limited"] - at_kill["rate_limited"]
        result["away_requests"] = away_requests
        result["away_429"] = away_429
        redis.start()
    return result


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    n = 300 if args.quick else 2000
    counts = [1, 2, 4] if args.quick else [1, 2, 4, 8]
    threads = 8
    lat_n = 100 if args.quick else 500
    out_path = Path(args.out) if args.out else (BENCH / "out" / "many_results.json" if args.quick else BENCH / "many_results.json")
    ideal = (n - BURST) / RATE
    limits_args = ["--rate-limit", f"{RATE}/s", "--burst", str(BURST)]
    redis = Redis()
    runs = []
    try:
        for p in counts:
            for kind in KINDS:
                r = run(kind, p, n, threads, redis, limits_args)
                r["ideal"] = ideal
                del r["lat"]
                runs.append(r)
                print(
                    f"{kind:16} {p} proc: wall/ideal {r['wall'] / ideal:.2f}, 429s {r['rate_limited']}, "
                    f"failed {r['failed']}, redis calls/request {r.get('redis_calls', 0) / max(r['requests'], 1):.2f}",
                    flush=True,
                )
        latency = {}
        for kind in KINDS:
            r = run(kind, 1, lat_n, 1, redis, ["--no-rate-limits"], mode="latency")
            latency[kind] = {"p50": pct(r["lat"], 0.5), "p99": pct(r["lat"], 0.99), "n": len(r["lat"]),
                             "redis_calls": r.get("redis_calls", 0), "requests": r["requests"]}
            print(f"latency {kind:16} p50 {latency[kind]['p50']:.3f} ms p99 {latency[kind]['p99']:.3f} ms", flush=True)
        outage = []
        for kind in REDIS_KINDS:
            r = run(kind, 4, n, threads, redis, limits_args, kill_at=ideal / 2)
            r["ideal"] = ideal
            del r["lat"]
            outage.append(r)
            print(
                f"outage {kind:16}: wall/ideal {r['wall'] / ideal:.2f}, failed {r['failed']}, "
                f"429s while away {r['away_429']} of {r['away_requests']}",
                flush=True,
            )
    finally:
        redis.stop()
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "redis": redis_version,
                "rate": RATE,
                "burst": BURST,
                "n": n,
                "threads": threads,
                "runs": runs,
                "latency": latency,
                "outage": outage,
            },
            indent=1,
        )
    )
    print(f"wrote {out_path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        kind, url, redis_url, n, threads, mode = sys.argv[2:8]
        worker(kind, url, redis_url, int(n), int(threads), mode)
    else:
        main()
