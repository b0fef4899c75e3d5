"""`make bench`: every benchmark of bench/README.md, side by side, against the emulator.

For each (benchmark, client) it starts a fresh `surefoot-emulator` process on port 0, a
fresh client process (bench/clients.py, the Rust `surefoot-bench`, or the C `bench_c`),
waits for the client's ``ready`` (set up and warmed), resets the emulator's stats,
says go, and reads the client's one-line JSON result and the emulator's stats. Counts of
requests, 429s and 503s come from the emulator, so every client is measured the same
way. Results go to bench/results.json; bench/report.py turns them into bench/RESULTS.md
and bench/plots/*.png.

    python bench/run.py               the full run (writes bench/results.json)
    python bench/run.py --quick       small counts for development (bench/out/)
    python bench/run.py --only goodput,outage
    python bench/run.py --only create_many
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TARGET = Path(os.environ.get("BENCH_TARGET", BENCH / "target"))
EMULATOR = TARGET / "release" / "surefoot-emulator"
RUST = TARGET / "release" / "surefoot-bench"
C_BIN = TARGET / "bench_c"
# The same program on a plain release build of the library (no profile-guided optimisation,
# bindings/c/pgo/rules.mk), for section 2's "surefoot (no PGO)" row.
C_PLAIN_BIN = TARGET / "bench_c_plain"
PY = sys.executable

PYAI_KEY = "pyai_sk_full_0001"
SPECALA_KEY = "spk_alpha_pro_0001"


# ----- the scale of each benchmark -------------------------------------------------------

FULL: dict[str, Any] = {
    # PyAI at its documented 50/s burst 10; Specala's 500/min scaled 12x to 500 per 5 s so
    # 2,000 requests take 20 s, not 4 minutes.
    "goodput": {"n": 2000, "workers": 32, "pyai_rate": (50, 1.0, 10), "specala_rate": (500, 5.0, 1)},
    "overhead": {"n": 20000, "warmup": 200, "concurrency": [1, 32], "repeat_fast": 3},
    "paginate": {"items": 100000, "latency_ms": 5},
    # Specala's 500/min scaled 30x to 500 per 2 s: the loop of 5,000 single exports takes
    # 20 s instead of 10 minutes.
    "bulk": {"n": 5000, "rate": (500, 2.0, 1)},
    "outage": {"clients": 64, "items": 5, "outage_s": 5.0},
    # PyAI's documented 50/s burst 10, 1,000 job creations from 32 workers (ideal 20 s);
    # one creation in 20 has its connection dropped after processing.
    "create_many": {"n": 1000, "workers": 32, "rate": (50, 1.0, 10), "drop_one_in": 20},
}
QUICK: dict[str, Any] = {
    "goodput": {"n": 200, "workers": 32, "pyai_rate": (50, 1.0, 10), "specala_rate": (50, 1.0, 1)},
    "overhead": {"n": 1000, "warmup": 50, "concurrency": [1, 32], "repeat_fast": 1},
    "paginate": {"items": 5000, "latency_ms": 5},
    "bulk": {"n": 500, "rate": (100, 1.0, 1)},
    "outage": {"clients": 16, "items": 3, "outage_s": 2.0},
    "create_many": {"n": 200, "workers": 32, "rate": (50, 1.0, 10), "drop_one_in": 20},
}


# ----- processes ---------------------------------------------------------------------------


class Emulator:
    """A `surefoot-emulator` process on port 0; its URL is the first stdout line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(EMULATOR), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"emulator did not start: {self.url!r}")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/__emulator/{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"} if data else {},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def stats(self) -> dict[str, Any]:
        s = self.admin("GET", "stats")
        s.pop("accepted", None)  # every accepted timestamp: large, not needed here
        return s

    def create_job(self) -> str:
        req = urllib.request.Request(
            f"{self.url}/v1/transcription/jobs",
            data=json.dumps({"audio_url": "https://example.com/bench.wav"}).encode(),
            method="POST",
            headers={"content-type": "application/json", "authorization": f"Bearer {PYAI_KEY}"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return str(json.loads(r.read())["id"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def command(lang: str, spec: dict[str, Any]) -> list[str]:
    if lang == "rust":
        return [str(RUST), json.dumps(spec)]
    if lang in ("c", "c-plain"):
        return [
            str(C_BIN if lang == "c" else C_PLAIN_BIN),
            spec["client"],
            spec["url"],
            spec["key"],
            spec["job_id"],
            str(spec["n"]),
            str(spec["concurrency"]),
            str(spec.get("warmup", 0)),
        ]
    return [PY, str(BENCH / "clients.py"), json.dumps(spec)]


def run_one(
    bench: str,
    label: str,
    lang: str,
    spec: dict[str, Any],
    emulator_args: list[str],
    outage_s: float | None = None,
    timeout: float = 600,
    during_run: Callable[[Emulator, threading.Event], None] | None = None,
    after_run: Callable[[Emulator], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One client run against a fresh emulator; returns the client's and the server's view."""
    emu = Emulator(*emulator_args)
    try:
        spec = {**spec, "bench": bench, "url": emu.url}
        spec.setdefault("key", PYAI_KEY)
        if bench in ("overhead", "outage"):
            spec["job_id"] = emu.create_job()
        proc = subprocess.Popen(
            command(lang, spec), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdin is not None and proc.stdout is not None
        ready = proc.stdout.readline().strip()
        if ready != "ready":
            proc.kill()
            raise RuntimeError(f"{label}: client did not get ready ({ready!r})")
        emu.admin("POST", "stats/reset")
        during: dict[str, Any] = {}
        if outage_s is not None:
            emu.admin(
                "POST",
                "faults",
                {
                    "route": "*",
                    "count": 0,
                    "action": {
                        "kind": "status",
                        "status": 503,
                        "body": json.dumps(
                            {"error": {"message": "Service unavailable", "type": "server_error",
                                       "code": "service_unavailable", "param": None}}
                        ),
                        "content_type": "application/json",
                    },
                },
            )
        t_go = time.monotonic()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if outage_s is not None:
            time.sleep(max(0.0, t_go + outage_s - time.monotonic()))
            emu.admin("DELETE", "faults")
            during["t_recovered"] = time.monotonic()
            during["outage_stats"] = emu.stats()
        injector = None
        stop_injecting = threading.Event()
        if during_run is not None:
            injector = threading.Thread(target=during_run, args=(emu, stop_injecting), daemon=True)
            injector.start()
        line = proc.stdout.readline()
        if injector is not None:
            stop_injecting.set()
            injector.join()
            emu.admin("DELETE", "faults")
        proc.wait(timeout=timeout)
        if not line.strip():
            raise RuntimeError(f"{label}: client printed no result (exit {proc.returncode})")
        result = json.loads(line)
        stats = emu.stats()
        if after_run is not None:
            during.update(after_run(emu))
    finally:
        emu.stop()
    record = {
        "bench": bench,
        "label": label,
        "lang": lang,
        "spec": {k: v for k, v in spec.items() if k not in ("url", "key")},
        "t_go": t_go,
        "client": result,
        "server": {
            "total_requests": stats.get("total_requests", 0),
            "rate_limited": stats.get("rate_limited", 0),
            "faults_fired": stats.get("faults_fired", 0),
            "jobs_created": stats.get("jobs_created", 0),
            "idempotent_replays": stats.get("idempotent_replays", 0),
            "requests": stats.get("requests", {}),
        },
        **during,
    }
    c = result
    print(
        f"  {label:<34} wall {c['wall_s']:8.3f} s  cpu {c['cpu_s']:7.3f} s  ok {c['ok']:>6}"
        f"  failed {c['failed']:>4}  server: {record['server']['total_requests']} requests,"
        f" {record['server']['rate_limited']} x 429, {record['server']['faults_fired']} faulted",
        flush=True,
    )
    return record


# ----- the benchmarks ---------------------------------------------------------------------


def rate(t: tuple[int, float, int]) -> dict[str, Any]:
    return {"requests": t[0], "per": t[1], "burst": t[2]}


def bench_goodput(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    n, workers = cfg["n"], cfg["workers"]
    for api, key, r in (
        ("pyai", PYAI_KEY, cfg["pyai_rate"]),
        ("specala", SPECALA_KEY, cfg["specala_rate"]),
    ):
        if api == "pyai":
            emu_args = ["--api", "pyai", "--rate-limit", f"{r[0]}/{r[1]:g}s", "--burst", str(r[2])]
        else:
            emu_args = ["--api", "specala", "--data-limit", f"{r[0]}/{r[1]:g}s"]
        base = {"api": api, "key": key, "n": n, "concurrency": workers, "rate": rate(r)}
        clients = [
            ("requests + urllib3 Retry", "python", "requests"),
            ("httpx + tenacity", "python", "httpx-tenacity"),
            ("openai-python-style (httpx)", "python", "openai-style"),
            ("surefoot (Python)", "python", "surefoot"),
            ("surefoot (Rust)", "rust", "surefoot"),
        ]
        if api == "pyai":
            # No limit given: the pacer learns the server's from its 429s (the generic
            # client's default, and PyAI's when the plan is unknown).
            clients.append(("surefoot (Python), learning: no limit given", "python", "surefoot-learn"))
        print(f"goodput {api}: {n} requests, {workers} workers, limit {r[0]}/{r[1]:g}s burst {r[2]}")
        for label, lang, client in clients:
            rec = run_one("goodput", label, lang, {**base, "client": client}, emu_args)
            rec["api"] = api
            rec["ideal_s"] = n / (r[0] / r[1])
            out.append(rec)
    return out


def bench_overhead(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    groups = [
        ("Rust", "rust", [("surefoot", "surefoot"), ("reqwest", "reqwest")]),
        ("Python sync", "python", [
            ("surefoot", "surefoot"), ("requests", "requests"), ("httpx", "httpx"), ("urllib3", "urllib3"),
        ]),
        ("Python async", "python", [
            ("surefoot", "surefoot-async"), ("httpx", "httpx-async"), ("aiohttp", "aiohttp"),
        ]),
        ("C", "c", [("surefoot", "surefoot"), ("libcurl", "curl")]),
    ]
    emu_args = ["--api", "pyai", "--no-rate-limits"]
    for conc in cfg["concurrency"]:
        print(f"overhead: {cfg['n']} GETs at concurrency {conc}")
        for group, lang, clients in groups:
            # Sub-second runs (Rust, C) are repeated and the median kept; Python runs are long.
            repeat = cfg["repeat_fast"] if lang in ("rust", "c") else 1
            for label, client in clients:
                runs = []
                for _ in range(repeat):
                    spec = {"client": client, "n": cfg["n"], "concurrency": conc, "warmup": cfg["warmup"]}
                    runs.append(run_one("overhead", f"{group}: {label} (c={conc})", lang, spec, emu_args))
                runs.sort(key=lambda r: r["client"]["wall_s"])
                rec = runs[len(runs) // 2]
                rec.update(group=group, name=label, concurrency=conc, repeats=len(runs))
                out.append(rec)
    return out


def bench_paginate(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    items = cfg["items"]
    emu_args = [
        "--api", "specala", "--no-rate-limits", "--transcriptions", str(items),
        "--latency-ms", str(cfg["latency_ms"]),
    ]
    print(f"pagination: {items} items, pages of 100, {cfg['latency_ms']} ms latency per page")
    for label, lang, client, prefetch in (
        ("surefoot (Python), prefetch", "python", "surefoot", True),
        ("surefoot (Python), sequential", "python", "surefoot", False),
        ("openai-python-style loop (httpx)", "python", "openai-style", False),
        ("surefoot (Rust), prefetch", "rust", "surefoot", True),
        ("surefoot (Rust), sequential", "rust", "surefoot", False),
    ):
        spec = {"client": client, "key": SPECALA_KEY, "prefetch": prefetch}
        rec = run_one("paginate", label, lang, spec, emu_args)
        rec["items_expected"] = items
        out.append(rec)
    return out


def bench_bulk(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    n, r = cfg["n"], cfg["rate"]
    emu_args = ["--api", "specala", "--data-limit", f"{r[0]}/{r[1]:g}s", "--transcriptions", str(n)]
    print(f"bulk export: {n} transcriptions, data limit {r[0]}/{r[1]:g}s")
    for label, lang, client, mode in (
        ("surefoot bulk_export (Python)", "python", "surefoot", "bulk"),
        ("surefoot bulk_export (Rust)", "rust", "surefoot", "bulk"),
        ("surefoot single-export loop (Python)", "python", "surefoot", "loop"),
        ("surefoot single-export loop (Rust)", "rust", "surefoot", "loop"),
        ("requests + Retry single-export loop", "python", "requests", "loop"),
    ):
        spec = {
            "client": client, "key": SPECALA_KEY, "n": n, "mode": mode, "rate": rate(r),
            "workspace_size": n, "concurrency": 1,
        }
        rec = run_one("bulk", label, lang, spec, emu_args)
        rec["ideal_loop_s"] = n / (r[0] / r[1])
        out.append(rec)
    return out


def bench_outage(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    emu_args = ["--api", "pyai", "--no-rate-limits"]
    print(
        f"outage: {cfg['clients']} clients x {cfg['items']} GETs, every request answered 503 for"
        f" the first {cfg['outage_s']:g} s"
    )
    for label, lang, client in (
        ("requests + urllib3 Retry", "python", "requests"),
        ("httpx + tenacity", "python", "httpx-tenacity"),
        ("openai-python-style (httpx)", "python", "openai-style"),
        ("surefoot (Python)", "python", "surefoot"),
        ("surefoot (Rust)", "rust", "surefoot"),
    ):
        spec = {"client": client, "clients": cfg["clients"], "items": cfg["items"]}
        rec = run_one("outage", label, lang, spec, emu_args, outage_s=cfg["outage_s"])
        rec["outage_s"] = cfg["outage_s"]
        out.append(rec)
    return out


def bench_create_many(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Job creation under PyAI's limit with dropped connections: the core's `create_many`
    against thread pools over single creations (surefoot's and the peers'). Duplicates
    are counted from the emulator's jobs after the run: jobs whose `audio_url` (one per
    item) another job already has."""
    out = []
    n, workers, r = cfg["n"], cfg["workers"], cfg["rate"]
    emu_args = ["--api", "pyai", "--rate-limit", f"{r[0]}/{r[1]:g}s", "--burst", str(r[2])]
    every = cfg["drop_one_in"]

    def drop_connections(emu: Emulator, stop: threading.Event) -> None:
        # One creation in `every` is processed (the job exists) and its connection closed
        # unanswered: whenever the creations seen pass the next multiple of `every` and no
        # drop is pending, one more is armed. By count, not by time, so a slow client meets
        # the same share of drops as a fast one (faults armed by time would pile up).
        armed, next_at = 0, every
        while not stop.wait(0.05):
            st = emu.stats()
            seen = sum(st["requests"].get("POST /v1/transcription/jobs", {}).values())
            if seen >= next_at and armed == st.get("faults_fired", 0):
                emu.admin("POST", "faults", {"route": "POST /v1/transcription/jobs", "count": 1,
                                             "action": {"kind": "drop_after_processing"}})
                armed += 1
                next_at += every

    def count_jobs(emu: Emulator) -> dict[str, Any]:
        urls: list[str] = []
        cursor = None
        while True:
            q = "limit=100" + (f"&cursor={cursor}" if cursor else "")
            req = urllib.request.Request(
                f"{emu.url}/v1/transcription/jobs?{q}",
                headers={"authorization": f"Bearer {PYAI_KEY}"},
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    page = json.loads(resp.read())
            except urllib.error.HTTPError as e:
                if e.code != 429:
                    raise
                time.sleep(float(e.headers.get("retry-after") or 1))
                continue
            urls += [j["audio_url"] for j in page["data"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return {"jobs": len(urls), "distinct_items": len(set(urls)),
                "duplicates": len(urls) - len(set(urls))}

    print(f"create_many: {n} PyAI jobs, {workers} workers, limit {r[0]}/{r[1]:g}s burst {r[2]},"
          f" one creation in {every} dropped after processing")
    for label, client in (
        ("requests + urllib3 Retry, thread pool", "requests"),
        ("httpx + tenacity, thread pool", "httpx-tenacity"),
        ("openai-python-style (httpx), thread pool", "openai-style"),
        ("surefoot (Python) jobs.create, thread pool", "surefoot"),
        ("surefoot (Python) jobs.create_many", "surefoot-create-many"),
        ("surefoot (Python) jobs.create_many, learning: no limit given", "surefoot-create-many-learn"),
    ):
        spec = {"client": client, "n": n, "concurrency": workers, "rate": rate(r)}
        rec = run_one("create_many", label, "python", spec, emu_args,
                      during_run=drop_connections, after_run=count_jobs)
        rec["ideal_s"] = n / (r[0] / r[1])
        print(f"    jobs {rec['jobs']} for {rec['distinct_items']} items: {rec['duplicates']} duplicates,"
              f" {rec['server']['faults_fired']} connections dropped", flush=True)
        out.append(rec)
    return out


BENCHES = {
    "goodput": bench_goodput,
    "overhead": bench_overhead,
    "paginate": bench_paginate,
    "bulk": bench_bulk,
    "outage": bench_outage,
    "create_many": bench_create_many,
}


# ----- the machine ------------------------------------------------------------------------


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict[str, Any]:
    from importlib import metadata

    cpu = "?"
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    osname = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    versions = {}
    for pkg in ("surefoot", "requests", "urllib3", "httpx", "tenacity", "aiohttp", "matplotlib", "pyreqwest"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "?"
    reqwest = "?"
    lock = BENCH / "rust" / "Cargo.lock"
    if lock.exists():
        text = lock.read_text().split("\n[[package]]\n")
        for block in text:
            if block.startswith('name = "reqwest"'):
                reqwest = block.splitlines()[1].split('"')[1]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": osname,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rustc": sh("rustc", "--version"),
        "cc": sh("cc", "--version").splitlines()[0] if sh("cc", "--version") else "?",
        "libcurl": sh("curl-config", "--version"),
        "reqwest": reqwest,
        "git": sh("git", "-C", str(REPO), "rev-parse", "--short", "HEAD"),
        "versions": versions,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small counts, results under bench/out/")
    ap.add_argument("--only", default="", help="comma-separated subset: " + ",".join(BENCHES))
    ap.add_argument("--out", default=None, help="results JSON (default bench/results.json)")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    out_path = Path(args.out) if args.out else (
        BENCH / "out" / "results.json" if args.quick else BENCH / "results.json"
    )
    chosen = [b for b in (args.only.split(",") if args.only else BENCHES) if b]
    for b in chosen:
        if b not in BENCHES:
            raise SystemExit(f"unknown benchmark {b}; choose from {', '.join(BENCHES)}")
    # create_many runs Python clients only: it needs the emulator alone.
    needed = (EMULATOR,) if chosen == ["create_many"] else (EMULATOR, RUST, C_BIN)
    for path in needed:
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `make bench` (it builds everything first)")

    previous: dict[str, Any] = {}
    if args.only and out_path.exists():
        previous = json.loads(out_path.read_text())  # keep the other benchmarks' results
    started = time.monotonic()
    results = dict(previous.get("results", {}))
    durations = dict(previous.get("durations_s", {}))
    for b in chosen:
        t = time.monotonic()
        results[b] = BENCHES[b](cfg[b])
        durations[b] = round(time.monotonic() - t, 1)
        print(f"  ({b}: {durations[b]:.0f} s)", flush=True)
    # A run of only some benchmarks keeps the full run's machine and says, per benchmark,
    # when and where it was run again (RESULTS.md names both).
    reruns = dict(previous.get("reruns", {})) if previous else {}
    here = machine()
    for b in chosen:
        if previous:
            reruns[b] = here
        else:
            reruns.pop(b, None)
    data = {
        "machine": previous.get("machine", here) if previous else here,
        "reruns": reruns,
        "quick": args.quick,
        "config": {b: cfg[b] for b in BENCHES},
        "durations_s": durations,
        "results": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out_path} ({time.monotonic() - started:.0f} s of benchmarks)")


if __name__ == "__main__":
    main()
