"""Memory side by side (issue 24, item 4): resident memory per idle client and per 1,000
requests in flight, surefoot's C library against libcurl (bench/c/mem_c.c) and surefoot's
asyncio client against aiohttp and pyreqwest (this file's ``--worker``), against the
emulator.

Per client, a fresh process: it measures its RSS (``/proc/self/statm``), makes CLIENTS
clients one after another, each after one GET of a job (its connection then idle), and
measures again — per idle client is the growth ÷ CLIENTS. Then the driver makes the
emulator hold the next INFLIGHT answers of that route for a few seconds, says go, and the
process starts INFLIGHT requests at once — C: a thread each (surefoot on one shared client,
libcurl an easy handle per thread); asyncio: a task each on one client — and samples its
RSS while they all wait: the peak minus the RSS before them is per INFLIGHT in flight.
Medians of the rounds → ``out/mem.json`` and a table.

    python bench/mem.py                  # 100 idle clients, 1,000 in flight, 3 rounds
    python bench/mem.py --rounds 1 --clients 20 --inflight 200   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

MEM_C = run.BENCH / "target" / "mem_c"
HOLD_MS = 10000
ROUTE = "GET /v1/transcription/jobs/*"
CLIENTS = [("C", "libcurl", "c", "curl"), ("C", "surefoot", "c", "surefoot"),
           ("Python asyncio", "aiohttp", "python", "aiohttp"),
           ("Python asyncio", "pyreqwest", "python", "pyreqwest-async"),
           ("Python asyncio", "surefoot", "python", "surefoot-async")]


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 // 1024


async def worker(client: str, url: str, key: str, job_id: str, clients: int, inflight: int) -> None:
    target = f"{url}/v1/transcription/jobs/{job_id}"
    auth = {"Authorization": f"Bearer {key}"}
    if client == "surefoot-async":
        import surefoot

        async def make() -> Any:
            return surefoot.AsyncPyAI(api_key=key, base_url=url)

        async def get(c: Any) -> bool:
            await c.jobs.get(job_id)
            return True
    elif client == "aiohttp":
        import aiohttp

        async def make() -> Any:
            return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

        async def get(c: Any) -> bool:
            async with c.get(target, headers=auth) as r:
                await r.read()
                return bool(r.status == 200)
    elif client == "pyreqwest-async":
        from pyreqwest.client import ClientBuilder

        async def make() -> Any:
            return ClientBuilder().build()

        async def get(c: Any) -> bool:
            r = await c.get(target).headers(auth).build().send()
            await r.bytes()
            return bool(r.status == 200)
    else:
        raise SystemExit(f"unknown client {client}")

    base = rss_kb()
    made = []
    failed = 0
    for _ in range(clients):
        c = await make()
        failed += not await get(c)
        made.append(c)
    idle = rss_kb()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    flight_base = peak = rss_kb()

    async def one() -> bool:
        try:
            return await get(made[0])
        except Exception:
            return False

    tasks = [asyncio.create_task(one()) for _ in range(inflight)]
    t0 = time.monotonic()
    while time.monotonic() - t0 < HOLD_MS / 1000 * 0.85 and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
        peak = max(peak, rss_kb())
    results = await asyncio.gather(*tasks)
    for c in made:
        if hasattr(c, "close"):
            await c.close()
    print(json.dumps({"rss_base_kb": base, "rss_idle_kb": idle, "rss_inflight_base_kb": flight_base,
                      "rss_inflight_kb": peak, "ok": sum(results), "failed": failed + results.count(False)}),
          flush=True)


def one(lang: str, client: str, emu: run.Emulator, job_id: str, clients: int, inflight: int) -> dict[str, Any]:
    if lang == "c":
        argv = [str(MEM_C), client, emu.url, run.PYAI_KEY, job_id, str(clients), str(inflight)]
    else:
        argv = [run.PY, __file__, "--worker", client, emu.url, run.PYAI_KEY, job_id, str(clients), str(inflight)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"{lang} {client}: no ready")
    emu.admin("POST", "faults", {"route": ROUTE, "count": inflight, "action": {"kind": "delay", "ms": HOLD_MS}})
    proc.stdin.write("go\n")
    proc.stdin.flush()
    r = json.loads(proc.stdout.readline())
    proc.wait(timeout=120)
    emu.admin("DELETE", "faults")
    return {"idle_kb_per_client": (r["rss_idle_kb"] - r["rss_base_kb"]) / clients,
            "inflight_kb": r["rss_inflight_kb"] - r["rss_inflight_base_kb"],
            "ok": r["ok"], "failed": r["failed"]}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        client, url, key, job_id, clients, inflight = sys.argv[2:8]
        asyncio.run(worker(client, url, key, job_id, int(clients), int(inflight)))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--inflight", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated clients, say curl,surefoot-async")
    ap.add_argument("--out", default=str(run.BENCH / "out" / "mem.json"))
    args = ap.parse_args()
    who = [c for c in CLIENTS if not args.only or c[3] in args.only.split(",")]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    emu = run.Emulator("--api", "pyai", "--no-rate-limits")
    try:
        job_id = emu.create_job()
        for rnd in range(args.rounds):
            k = rnd % len(who)
            for group, label, lang, client in who[k:] + who[:k]:
                r = one(lang, client, emu, job_id, args.clients, args.inflight)
                runs.setdefault((group, label), []).append(r)
                print(f"round {rnd + 1} {group:<15} {label:<10} idle {r['idle_kb_per_client']:8.1f} KiB/client"
                      f"  in flight {r['inflight_kb'] / 1024:7.1f} MiB/{args.inflight}  ok {r['ok']} failed {r['failed']}",
                      flush=True)
    finally:
        emu.stop()
    table = [{"group": g, "client": label,
              "idle_kb_per_client": statistics.median(r["idle_kb_per_client"] for r in rs),
              "inflight_mb": statistics.median(r["inflight_kb"] for r in rs) / 1024,
              "failed": sum(r["failed"] for r in rs), "rounds": rs} for (g, label), rs in runs.items()]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"clients": args.clients, "inflight": args.inflight,
                                          "rounds": args.rounds, "hold_ms": HOLD_MS, "table": table}, indent=1) + "\n")
    print(f"\nRSS, median of {args.rounds} round(s): per idle client ({args.clients} made) and per "
          f"{args.inflight} requests in flight\n")
    print("| surface | client | KiB per idle client | MiB per 1,000 in flight | failed |")
    print("|---|---|---|---|---|")
    for row in table:
        print(f"| {row['group']} | {row['client']} | {row['idle_kb_per_client']:.0f} |"
              f" {row['inflight_mb'] * 1000 / args.inflight:.1f} | {row['failed']} |")


if __name__ == "__main__":
    main()
