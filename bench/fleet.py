"""`make bench-fleet` (part of `make bench`): learning with no limit given, and the release
after an outage (issue 21). Writes bench/fleet_results.json; bench/report.py adds its rows
to sections 1, 5 and 6 of bench/RESULTS.md.

* Learning (sections 1 and 6): 1, 2, 4 and 8 client processes x 8 threads share N GETs
  on one key, **no rate limit given**, against the release emulator at 50/s burst 10 and
  against nginx `limit_req` at 40 r/s burst 5 (a token bucket no one here wrote; it sends
  no rate-limit headers). `surefoot-redis`: `pacing_store="redis://…"` (the fleet learns
  the key's limit together); `surefoot-memory`: each process learning alone. Peer in the
  same run: `limits` (moving window on Redis) with the limit *given* — what a user who
  knows the limit gets. wall / ideal (ideal = (N - burst) / rate), the server's 429s,
  failed calls.
* Outage against a small accept backlog (section 5): a Python `http.server`
  (ThreadingHTTPServer, `request_queue_size = 8`) answers 503 for 5 s, then 200; 64
  client threads x 5 GETs, default settings. surefoot (Python wheel) vs requests +
  urllib3 Retry. Requests during the outage, failed calls, and when the last call ended
  after the recovery.

    python bench/fleet.py               the full run (N = 2,000 and 400)
    python bench/fleet.py --quick       N = 400 only, into bench/out/fleet_results.json
    python bench/fleet.py --outage-only the outage runs again, the learning rows kept
"""

from __future__ import annotations

import argparse
import datetime
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import many  # noqa: E402

BENCH = Path(__file__).resolve().parent
NGINX_RATE, NGINX_BURST = 40, 5


class Nginx:
    """nginx with `limit_req` on the Authorization header (one key), its own prefix."""

    def __init__(self, rate: int, burst: int, backlog: int | None = None) -> None:
        self.port = many.free_port()
        self.dir = Path(tempfile.mkdtemp())
        self.dir.chmod(0o755)  # nginx's workers run as another user
        (self.dir / "html").mkdir()
        (self.dir / "html" / "ok.json").write_text('{"data": [], "next_cursor": null}')
        listen = f"127.0.0.1:{self.port}" + (f" backlog={backlog}" if backlog else "")
        (self.dir / "nginx.conf").write_text(f"""
worker_processes 1;
daemon off;
error_log {self.dir}/error.log crit;
pid {self.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  log_format st '$status';
  access_log {self.dir}/access.log st;
  client_body_temp_path {self.dir}/tmp; proxy_temp_path {self.dir}/tmp;
  fastcgi_temp_path {self.dir}/tmp; uwsgi_temp_path {self.dir}/tmp; scgi_temp_path {self.dir}/tmp;
  limit_req_zone $http_authorization zone=key:1m rate={rate}r/s;
  server {{
    listen {listen};
    location / {{
      limit_req zone=key burst={burst} nodelay;
      limit_req_status 429;
      default_type application/json;
      root {self.dir}/html;
      try_files /ok.json =404;
    }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socketserver.socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, int]:
        lines = (self.dir / "access.log").read_text().split() if (self.dir / "access.log").exists() else []
        return {"total_requests": len(lines), "rate_limited": sum(1 for x in lines if x == "429")}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def learn_run(kind: str, server: str, procs: int, n: int, redis: many.Redis) -> dict[str, Any]:
    redis.command("FLUSHALL")
    if server == "emulator":
        srv: Any = many.Emulator("--rate-limit", f"{many.RATE}/s", "--burst", str(many.BURST))
        rate, burst = many.RATE, many.BURST
    else:
        srv = Nginx(NGINX_RATE, NGINX_BURST)
        rate, burst = NGINX_RATE, NGINX_BURST
    mode = "paced" if kind == "limits" else "learn"
    # The peer is given the server's limit (its worker reads it from the environment).
    env = dict(os.environ, BENCH_RATE=str(rate), BENCH_BURST=str(burst))
    share = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    workers = [
        subprocess.Popen([sys.executable, many.__file__, "worker", kind, srv.url, redis.url, str(k), "8", mode],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for k in share
    ]
    for w in workers:
        assert w.stdout is not None
        if w.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{kind} worker: {w.stderr.read() if w.stderr else ''}")
    before = srv.stats() if server == "nginx" else (srv.admin("POST", "stats/reset") or {"total_requests": 0, "rate_limited": 0})
    start = time.monotonic()
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    outs, errs = [], []
    for w in workers:
        out, err = w.communicate(timeout=900)
        outs.append(json.loads(out.strip().splitlines()[-1]))
        errs += [line for line in err.splitlines() if line.startswith("failed")]
    wall = time.monotonic() - start
    after = srv.stats()
    srv.stop()
    ideal = (n - burst) / rate
    r = {"kind": kind, "server": server, "processes": procs, "n": n, "ideal": ideal, "wall": wall,
         "ok": sum(o["ok"] for o in outs), "failed": sum(o["failed"] for o in outs),
         "requests": after["total_requests"] - before["total_requests"],
         "rate_limited": after["rate_limited"] - before["rate_limited"],
         "failures": sorted(set(errs))[:5]}
    print(f"{server:8} {kind:16} {procs} proc N={n}: wall/ideal {wall / ideal:.2f}, 429s {r['rate_limited']} "
          f"({100 * r['rate_limited'] / max(r['requests'], 1):.1f} %), failed {r['failed']}", flush=True)
    return r


# ----- outage against a small accept backlog ---------------------------------------------


class Flaky(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    down_until = 0.0
    requests = 0
    during = 0
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        down = time.monotonic() < Flaky.down_until
        with Flaky.lock:
            Flaky.requests += 1
            Flaky.during += down
        body = b'{"detail": "unavailable"}' if down else b'{"data": [], "next_cursor": null}'
        self.send_response(503 if down else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class SmallBacklog(http.server.ThreadingHTTPServer):
    request_queue_size = 8
    daemon_threads = True


def outage_worker(kind: str, url: str, clients: int, items: int) -> None:
    """One process: `clients` threads x `items` GETs; prints per-call end times."""
    if kind == "surefoot":
        import surefoot

        client = surefoot.Client(url, "sk-bench-0001")

        def call() -> bool:
            try:
                client.get("/v1/items")
                return True
            except surefoot.SurefootError as e:
                print(f"failed: {e.code}", file=sys.stderr)
                return False
    else:
        local = threading.local()

        def call() -> bool:
            if not hasattr(local, "s"):
                local.s = many.make_session()
            try:
                return bool(local.s.get(url + "/v1/items", timeout=30).status_code == 200)
            except Exception as e:  # noqa: BLE001
                print(f"failed: {type(e).__name__}", file=sys.stderr)
                return False

    print("ready", flush=True)
    sys.stdin.readline()
    ends: list[float] = []
    results = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def loop() -> None:
        for _ in range(items):
            ok = call()
            with lock:
                results["ok" if ok else "failed"] += 1
                ends.append(time.time())

    pool = [threading.Thread(target=loop) for _ in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({**results, "last_end": max(ends)}), flush=True)


def outage_run(kind: str, clients: int = 64, items: int = 5, outage_s: float = 5.0) -> dict[str, Any]:
    server = SmallBacklog(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    Flaky.requests = Flaky.during = 0
    w = subprocess.Popen([sys.executable, __file__, "outage-worker", kind, url, str(clients), str(items)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert w.stdout is not None and w.stdin is not None
    assert w.stdout.readline().strip() == "ready"
    Flaky.down_until = time.monotonic() + outage_s
    recovered_at = time.time() + outage_s
    w.stdin.write("go\n")
    w.stdin.flush()
    out, err = w.communicate(timeout=600)
    server.shutdown()
    server.server_close()
    o = json.loads(out.strip().splitlines()[-1])
    r = {"kind": kind, "clients": clients, "items": items, "outage_s": outage_s, "requests": Flaky.requests,
         "during": Flaky.during, "ok": o["ok"], "failed": o["failed"],
         "last_after_recovery": o["last_end"] - recovered_at,
         "failures": sorted({line for line in err.splitlines() if line.startswith("failed")})[:5]}
    r["load"] = round(os.getloadavg()[0], 2)
    print(f"outage {kind:10}: {r['during']} requests into the outage, failed {r['failed']}, last call "
          f"{r['last_after_recovery']:.2f} s after recovery (load {r['load']})", flush=True)
    return r


def outage_only(out_path: Path, runs: int) -> None:
    """The outage rows again (a change that touches only the release), the rest kept."""
    data = json.loads(out_path.read_text())
    outage = []
    for _ in range(runs):
        for kind in ("surefoot", "requests"):
            outage.append(outage_run(kind))
    data["outage"] = outage
    data["outage_date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    out_path.write_text(json.dumps(data, indent=1))
    print(f"wrote {out_path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--procs", default="1,2,4,8", help="process counts, e.g. 1,2,4")
    ap.add_argument("--kinds", default="surefoot-redis,surefoot-memory,limits")
    ap.add_argument("--outage-runs", type=int, default=3)
    ap.add_argument("--outage-only", action="store_true", help="only the outage runs, into the existing results")
    args = ap.parse_args()
    out_path = Path(args.out) if args.out else (BENCH / "out" / "fleet_results.json" if args.quick else BENCH / "fleet_results.json")
    if args.outage_only:
        outage_only(out_path, args.outage_runs)
        return
    sizes = [400] if args.quick else [400, 2000]
    procs_list = [int(x) for x in args.procs.split(",")]
    kinds = args.kinds.split(",")
    redis = many.Redis()
    learning, outage = [], []
    try:
        for n in sizes:
            for server in ("emulator", "nginx"):
                for procs in procs_list:
                    for kind in kinds:
                        learning.append(learn_run(kind, server, procs, n, redis))
        for _ in range(args.outage_runs):
            for kind in ("surefoot", "requests"):
                outage.append(outage_run(kind))
    finally:
        redis.stop()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "learning": learning, "outage": outage}, indent=1))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "outage-worker":
        outage_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
