"""Per-request cost, side by side, in interleaved rounds (issue 24): the C library against
libcurl (an easy handle per thread), and with ``--python`` the Python sync client against
urllib3 and the asyncio client against aiohttp (threads = concurrency), at 1 and 8 threads, against the emulator and against nginx serving a small static JSON file (a
server no one here wrote). With ``--all``, every surface and peer of RESULTS.md's section 2
(Rust vs reqwest, Python sync and asyncio vs their peers and pyreqwest at 1 and 32, C vs
libcurl at 1 and 8 threads), written to ``bench/cost_results.json`` for bench/report.py.

Each round runs every (server, threads, client) once, the clients in a rotating order, each
in a fresh process (bench/c/bench_c.c, bench/clients.py) that warms up, prints ``ready``,
runs N GETs of one job on "go" and prints wall and CPU time. The table keeps the median of
the rounds: requests/s, CPU µs per request (user + system of the client process), and
surefoot ÷ peer. The C library is the profile-guided build ``make install`` makes; when
``bench_c_plain`` (the same program on a plain release build) exists, it runs too, as
"surefoot (no PGO)". ``--c-before PATH`` adds a second C binary (say, built from main) as
"surefoot (before)", and ``--py-before DIR`` a second surefoot package (``pip install
--target DIR``), so a change is measured against its base in the same run.

    python bench/cost.py                        # 20,000 GETs, 3 rounds
    python bench/cost.py --n 2000 --rounds 1    # quick
    python bench/cost.py --c-before bench/target/bench_c_main --out bench/out/cost.json
    python bench/cost.py --all --out bench/cost_results.json   # section 2 of RESULTS.md (report.py)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    """nginx on loopback serving one static JSON document at every path, keep-alive."""

    def __init__(self, body: bytes) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp())
        self.dir.chmod(0o755)  # nginx's workers run as another user
        (self.dir / "html").mkdir()
        (self.dir / "html" / "job.json").write_bytes(body)
        (self.dir / "nginx.conf").write_text(f"""
worker_processes 1;
daemon off;
error_log {self.dir}/error.log crit;
pid {self.dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {self.dir}/tmp; proxy_temp_path {self.dir}/tmp;
  fastcgi_temp_path {self.dir}/tmp; uwsgi_temp_path {self.dir}/tmp; scgi_temp_path {self.dir}/tmp;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      default_type application/json;
      root {self.dir}/html;
      try_files /job.json =404;
    }}
  }}
}}
""")
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        # SIGTERM: the master stops its worker too.
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# Section 2's peers (--all): every surface, as in bench/run.py's overhead benchmark, and pyreqwest.
ALL = [("Rust", "surefoot", "rust", "surefoot"), ("Rust", "reqwest", "rust", "reqwest"),
       ("Python sync", "surefoot", "python", "surefoot"), ("Python sync", "requests", "python", "requests"),
       ("Python sync", "httpx", "python", "httpx"), ("Python sync", "urllib3", "python", "urllib3"),
       ("Python sync", "pyreqwest", "python", "pyreqwest"),
       ("Python async", "surefoot", "python", "surefoot-async"), ("Python async", "httpx", "python", "httpx-async"),
       ("Python async", "aiohttp", "python", "aiohttp"), ("Python async", "pyreqwest", "python", "pyreqwest-async")]


def clients(c_before: str | None, python: bool, py_before: str | None, everyone: bool) -> list[tuple[str, str, str, str]]:
    """(group, label, lang, client) of every client measured."""
    out = [("C", "libcurl", "c", "curl"), ("C", "surefoot", "c", "surefoot")]
    if run.C_PLAIN_BIN.exists():
        out.append(("C", "surefoot (no PGO)", "c-plain", "surefoot"))
    if c_before:
        out.append(("C", "surefoot (before)", "c-before", "surefoot"))
    if everyone:
        return out + ALL
    if python:
        for group, peer, ours in (("Python sync", "urllib3", "surefoot"), ("Python async", "aiohttp", "surefoot-async")):
            out += [(group, peer, "python", peer), (group, "surefoot", "python", ours)]
            if py_before:
                out.append((group, "surefoot (before)", "python-before", ours))
    return out


def one(lang: str, client: str, url: str, job_id: str, n: int, threads: int, c_before: str | None,
        py_before: str | None) -> dict[str, Any]:
    spec = {"bench": "overhead", "client": client, "url": url, "key": run.PYAI_KEY, "job_id": job_id,
            "n": n, "concurrency": threads, "warmup": min(200, n // 10)}
    if lang == "c-before":
        assert c_before
        argv = [c_before, *run.command("c", spec)[1:]]
    else:
        argv = run.command(lang, spec)
    env = None
    if lang == "python-before":
        assert py_before
        argv = run.command("python", spec)
        env = dict(os.environ, PYTHONPATH=py_before)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"{lang} {client}: no ready")
    proc.stdin.write("go\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    proc.wait(timeout=600)
    r = json.loads(line)
    return {"rps": r["ok"] / r["wall_s"], "cpu_us": r["cpu_s"] / max(1, r["ok"]) * 1e6,
            "ok": r["ok"], "failed": r["failed"]}


@contextlib.contextmanager
def serving(server: str) -> Iterator[tuple[str, str]]:
    """A fresh emulator with one job, and for "nginx" nginx serving the emulator's own
    answer for the job byte for byte: (the server's URL, the job's id); both stopped after."""
    emu = run.Emulator("--api", "pyai", "--no-rate-limits")
    srv = None
    try:
        job_id = emu.create_job()
        srv = Nginx(job_body(emu.url, job_id)) if server == "nginx" else None
        yield (srv.url if srv else emu.url), job_id
    finally:
        if srv:
            srv.stop()
        emu.stop()


def job_body(url: str, job_id: str) -> bytes:
    req = urllib.request.Request(f"{url}/v1/transcription/jobs/{job_id}",
                                 headers={"authorization": f"Bearer {run.PYAI_KEY}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return bytes(r.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,8", help="C's threads")
    ap.add_argument("--concurrency", default=None,
                    help="threads or tasks of the other surfaces (default: --threads; --all: 1,32)")
    ap.add_argument("--all", action="store_true",
                    help="section 2 of RESULTS.md: every surface and peer (Rust, Python sync and asyncio, C)")
    ap.add_argument("--servers", default="emulator,nginx")
    ap.add_argument("--c-before", default=None, help="a second bench_c binary, reported as 'surefoot (before)'")
    ap.add_argument("--before-note", default="", help="what --c-before was built from (for the report)")
    ap.add_argument("--python", action="store_true", help="also the Python sync client against urllib3 (bench venv)")
    ap.add_argument("--py-before", default=None,
                    help="a directory with another surefoot package (pip install --target), reported as 'surefoot (before)'")
    ap.add_argument("--out", default=str(run.BENCH / "out" / "cost.json"))
    args = ap.parse_args()
    c_threads = [int(t) for t in args.threads.split(",")]
    others = [int(t) for t in (args.concurrency or ("1,32" if args.all else args.threads)).split(",")]
    servers = args.servers.split(",")
    who = [(t, *c) for c in clients(args.c_before, args.python, args.py_before, args.all)
           for t in (c_threads if c[0] == "C" else others)]
    runs: dict[str, list[dict[str, Any]]] = {}
    meta = {**run.machine(), "load_start": os.getloadavg()[0], "before": args.before_note}
    for rnd in range(args.rounds):
        for server in servers:
            with serving(server) as (url, job_id):
                # A rotating order: no client always runs first (or last) in a round.
                k = rnd * len(who) // max(1, args.rounds)
                for t, group, label, lang, client in who[k:] + who[:k]:
                    r = one(lang, client, url, job_id, args.n, t, args.c_before, args.py_before)
                    runs.setdefault(f"{server}|{t}|{group}|{label}", []).append(r)
                    print(f"round {rnd + 1} {server:<8} {t:>2} thr  {group:<12} {label:<18}"
                          f" {r['rps']:9.0f}/s  {r['cpu_us']:6.1f} µs CPU  failed {r['failed']}", flush=True)
    table = []
    for key, rs in runs.items():
        server, t, group, label = key.split("|")
        table.append({"server": server, "threads": int(t), "group": group, "client": label,
                      "rps": statistics.median(r["rps"] for r in rs),
                      "cpu_us": statistics.median(r["cpu_us"] for r in rs),
                      "failed": sum(r["failed"] for r in rs), "rounds": rs})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    meta["load_end"] = os.getloadavg()[0]
    Path(args.out).write_text(json.dumps({"n": args.n, "rounds": args.rounds, "meta": meta, "table": table},
                                         indent=1) + "\n")
    print(f"\n{args.n} GETs, median of {args.rounds} interleaved round(s); ratios: surefoot ÷ peer\n")
    print("| server | threads | surface | client | requests/s | CPU µs/request | ÷ peer (req/s) | ÷ peer (CPU) | failed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in table:
        peer = next(p for p in table if (p["server"], p["threads"], p["group"]) == (row["server"], row["threads"], row["group"])
                    and not p["client"].startswith("surefoot"))
        print(f"| {row['server']} | {row['threads']} | {row['group']} | {row['client']} | {row['rps']:,.0f} |"
              f" {row['cpu_us']:.1f} | {row['rps'] / peer['rps']:.2f}× | {row['cpu_us'] / peer['cpu_us']:.2f}× | {row['failed']} |")


if __name__ == "__main__":
    main()
