"""`make bench-redis`: surefoot's Redis store as teams deploy it (issue 25).

* Section 6's run (2,000 GETs on one PyAI key, 8 processes x 8 threads, the emulator at
  50/s burst 10) with the store on: one plain Redis; TLS with the guide's ACL user and
  mutual TLS; Sentinel (primary, replica, three sentinels) steady, and with the primary
  SIGKILLed at 20 s; a 3-primary Cluster steady, and with the key's node resharded away
  (`redis-cli --cluster reshard`, all its slots) from 10 s. `--rounds` interleaved rounds
  of each (3): wall / ideal (median, spread), 429s, failed calls, store outages and the
  load average of every round. Around the failover and the reshard, a timeline: the
  workers' "pacing store unavailable" / "answers again" / "paused after a 429" records
  with their times, when the sentinels named the new primary, the emulator's requests and
  429s per 250 ms (polled) and the times of the requests it accepted.
* Many tenants: one decision on each of 10,000 API keys from 8 processes
  (bench/rust/src/bin/redis_store.rs, the store driven directly): decisions/s, Redis memory
  per key while active, and after the keys' TTLs.
* Hot key (bench/redis_hot.py): the store alone on one key (decisions/s, latency, Redis
  CPU per decision), and one key at 2,000 requests/s through nginx from 8 processes on
  pacing off, the in-process store and Redis side by side (p50/p99 of a request, Redis
  calls per request, Redis CPU), then Redis with the key's limit at 2,000/s.

Writes bench/redis_deploy_results.json and prints the Markdown tables (bench/RESULTS.md,
section 6). Needs redis-server, redis-cli, openssl, nginx, the emulator, redis_store and
hot_http release binaries in bench/target, and a Python with the surefoot wheel
(`BENCH_PYTHON`). `--only PART` runs one part and puts it into the last results.

    python bench/redis_deploy.py [--quick] [--rounds N] [--only PART,PART…]
    (parts: plain, tls, sentinel, sentinel-failover, cluster, cluster-reshard, tenants, hot)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import many  # noqa: E402
import redis_hot  # noqa: E402
from many import Emulator, free_port  # noqa: E402

many.EMULATOR = Path(os.environ.get("BENCH_EMULATOR", str(many.EMULATOR)))

TARGET = Path(os.environ.get("BENCH_TARGET", BENCH / "target"))
STORE_BIN = TARGET / "release" / "redis_store"
HTTP_BIN = TARGET / "release" / "hot_http"
PYTHON = os.environ.get("BENCH_PYTHON", sys.executable)
PASSWORD = "bench-acl-password"


class Server:
    """A redis-server (or sentinel) from a config file in a directory of its own."""

    def __init__(self, lines: list[str], sentinel: bool = False, tls: bool = False) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sf-redis-bench-")
        conf = [f"bind 127.0.0.1", f"dir {self.dir}"]
        conf.append("port 0" if tls else f"port {self.port}")
        if tls:
            conf.append(f"tls-port {self.port}")
        if not sentinel:
            conf += ['save ""', "appendonly no"]
        Path(self.dir, "redis.conf").write_text("\n".join(conf + lines) + "\n")
        self.tls_args: list[str] = []
        cmd = ["redis-server", str(Path(self.dir, "redis.conf"))] + (["--sentinel"] if sentinel else [])
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), *self.tls_args, *args], capture_output=True, text=True, timeout=60
        )
        return out.stdout

    def info(self, field: str, section: str = "") -> str:
        for line in self.cli("INFO", section or "everything").splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        return ""

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_certs(d: str) -> None:
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-days", "2", "-subj", "/CN=bench CA", *ec, "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, usage in [("server", "serverAuth"), ("client", "clientAuth")]:
        run("req", "-subj", f"/CN={name}", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr")
        Path(d, f"{name}.ext").write_text(
            f"subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n"
        )
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext")


def acl_line() -> str:
    guide = (ROOT / "docs" / "guide" / "redis-deployments.md").read_text()
    line = next(l for l in guide.splitlines() if l.startswith("user surefoot on "))
    return line.replace(">CHANGE-ME ", f">{PASSWORD} ")


class Deployment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.servers: list[Server] = []
        self.url = ""
        self.certs = ""
        self.event: dict[str, Any] = {}  # what the mid-run event cost (the reshard's time and CPU)
        self.sentinels = False

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
        if self.certs:
            shutil.rmtree(self.certs, ignore_errors=True)


def plain() -> Deployment:
    d = Deployment("one Redis")
    s = Server([])
    d.servers = [s]
    d.url = f"redis://127.0.0.1:{s.port}/0"
    return d


def tls() -> Deployment:
    d = Deployment("TLS + ACL user (mutual TLS)")
    d.certs = tempfile.mkdtemp(prefix="sf-bench-certs-")
    make_certs(d.certs)
    c = lambda f: str(Path(d.certs, f))  # noqa: E731
    s = Server(
        [f"tls-cert-file {c('server.pem')}", f"tls-key-file {c('server.key')}", f"tls-ca-cert-file {c('ca.pem')}",
         "tls-auth-clients yes", acl_line()],
        tls=True,
    )
    s.tls_args = ["--tls", "--cacert", c("ca.pem"), "--cert", c("client.pem"), "--key", c("client.key")]
    d.servers = [s]
    d.url = (f"rediss://surefoot:{PASSWORD}@127.0.0.1:{s.port}/0?tls_ca={c('ca.pem')}"
             f"&tls_cert={c('client.pem')}&tls_key={c('client.key')}")
    return d


def wait(what: str, ok: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.1)


def sentinel(name: str = "Sentinel (primary, replica, 3 sentinels)") -> Deployment:
    d = Deployment(name)
    d.sentinels = True
    primary = Server([])
    replica = Server([f"replicaof 127.0.0.1 {primary.port}"])
    wait("replica in sync", lambda: "master_link_status:up" in replica.cli("INFO", "replication"))
    sentinels = [
        Server([f"sentinel monitor bench 127.0.0.1 {primary.port} 2", "sentinel down-after-milliseconds bench 1000",
                "sentinel failover-timeout bench 5000"], sentinel=True)
        for _ in range(3)
    ]
    for s in sentinels:
        wait("sentinels know each other", lambda: len(s.cli("SENTINEL", "SENTINELS", "bench").split("name\n")) == 3
             and "name" in s.cli("SENTINEL", "REPLICAS", "bench"))
    d.servers = [primary, replica, *sentinels]
    d.url = "redis+sentinel://" + ",".join(f"127.0.0.1:{s.port}" for s in sentinels) + "/bench"
    return d


def cluster(name: str = "Cluster (3 primaries)") -> Deployment:
    d = Deployment(name)
    # cluster-port: the bus port (by default the port + 10,000, past 65,535 for high ports).
    nodes = [Server(["cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 3000",
                     f"cluster-port {free_port()}"]) for _ in range(3)]
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes], "--cluster-yes"],
                   check=True, capture_output=True)
    for n in nodes:
        wait("cluster ok", lambda: "cluster_state:ok" in n.cli("CLUSTER", "INFO"))
    d.servers = nodes
    d.url = f"redis+cluster://127.0.0.1:{nodes[0].port},127.0.0.1:{nodes[1].port}/"
    return d


def reshard_key_node(d: Deployment) -> None:
    """Move every slot of the node holding the key's schedule to the next node."""
    for i, n in enumerate(d.servers):
        keys = [k for k in n.cli("KEYS", "*:tat").splitlines() if k]
        if keys:
            src, dst = n, d.servers[(i + 1) % 3]
            slots = sum(
                int(r.split("-")[1]) - int(r.split("-")[0]) + 1 if "-" in r else 1
                for line in n.cli("CLUSTER", "NODES").splitlines() if "myself" in line
                for r in line.split()[8:]
            )
            ids = src.cli("CLUSTER", "MYID").strip(), dst.cli("CLUSTER", "MYID").strip()
            cpu = [float(s.info("used_cpu_user", "cpu")) + float(s.info("used_cpu_sys", "cpu")) for s in d.servers]
            t0, cli0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                ["redis-cli", "--cluster", "reshard", f"127.0.0.1:{src.port}", "--cluster-from", ids[0],
                 "--cluster-to", ids[1], "--cluster-slots", str(slots), "--cluster-yes"],
                check=True, capture_output=True, timeout=600,
            )
            cli1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            d.event = {"reshard_s": time.monotonic() - t0, "slots_moved": slots,
                       "redis_cli_cpu_s": cli1.ru_utime + cli1.ru_stime - cli0.ru_utime - cli0.ru_stime,
                       "nodes_cpu_s": sum(float(s.info("used_cpu_user", "cpu")) + float(s.info("used_cpu_sys", "cpu"))
                                          for s in d.servers) - sum(cpu),
                       "evalsha_redirected": sum(int(l.split("rejected_calls=")[1].split(",")[0])
                                                 for s in d.servers for l in s.cli("INFO", "commandstats").splitlines()
                                                 if l.startswith("cmdstat_evalsha:"))}
            return


# many.py's worker, with the `surefoot` logger's records that tell the store's story on
# stderr, each with its wall-clock time: "pacing store unavailable (why)" (an outage: local
# pacing), "pacing store answers again" and "paused after a 429" (the package installs a
# NullHandler; its DEBUG records cost one GIL round per request at 50/s).
WORKER = (
    "import logging, runpy, sys\n"
    "h = logging.StreamHandler()\n"
    "h.setFormatter(logging.Formatter('%(created).3f %(message)s'))\n"
    "import os\n"
    "words = os.environ.get('BENCH_LOG_WORDS', 'pacing store,after a 429').split(',')\n"
    "h.addFilter(lambda r: any(w in r.getMessage() for w in words))\n"
    "log = logging.getLogger('surefoot')\n"
    "log.addHandler(h)\n"
    "log.setLevel(logging.DEBUG)\n"
    f"sys.argv[0] = {str(BENCH / 'many.py')!r}\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


class Watch:
    """Around a mid-run event: the emulator's 429 count and the address the sentinels name,
    every 50 ms, on the wall clock (the workers' records carry it too)."""

    def __init__(self, emu: Emulator, sentinel: "Server | None") -> None:
        self.emu, self.sentinel = emu, sentinel
        self.samples: list[tuple[float, int, int, str]] = []
        self.conn: Any = None
        # The emulator's clock (its uptime, in its accepted times) on the wall clock.
        self.offset = time.time() - emu.admin("GET", "stats")["uptime_ms"] / 1000
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.05):
            try:
                s = self.emu.stats()
                addr = self._primary() if self.sentinel else ""
                self.samples.append((time.time(), s["total_requests"], s["rate_limited"], addr))
            except Exception:  # noqa: BLE001 - a sample missed under load
                pass

    def _primary(self) -> str:
        """The primary's port the sentinel names (one socket, no redis-cli process each time)."""
        if self.conn is None:
            assert self.sentinel is not None
            self.conn = socket.create_connection(("127.0.0.1", self.sentinel.port), timeout=1).makefile("rwb")
        self.conn.write(b"SENTINEL get-master-addr-by-name bench\r\n")
        self.conn.flush()
        lines = [self.conn.readline() for _ in range(5)]  # *2, $len, host, $len, port
        return lines[4].strip().decode()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def timeline(at: float, samples: list[tuple[float, int, int, str]], logs: list[tuple[float, int, str]]) -> dict[str, Any]:
    """The event's story, in seconds after it: the workers' records, when the sentinels
    named another primary, and the 429s and requests/s in 250-ms windows."""
    events = [(round(t - at, 3), proc, msg) for t, proc, msg in logs]
    first_addr = samples[0][3] if samples else ""
    switched = next((round(t - at, 3) for t, _, _, a in samples if t > at and a and a != first_addr), None)
    windows: dict[int, list[int]] = {}
    prev = None
    for t, req, rl, _ in samples:
        if prev is not None:
            w = int((t - at) // 0.25)
            acc = windows.setdefault(w, [0, 0])
            acc[0] += req - prev[0]
            acc[1] += rl - prev[1]
        prev = (req, rl)
    rate = [(w * 0.25, acc[0] * 4, acc[1]) for w, acc in sorted(windows.items()) if -8 <= w <= 40]
    return {"events": events, "sentinels_switched_s": switched,
            "windows": [{"from_s": a, "requests_per_s": r, "429s": n} for a, r, n in rate]}


def fleet(d: Deployment, n: int, procs: int, event: Any = None, at: float = 0.0) -> dict[str, Any]:
    """Section 6's run: `n` GETs from `procs` processes x 8 threads on the store."""
    emu = Emulator("--rate-limit", "50/s", "--burst", "10")
    share = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    ps = [subprocess.Popen([PYTHON, "-c", WORKER, "worker", "surefoot-redis", emu.url, d.url, str(k), "8", "paced"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in share]
    for p in ps:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    emu.admin("POST", "stats/reset")
    load0 = os.getloadavg()[0]
    start = time.monotonic()
    for p in ps:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    t, watch, fired = None, None, [0.0]
    if event is not None:
        watch = Watch(emu, d.servers[2] if d.sentinels else None)

        def fire() -> None:
            fired[0] = time.time()
            event()

        t = threading.Timer(at, fire)
        t.start()
    outs, logs = [], []
    for i, p in enumerate(ps):
        out, err = p.communicate(timeout=1200)
        outs.append(json.loads(out.strip().splitlines()[-1]))
        for line in err.splitlines():
            stamp, _, msg = line.partition(" ")
            try:
                logs.append((float(stamp), i, msg))
            except ValueError:
                pass
    wall = time.monotonic() - start
    load = max(load0, os.getloadavg()[0])
    if t is not None:
        t.join()
    if watch is not None:
        watch.stop()
    s = emu.stats()
    emu_full = emu.admin("GET", "stats") if watch is not None else {}
    emu.stop()
    ideal = (n - 10) / 50
    # The store's warning: why it went local.
    outages = [m.split("unavailable (", 1)[1].split(");", 1)[0] for _, _, m in logs if "store unavailable (" in m]
    row = {"deployment": d.name, "processes": procs, "n": n, "wall_over_ideal": wall / ideal,
           "requests": s["total_requests"], "rate_limited": s["rate_limited"],
           "failed": sum(o["failed"] for o in outs), "store_outages": len(outages),
           "outage_causes": sorted(set(outages)), "load": round(load, 1)}
    if watch is not None:
        row["timeline"] = timeline(fired[0], watch.samples, sorted(logs))
        # The requests the emulator accepted from 2 s before the event to 5 s after.
        accepted = emu_full["accepted"]
        sent = [watch.offset + x / 1000 - fired[0] for k in accepted.values() for v in k.values() for x in v]
        row["timeline"]["accepted_s"] = sorted(round(x, 3) for x in sent if -2 <= x <= 5)
    return row


def drive(url: str, mode: str, per_proc: list[list[str]]) -> list[dict[str, Any]]:
    ps = [subprocess.Popen([str(STORE_BIN), mode, url, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
          for args in per_proc]
    for p in ps:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in ps:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    return [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in ps]


def tenants(keys: int) -> dict[str, Any]:
    d = plain()
    s = d.servers[0]
    try:
        before = int(s.info("used_memory", "memory"))
        per = keys // 8
        t0 = float(s.info("used_cpu_user", "cpu")) + float(s.info("used_cpu_sys", "cpu"))
        out = drive(d.url, "tenants", [[str(i * per), str(per), "8"] for i in range(8)])
        cpu = float(s.info("used_cpu_user", "cpu")) + float(s.info("used_cpu_sys", "cpu")) - t0
        active = int(s.info("used_memory", "memory"))
        active_keys = int(s.cli("DBSIZE").strip())
        time.sleep(12)
        s.cli("DEBUG", "SLEEP", "0")
        for _ in range(40):  # active expiry samples keys: give it time
            if int(s.cli("DBSIZE").strip()) == 0:
                break
            time.sleep(0.5)
        idle = int(s.info("used_memory", "memory"))
        decisions = sum(o["decisions"] for o in out)
        secs = max(o["seconds"] for o in out)
        return {"api_keys": keys, "decisions": decisions, "decisions_per_s": decisions / secs,
                "redis_cpu_s": cpu, "bytes_per_active_key": (active - before) / keys,
                "redis_keys_active": active_keys, "redis_keys_after_ttl": int(s.cli("DBSIZE").strip()),
                "bytes_after_ttl": idle - before, "fallbacks": sum(o["fallbacks"] for o in out)}
    finally:
        d.stop()


def hot(seconds: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hot key on one plain Redis: the store alone, then through HTTP (bench/redis_hot.py)."""
    d = plain()
    try:
        store = redis_hot.hot_store(drive, d.servers[0], d.url, seconds)
        print(json.dumps(store), flush=True)
        d.servers[0].cli("FLUSHALL")
        http = redis_hot.hot_http(HTTP_BIN, d.servers[0], d.url, seconds)
        return store, http
    finally:
        d.stop()


def story(tl: dict[str, Any]) -> str:
    """One failover's timeline in a phrase: when each process first went local after the
    kill and came back, when the sentinels named the new primary, when the 429s came."""
    def span(ts: list[float]) -> str:
        return f"{min(ts):.2f}–{max(ts):.2f} s" if ts else "–"

    down: dict[int, float] = {}
    up: dict[int, float] = {}
    for t, p, m in tl["events"]:
        if t >= 0 and "store unavailable (" in m and p not in down:
            down[p] = t
        elif p in down and p not in up and "store answers again" in m:
            up[p] = t
    later = sum(1 for t, p, m in tl["events"] if "store unavailable (" in m and t > up.get(p, 1e9))
    throttled = [w["from_s"] for w in tl["windows"] if w["429s"] > 0]
    sw = tl.get("sentinels_switched_s")
    return (f"processes local from {span(list(down.values()))}, sentinels named the replica at "
            f"{'–' if sw is None else f'{sw:.2f} s'}, processes back on Redis {span(list(up.values()))}"
            f"{f', {later} later outage(s)' if later else ''}; 429s in the 250-ms windows from "
            f"{', '.join(f'{t:.2f}' for t in throttled) + ' s' if throttled else 'none'}")


def fleet_row(f: dict[str, Any]) -> str:
    rounds = f.get("rounds") or [f]
    walls = [x["wall_over_ideal"] for x in rounds]
    loads = [x["load"] for x in rounds if x.get("load") is not None]
    limited = ", ".join(str(x["rate_limited"]) for x in rounds)
    worst = max(100 * x["rate_limited"] / max(x["requests"], 1) for x in rounds)
    spread = f" ({min(walls):.2f}–{max(walls):.2f})" if len(rounds) > 1 else ""
    return (f"| {f['deployment']} | {f['processes']} | {f['wall_over_ideal']:.2f}{spread} | {limited} | "
            f"{worst:.2f} % | {sum(x['failed'] for x in rounds)} | "
            f"{', '.join(str(x.get('store_outages', '–')) for x in rounds)} | "
            f"{(f'{min(loads):.1f}–{max(loads):.1f}' if loads else '–')} |")


def markdown(r: dict[str, Any]) -> str:
    by_time: dict[str, list[str]] = {}
    for part, at in r.get("rerun", {}).items():
        by_time.setdefault(at, []).append(part)
    when = f"run on {r['when']}" + "".join(f"; {', '.join(ps)} re-run on {at}" for at, ps in by_time.items())
    note = r["note"] + (f"; re-runs: {r['rerun_note']}" if r.get("rerun_note") else "")
    n = max(len(f.get("rounds") or [f]) for f in r["fleet"])
    lines = ["### Redis as deployed: TLS, Sentinel, Cluster; many tenants; a hot key", "",
             f"From bench/redis_deploy.py, {when} ({note}). Each store form ran {n} interleaved "
             f"round(s): wall ÷ ideal is the median (lowest–highest), the other columns give every round "
             f"(the 429 share: the highest; failed: the sum).", "",
             "| store | processes | wall ÷ ideal | 429s | 429 share | failed | store outages (local pacing) | load average |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [fleet_row(f) for f in r["fleet"]]
    for f in r["fleet"]:
        if "reshard_s" in f:
            lines += ["", (
                f"The resharding (median round) moved {f['slots_moved']:,} slots in {f['reshard_s']:.1f} s, taking "
                f"{f['redis_cli_cpu_s']:.1f} CPU-s in redis-cli and {f['nodes_cpu_s']:.1f} CPU-s in the nodes "
                f"(of the 2 cores the 8 client processes and the emulator share); the key's script calls "
                f"answered with a redirect or TRYAGAIN: {f['evalsha_redirected']}; store outages (local "
                f"pacing): {f.get('store_outages', 0)}.")]
        if f.get("part") == "sentinel-failover" and f.get("timelines"):
            lines += ["", "The failovers, in seconds after the SIGKILL: " + "; ".join(
                f"round {i + 1}: {story(tl)}" for i, tl in enumerate(f["timelines"])) + "."]
    t = r["tenants"]
    lines += ["", "| many tenants | value |", "|---|---|",
              f"| API keys, one decision each (8 processes) | {t['api_keys']:,} |",
              f"| decisions / s | {t['decisions_per_s']:,.0f} |",
              f"| Redis CPU for them | {t['redis_cpu_s']:.2f} s ({t['decisions'] / max(t['redis_cpu_s'], 1e-9):,.0f} decisions per Redis CPU-second) |",
              f"| Redis memory per active API key | {t['bytes_per_active_key']:,.0f} bytes ({t['redis_keys_active'] / t['api_keys']:.1f} Redis keys each) |",
              f"| Redis keys left after their TTLs (12 s + expiry) | {t['redis_keys_after_ttl']} ({t['bytes_after_ttl']:,} bytes above the empty server) |",
              ""]
    lines += redis_hot.markdown(r["hot"], r.get("hot_http", []))
    lines += ["", (
        "Reading it: every deployment form keeps section 6's result — one schedule for the fleet, "
        "no failed call through a failover or a resharding (decisions meeting a primary being "
        "replaced, or a slot long half-way through a migration, are made locally at the fair share). "
        "In a failover each process learns of the loss at its next decision (up to a second later, "
        "its callers all waiting for slots), paces locally from as far ahead as the fleet's schedule "
        "stood at its last decision on Redis, and once the sentinels name the replica puts its "
        "unsent local requests on the shared schedule at their times: no 429 at the switch either "
        "way; the time lost is the slots of processes that learned late (the fleet's schedule "
        "stopped at the kill, theirs start as if it had not) and the machine's load. "
        + redis_hot.reading(r["hot"], r.get("hot_http", []))
        + " An active API key holds two Redis keys "
        "(its schedule and its set of processes, more once it pauses, learns or holds sessions), "
        "all with TTLs: idle keys are gone seconds after their last decision."
    )]
    return "\n".join(lines) + "\n"


# part -> (make the deployment, its row's name, the mid-run event, when (s into a 2,000-GET run)).
DEPLOYMENTS = {
    "plain": (plain, "one Redis", None, 0.0),
    "tls": (tls, "TLS + ACL user (mutual TLS)", None, 0.0),
    "sentinel": (sentinel, "Sentinel (primary, replica, 3 sentinels)", None, 0.0),
    "sentinel-failover": (sentinel, "Sentinel, primary SIGKILLed at 20 s", "kill", 20.0),
    "cluster": (cluster, "Cluster (3 primaries)", None, 0.0),
    "cluster-reshard": (cluster, "Cluster (3 primaries), key's node resharded away from 10 s", "reshard", 10.0),
}


def run_fleet(part: str, n: int) -> dict[str, Any]:
    make, name, event, at = DEPLOYMENTS[part]
    d = make()
    d.name = name
    try:
        ev = None
        if event == "kill":
            ev = d.servers[0].kill
        elif event == "reshard":
            ev = lambda d=d: reshard_key_node(d)  # noqa: E731
        row = fleet(d, n, 8, ev, at * n / 2000)
        row.update(d.event)
        row["part"] = part
        print(json.dumps({k: v for k, v in row.items() if k != "timeline"}), flush=True)
        return row
    finally:
        d.stop()


def summary(part: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from interleaved rounds of a part: the round with the median wall ÷ ideal,
    with every round's wall ÷ ideal, 429s, failed calls, outages and load beside it."""
    by_wall = sorted(rounds, key=lambda r: r["wall_over_ideal"])
    row = dict(by_wall[(len(by_wall) - 1) // 2])
    row["rounds"] = [{k: r.get(k) for k in ("wall_over_ideal", "rate_limited", "requests", "failed",
                                            "store_outages", "load", "reshard_s")} for r in rounds]
    row["timelines"] = [r["timeline"] for r in rounds if "timeline" in r]
    row.pop("timeline", None)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--note", default="2 shared cores")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each store form (median shown)")
    ap.add_argument("--only", help="comma-separated parts (of " + ", ".join([*DEPLOYMENTS, "tenants", "hot"])
                    + ") to run alone and put into the last results")
    a = ap.parse_args()
    n = 400 if a.quick else 2000
    out = BENCH / ("out" if a.quick else ".") / "redis_deploy_results.json"
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    parts = a.only.split(",") if a.only else [*DEPLOYMENTS, "tenants", "hot"]
    unknown = set(parts) - {*DEPLOYMENTS, "tenants", "hot"}
    if unknown:
        ap.error(f"unknown parts: {sorted(unknown)}")
    if a.only:
        result = json.loads(out.read_text())
        result.setdefault("rerun", {}).update({p: now for p in parts})
        result["rerun_note"] = a.note
    else:
        result = {"when": now, "note": a.note}
    fleet_parts = [p for p in DEPLOYMENTS if p in parts]
    rounds: dict[str, list[dict[str, Any]]] = {p: [] for p in fleet_parts}
    for _ in range(a.rounds):
        for p in fleet_parts:
            rounds[p].append(run_fleet(p, n))
    old = {r.get("part"): r for r in result.get("fleet", [])}
    old.update({p: summary(p, rs) for p, rs in rounds.items()})
    result["fleet"] = [old[p] for p in DEPLOYMENTS if p in old]
    if "tenants" in parts:
        result["tenants"] = tenants(2000 if a.quick else 10000)
        print(json.dumps(result["tenants"]), flush=True)
    if "hot" in parts:
        result["hot"], result["hot_http"] = hot(3.0 if a.quick else 10.0)
        print(json.dumps(result.get("hot_http")), flush=True)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
