"""The chaos soak (issue 17, item 2) and the threads run (item 4), driven from here.

Each phase runs one worker — Rust (crates/surefoot/examples/soak_worker.rs, 8 tokio tasks),
C (tests/c/chaos_threads.c, 8 threads on one client), Python threads and Python asyncio
(bench/soak_worker.py, 8 each) — against a fresh PyAI and a fresh Specala emulator in chaos
mode (`POST /__emulator/chaos`: seeded 5 % 503, 2 % resets, 1 % dropped after processing,
1 % truncated bodies, 1 % bodies stalled past the client's timeout, 429 storms). The worker
does mixed work (idempotent job creation, gets, list walks, bulk exports) and counts its own
outcomes; this driver samples the worker's RSS and open file descriptors from /proc, then
turns chaos off and checks the invariants:

- 0 duplicate jobs: the emulator's jobs, grouped by `metadata.item` (one idempotency key per
  item), hold at most one job per item; each creation the worker counted done is that job;
- 0 lost: every item the worker started is done or failed with an error code;
- 0 wrong answers (a get answering another job, a bulk export missing a document);
- RSS growth < 5 MiB and fd growth < 10 after warm-up (full size only: a run of seconds has
  no flat stretch after its warm-up); exit status 0, no panic, no sanitizer or valgrind
  report (the worker's own exit status and stderr).

    python bench/soak.py                  the full soak (~10 minutes), bench/soak_results.json
    python bench/soak.py --small          seconds per phase (make test), bench/out/soak_small.json
    python bench/soak.py --phases c --c-threads 16 --items 100000 --wrap "valgrind ..."
                                          the threads run: 16 C threads, N items, under a wrapper

Exit status 1 when an invariant does not hold. Only timing-free invariants are checked; the
durations and counts are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
MIB = 1024
RSS_LIMIT_KIB = 5 * MIB
FD_LIMIT = 10


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("content-type", "application/json")
    for _ in range(100):
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            if e.code != 429:
                raise
            time.sleep(float(e.headers.get("retry-after") or 1))
    raise RuntimeError(f"{method} {url}: still 429 after 100 tries")


class Emulator:
    """A `surefoot-emulator` process on a free port; its URL is its first stdout line."""

    def __init__(self, binary: str, *args: str) -> None:
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"emulator {args} printed no URL: {self.proc.stderr.read() if self.proc.stderr else ''}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def chaos(self, config: dict[str, Any] | None) -> dict[str, Any]:
        if config is None:
            return http("DELETE", f"{self.url}/__emulator/chaos")
        return http("POST", f"{self.url}/__emulator/chaos", config)

    def stats(self) -> dict[str, Any]:
        return http("GET", f"{self.url}/__emulator/stats")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def proc_sample(pid: int) -> tuple[int, int] | None:
    """(RSS KiB, open fds) of a live process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds
    except (OSError, StopIteration, ValueError):
        return None


def growth(samples: list[tuple[float, int, int]], warmup: float) -> dict[str, Any]:
    """Baseline = median of the samples in the first tenth after warm-up; end = median of the
    last tenth; growth = end - baseline (and the highest sample after warm-up for reference)."""
    if not samples:
        return {"samples": 0}
    t_end = samples[-1][0]
    after = [s for s in samples if s[0] >= warmup]
    if len(after) < 4:
        after = samples[len(samples) // 2:]
    k = max(2, len(after) // 10)
    base, end = after[:k], after[-k:]
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return {
        "samples": len(samples), "warmup_s": round(warmup, 1), "run_s": round(t_end, 1),
        "rss_start_kib": samples[0][1], "rss_baseline_kib": med(base, 1), "rss_end_kib": med(end, 1),
        "rss_growth_kib": med(end, 1) - med(base, 1),
        "rss_max_over_baseline_kib": max(s[1] for s in after) - med(base, 1),
        "fds_baseline": med(base, 2), "fds_end": med(end, 2), "fds_growth": med(end, 2) - med(base, 2),
        "fds_max": max(s[2] for s in after),
    }


def all_jobs(pyai_url: str) -> list[dict[str, Any]]:
    """Every job of the organisation, walked page by page with chaos off."""
    jobs, cursor = [], None
    auth = {"authorization": "Bearer pyai_sk_full_0001"}
    while True:
        q = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = http("GET", f"{pyai_url}/v1/transcription/jobs?{q}", headers=auth)
        jobs += page["data"]
        cursor = page.get("next_cursor")
        if not cursor or not page["data"]:
            return jobs


def check(report: dict[str, Any], jobs: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """The job invariants: duplicates per item, done creations without their job."""
    by_item: dict[str, list[str]] = {}
    for j in jobs:
        item = (j.get("metadata") or {}).get("item")
        if isinstance(item, str) and item.startswith(f"{label}-"):
            by_item.setdefault(item, []).append(j["id"])
    duplicates = {k: v for k, v in by_item.items() if len(v) > 1}
    missing = [(item, jid) for item, jid in report.get("created", []) if by_item.get(item) != [jid]]
    failed_total = sum(report.get("failed", {}).values())
    return {
        "jobs_on_server": sum(len(v) for v in by_item.values()),
        "items_with_a_job": len(by_item),
        "duplicate_items": len(duplicates),
        "duplicate_examples": list(duplicates.items())[:5],
        "done_creations_without_their_job": len(missing),
        "missing_examples": missing[:5],
        "lost": report["started"] - report["done"] - failed_total,
        "failed_total": failed_total,
    }


# What a sanitizer, valgrind or a Rust panic leaves on the worker's stderr.
SANITIZER_MARKS = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                             r"panicked at|Possible data race|Conflicting (load|store)|"
                             r"lock order|ERROR SUMMARY: [1-9]")


def run_phase(name: str, cmd: list[str], args: argparse.Namespace, seed: int) -> dict[str, Any]:
    common = ["--port", "0", "--no-rate-limits"] if args.no_limits else ["--port", "0"]
    pyai = Emulator(args.emulator, "--api", "pyai", *common, "--rate-limit", "2000/s", "--burst", "200")
    specala = Emulator(args.emulator, "--api", "specala", *common, "--transcriptions", "3000",
                       "--data-limit", "120000/min", "--retry-after")
    chaos = {"seed": seed, "slow_ms": int(args.timeout_ms * 2.5)}
    if args.storm_ms is not None:
        chaos["storm_ms"] = args.storm_ms
    if args.p_storm is not None:
        chaos["p_storm"] = args.p_storm
    try:
        pyai.chaos(chaos)
        specala.chaos({**chaos, "seed": seed + 1})
        full = cmd + ["--pyai", pyai.url, "--specala", specala.url, "--seed", str(seed),
                      "--label", name, "--timeout-ms", str(args.timeout_ms)]
        full += ["--items", str(args.items)] if args.items else ["--seconds", str(args.seconds)]
        print(f"soak: {name}: {shlex.join(full)}", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int, int]] = []
        out_lines: list[str] = []
        err_lines: list[str] = []

        def drain(stream: Any, sink: list[str], echo: bool) -> None:
            for line in stream:
                sink.append(line)
                if echo:
                    sys.stderr.write(f"  [{name}] {line}")

        readers = [threading.Thread(target=drain, args=(proc.stdout, out_lines, False)),
                   threading.Thread(target=drain, args=(proc.stderr, err_lines, True))]
        for r in readers:
            r.start()
        # A generous bound against hangs (never a timing assertion): a worker still running
        # long after its run should have ended is stopped and reported as hung. A Python
        # worker prints every thread's stack on SIGUSR1 first.
        bound = args.hang_after_s or (args.seconds * 3 + 120 if not args.items else 3600)
        hung = False
        while proc.poll() is None:
            s = proc_sample(proc.pid)
            if s:
                samples.append((time.monotonic() - t0, *s))
            if time.monotonic() - t0 > bound and not hung:
                hung = True
                print(f"soak: {name}: still running after {bound:.0f} s: stopping it", file=sys.stderr)
                proc.send_signal(signal.SIGUSR1 if "soak_worker.py" in " ".join(cmd) else signal.SIGABRT)
                time.sleep(3)
                proc.kill()
            time.sleep(args.sample_s)
        for r in readers:
            r.join()
        duration = time.monotonic() - t0
        reports = [pyai.chaos(None), specala.chaos(None)]
        stats = [pyai.stats(), specala.stats()]
        jobs = all_jobs(pyai.url)
    finally:
        pyai.stop()
        specala.stop()
    report: dict[str, Any] = {}
    for line in reversed(out_lines):
        try:
            report = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "started" in report:
            break
    stderr = "".join(err_lines)
    marks = sorted({m.group(0) for m in SANITIZER_MARKS.finditer(stderr)})
    injected: dict[str, int] = {}
    for r in reports:
        for k, v in r.get("injected", {}).items():
            injected[k] = injected.get(k, 0) + v
    warmup = max(args.warmup_min_s, duration * args.warmup_fraction)
    res: dict[str, Any] = {
        "phase": name, "command": shlex.join(full), "exit_status": proc.returncode,
        "duration_s": round(duration, 1), "worker": {k: v for k, v in report.items() if k != "created"},
        "faults_injected": injected,
        "faults_by_api": {"pyai": reports[0].get("injected", {}), "specala": reports[1].get("injected", {})},
        "requests_seen_by_chaos": {"pyai": reports[0].get("requests", 0), "specala": reports[1].get("requests", 0)},
        "emulator": {"jobs_created": stats[0]["jobs_created"], "idempotent_replays": stats[0]["idempotent_replays"],
                     "idempotency_conflicts": stats[0]["idempotency_conflicts"],
                     "total_requests": stats[0]["total_requests"] + stats[1]["total_requests"]},
        "resources": growth(samples, warmup), "stderr_marks": marks, "hung": hung,
    }
    if report:
        res["jobs"] = check(report, jobs, name)
        res["emulator"]["jobs_consistent"] = stats[0]["jobs_created"] == res["jobs"]["jobs_on_server"]
    res["problems"] = problems(res, args)
    return res


def problems(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    p = []
    if r["hung"]:
        p.append("hung: stopped long after its run should have ended")
    if r["exit_status"] != 0:
        p.append(f"exit status {r['exit_status']}")
    if not r["worker"]:
        p.append("no report from the worker (crashed?)")
        return p
    j = r["jobs"]
    if j["duplicate_items"]:
        p.append(f"{j['duplicate_items']} items with more than one job: {j['duplicate_examples']}")
    if j["done_creations_without_their_job"]:
        p.append(f"{j['done_creations_without_their_job']} done creations without their job: {j['missing_examples']}")
    if j["lost"]:
        p.append(f"{j['lost']} items lost (neither done nor failed)")
    if r["worker"].get("wrong"):
        p.append(f"{r['worker']['wrong']} wrong answers")
    if r["worker"].get("panicked_tasks"):
        p.append(f"{r['worker']['panicked_tasks']} tasks panicked")
    if not r["emulator"].get("jobs_consistent", True):
        p.append("the emulator's jobs_created differs from the jobs it lists")
    if r["stderr_marks"]:
        p.append(f"reports on stderr: {r['stderr_marks']}")
    res = r["resources"]
    if args.check_resources and res.get("samples", 0) >= 4:
        if res["rss_growth_kib"] >= RSS_LIMIT_KIB:
            p.append(f"RSS grew {res['rss_growth_kib']} KiB after warm-up")
        if res["fds_growth"] >= FD_LIMIT:
            p.append(f"open fds grew by {res['fds_growth']} after warm-up")
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="seconds per phase (make test)")
    ap.add_argument("--phases", default="rust,c,py-threads,py-asyncio")
    ap.add_argument("--seconds", type=float, help="per phase (default 150, --small 6)")
    ap.add_argument("--items", type=int, help="items per phase instead of a duration")
    ap.add_argument("--c-threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=8, help="Rust tasks, Python threads/tasks")
    ap.add_argument("--wrap", default="", help="a command prefix for the C worker (valgrind ...)")
    ap.add_argument("--timeout-ms", type=int, default=1000, help="the workers' per-attempt timeout")
    ap.add_argument("--storm-ms", type=int, help="how long a 429 storm lasts (default 1500)")
    ap.add_argument("--p-storm", type=float, help="chance that a request starts a storm (0.002)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--no-limits", action="store_true", help="emulators without rate limiters")
    ap.add_argument("--no-resource-check", dest="check_resources", action="store_false")
    ap.add_argument("--hang-after-s", type=float, help="stop a worker running this long (default 3x + 120 s)")
    ap.add_argument("--sample-s", type=float, default=0.5)
    ap.add_argument("--warmup-fraction", type=float, default=0.3)
    ap.add_argument("--warmup-min-s", type=float, default=2.0)
    ap.add_argument("--target", default=str(ROOT / "target"), help="cargo target dir of the builds")
    ap.add_argument("--profile", default=None, help="debug or release (default: release, --small debug)")
    ap.add_argument("--emulator")
    ap.add_argument("--rust-worker")
    ap.add_argument("--c-worker")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out")
    ap.add_argument("--results", default=None, help="also put a summary under results.soak of this file")
    args = ap.parse_args()
    if args.seconds is None:
        args.seconds = 6.0 if args.small else 150.0
    if args.small:
        # Seconds are too short for a warm-up and a flat stretch after it: connection pools
        # still fill and drain (fds move by ±8 between runs), so RSS and fds are reported
        # but only the full size checks them.
        args.check_resources = False
    profile = args.profile or ("debug" if args.small else "release")
    tdir = Path(args.target) / profile
    args.emulator = args.emulator or str(tdir / "surefoot-emulator")
    rust = args.rust_worker or str(tdir / "examples" / "soak_worker")
    cw = args.c_worker or str(Path(args.target) / "soak" / f"chaos_threads_{profile}")
    py = [args.python, str(BENCH / "soak_worker.py"), "--workers", str(args.workers)]
    commands = {
        "rust": [rust, "--workers", str(args.workers)],
        "c": [*shlex.split(args.wrap), cw, "--threads", str(args.c_threads)],
        "py-threads": [*py, "--mode", "threads"],
        "py-asyncio": [*py, "--mode", "asyncio"],
    }
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    t0 = time.monotonic()
    results = []
    for i, name in enumerate(phases):
        cmd = list(commands[name])
        results.append(run_phase(name, cmd, args, args.seed + 10 * i))
        r = results[-1]
        w, j, res = r["worker"], r.get("jobs", {}), r["resources"]
        print(f"soak: {name}: {r['duration_s']} s, {w.get('started')} items, {w.get('done')} done, "
              f"failed {w.get('failed')}, faults {r['faults_injected']}, duplicates "
              f"{j.get('duplicate_items')}, lost {j.get('lost')}, RSS +{res.get('rss_growth_kib')} KiB, "
              f"fds +{res.get('fds_growth')}: {'OK' if not r['problems'] else r['problems']}",
              file=sys.stderr, flush=True)
    out = {
        "kind": "small" if args.small else ("items" if args.items else "full"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "git": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip(),
        "config": {"seconds_per_phase": None if args.items else args.seconds, "items": args.items,
                   "c_threads": args.c_threads, "workers": args.workers, "wrap": args.wrap,
                   "timeout_ms": args.timeout_ms, "seed": args.seed, "profile": profile,
                   "p_storm": args.p_storm, "storm_ms": args.storm_ms},
        "total_s": round(time.monotonic() - t0, 1),
        "phases": results,
        "ok": all(not r["problems"] for r in results),
    }
    dest = Path(args.out) if args.out else (BENCH / "out" / "soak_small.json" if args.small
                                            else BENCH / "soak_results.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1) + "\n")
    if args.results:
        rp = Path(args.results)
        data = json.loads(rp.read_text())
        data.setdefault("results", {})["soak"] = {
            "file": dest.name, "ok": out["ok"], "total_s": out["total_s"],
            "phases": {r["phase"]: {"duration_s": r["duration_s"], "items": r["worker"].get("started"),
                                    "done": r["worker"].get("done"), "failed": r["worker"].get("failed"),
                                    "faults": r["faults_injected"], "jobs": r.get("jobs", {}).get("jobs_on_server"),
                                    "duplicates": r.get("jobs", {}).get("duplicate_items"),
                                    "lost": r.get("jobs", {}).get("lost"),
                                    "rss_growth_kib": r["resources"].get("rss_growth_kib"),
                                    "fds_growth": r["resources"].get("fds_growth")} for r in results}}
        data.setdefault("durations_s", {})["soak"] = out["total_s"]
        rp.write_text(json.dumps(data, indent=1) + "\n")
    print(f"soak: {'every invariant held' if out['ok'] else 'INVARIANTS BROKEN'} "
          f"({out['total_s']} s in all); {dest}", file=sys.stderr)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
