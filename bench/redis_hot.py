"""A hot key on the Redis store, for bench/redis_deploy.py (issue 25, item 7).

* Store only: one key from 1 process x 1 task and 8 processes x 2 tasks for a few
  seconds, the store driven directly (bench/rust/src/bin/redis_store.rs): decisions/s,
  latency of a decision, Redis CPU per decision.
* Through HTTP: one key at 2,000 requests/s from 8 processes (250/s each, open loop) of a
  surefoot client (bench/rust/src/bin/hot_http.rs) against nginx on loopback (`return 200`,
  no limit_req), its limit 4,000/s burst 400 (above the offered rate: the store decides, it
  never makes a request wait), on three stores side by side — pacing off, the in-process
  store, Redis — then 8 processes x 8 tasks as fast as the key's limit of 2,000/s (burst 20)
  lets them on Redis: requests/s, p50/p99 of a request, Redis calls per request, Redis CPU.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from many import free_port

BENCH = Path(__file__).resolve().parent


class Nginx:
    """nginx answering every GET with 200 and a small JSON body, no limit; counts statuses."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sf-hot-nginx-"))
        self.dir.chmod(0o755)  # nginx's workers run as another user
        (self.dir / "nginx.conf").write_text(f"""
worker_processes 1;
daemon off;
error_log {self.dir}/error.log crit;
pid {self.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  log_format st '$status';
  access_log {self.dir}/access.log st buffer=64k flush=1s;
  client_body_temp_path {self.dir}/tmp; proxy_temp_path {self.dir}/tmp;
  fastcgi_temp_path {self.dir}/tmp; uwsgi_temp_path {self.dir}/tmp; scgi_temp_path {self.dir}/tmp;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{ default_type application/json; return 200 '{{"data": []}}'; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def statuses(self) -> list[str]:
        time.sleep(1.2)  # the access log's buffer is flushed every second
        log = self.dir / "access.log"
        return log.read_text().split() if log.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# What a client sends Redis (INFO commandstats also counts the commands a script runs
# inside Redis: those are not round trips).
ROUND_TRIPS = ("evalsha", "eval", "evalsha_ro", "eval_ro", "script|load", "ping")


def redis_calls(cli: Callable[..., str]) -> int:
    """Script calls and pings Redis has answered (INFO commandstats)."""
    total = 0
    for line in cli("INFO", "commandstats").splitlines():
        name = line.split(":", 1)[0].removeprefix("cmdstat_")
        if line.startswith("cmdstat_") and name in ROUND_TRIPS:
            total += int(line.split("calls=", 1)[1].split(",", 1)[0])
    return total


def redis_cpu(info: Callable[[str, str], str]) -> float:
    return float(info("used_cpu_user", "cpu")) + float(info("used_cpu_sys", "cpu"))


def hot_store(drive: Callable[..., list[dict[str, Any]]], server: Any, url: str, seconds: float) -> list[dict[str, Any]]:
    """The store driven directly on one key (no HTTP)."""
    rows = []
    for procs, tasks in [(1, 1), (8, 2)]:
        t0 = redis_cpu(server.info)
        out = drive(url, "hot", [[str(seconds), str(tasks)] for _ in range(procs)])
        cpu = redis_cpu(server.info) - t0
        # Decisions made on Redis (a decision over its timeout is made locally).
        decisions = sum(o["decisions"] - o["fallbacks"] for o in out)
        secs = max(o["seconds"] for o in out)
        rows.append({"processes": procs, "tasks": tasks, "decisions_per_s": decisions / secs,
                     "redis_decisions_per_cpu_s": decisions / max(cpu, 1e-9),
                     "p50_ms": max(o["p50_ms"] for o in out), "p99_ms": max(o["p99_ms"] for o in out),
                     "redis_cpu_share": cpu / secs, "fallbacks": sum(o["fallbacks"] for o in out)})
    return rows


def http_run(binary: Path, server: Any, base: str, store: str, seconds: float, rate: float,
             limit: tuple[int, int]) -> dict[str, Any]:
    """8 processes of `hot_http` on one key; what they saw, nginx and Redis counted."""
    ps = [subprocess.Popen([str(binary), base, store, str(seconds), str(rate), str(limit[0]), str(limit[1])],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    for p in ps:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    calls0, cpu0 = redis_calls(server.cli), redis_cpu(server.info)
    for p in ps:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    out = [__import__("json").loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in ps]
    calls, cpu = redis_calls(server.cli) - calls0, redis_cpu(server.info) - cpu0
    secs = max(o["seconds"] for o in out)
    ok = sum(o["ok"] for o in out)
    return {"store": store if store in ("none", "memory") else "redis", "open_loop": rate > 0,
            "limit": f"{limit[0]}/s burst {limit[1]}", "requests": ok + sum(o["failed"] for o in out),
            "ok": ok, "failed": sum(o["failed"] for o in out), "requests_per_s": ok / secs,
            "p50_ms": max(o["p50_ms"] for o in out), "p99_ms": max(o["p99_ms"] for o in out),
            "redis_calls_per_request": calls / max(ok, 1), "redis_cpu_share": cpu / secs,
            "fallbacks": sum(o["fallbacks"] for o in out), "load_average": os.getloadavg()[0]}


def hot_http(binary: Path, server: Any, url: str, seconds: float) -> list[dict[str, Any]]:
    """One key at 2,000 requests/s through nginx: pacing off, in-process, Redis; then Redis
    with the key's limit at 2,000/s and the processes asking for more."""
    ng = Nginx()
    rows = []
    try:
        for store in ["none", "memory", url]:
            rows.append(http_run(binary, server, ng.url, store, seconds, 250.0, (4000, 400)))
        rows.append(http_run(binary, server, ng.url, url, seconds, 0.0, (2000, 20)))
        statuses = ng.statuses()
        for r in rows:
            r["non_200_at_nginx"] = sum(1 for s in statuses if s != "200")
    finally:
        ng.stop()
    return rows


def markdown(store_rows: list[dict[str, Any]], http_rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| hot key, the store alone | decisions on Redis / s | per Redis CPU-second | p50 ms | p99 ms | Redis CPU share | decided locally |",
             "|---|---|---|---|---|---|---|"]
    for h in store_rows:
        lines.append(f"| {h['processes']} process(es) × {h['tasks']} task(s) | {h['decisions_per_s']:,.0f} | {h['redis_decisions_per_cpu_s']:,.0f} | {h['p50_ms']:.3f} | {h['p99_ms']:.3f} | {100 * h['redis_cpu_share']:.0f} % | {h['fallbacks']} |")
    if not http_rows:
        return lines
    names = {"none": "pacing off", "memory": "in-process store", "redis": "Redis store"}
    lines += ["", "| hot key through HTTP (nginx), 8 processes | key's limit | requests / s | p50 ms | p99 ms | Redis round trips / request | Redis CPU share | failed | decided locally | load average |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for h in http_rows:
        how = "250/s each, open loop" if h["open_loop"] else "8 tasks each, as fast as allowed"
        lines.append(f"| {names[h['store']]}, {how} | {h['limit']} | {h['requests_per_s']:,.0f} | {h['p50_ms']:.3f} | {h['p99_ms']:.3f} | {h['redis_calls_per_request']:.2f} | {100 * h['redis_cpu_share']:.0f} % | {h['failed']} | {h['fallbacks']} | {h['load_average']:.1f} |")
    return lines


def reading(store_rows: list[dict[str, Any]], http_rows: list[dict[str, Any]]) -> str:
    hot_rate = max(h["redis_decisions_per_cpu_s"] for h in store_rows)
    text = (f"A pacing decision is one script call; a hot key costs Redis about {1e6 / hot_rate:.0f} µs of CPU "
            f"per decision ({hot_rate:,.0f} per CPU-second) when the store is driven alone")
    if not http_rows:
        return text + "."
    by = {(h["store"], h["open_loop"]): h for h in http_rows}
    mem, red, full = by[("memory", True)], by[("redis", True)], by[("redis", False)]
    return text + (
        f". Through HTTP at 2,000 requests/s on one key from 8 processes, the Redis store adds "
        f"{red['p50_ms'] - mem['p50_ms']:.2f} ms at p50 and {red['p99_ms'] - mem['p99_ms']:.1f} ms at p99 "
        f"to a request (beside the in-process store), makes {red['redis_calls_per_request']:.2f} round trips "
        f"to Redis per request and takes {100 * red['redis_cpu_share']:.0f} % of one Redis core; with the key's "
        f"limit at 2,000/s and the processes asking for more, the fleet makes {full['requests_per_s']:,.0f} "
        f"requests/s on {100 * full['redis_cpu_share']:.0f} % of a Redis core, no decision made locally. One "
        "script call per request is not what limits a hot key at this rate, so no lease mode (a process "
        "taking a batch of slots for a few milliseconds) is built: it would save Redis time that is not scarce "
        "and cost the fleet its one exact schedule. The p99 added is most likely the machine's: at a load average "
        f"near {red['load_average']:.0f} on 2 cores, a Redis that sleeps between decisions waits for a CPU "
        "to wake (driven alone, Redis busy, a decision's p99 stays near 2 ms); a lease would hide that wait "
        "from most requests, at that cost.")
