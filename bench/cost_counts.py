"""Per-request cost counted instead of timed (issue 24): instructions, and misses of the
level-1 instruction and data caches, per GET, for the C library against libcurl (an easy
handle) and the Rust client against reqwest, on one thread (C) or one task (Rust), against
the emulator and against nginx. Counted by valgrind's callgrind with its cache simulation
(32 KiB L1 caches, as this machine's), which does not depend on what else the machine runs:
bench/cost.py's requests/s move by up to a third between rounds on a shared VM, these
counts by a few percent.

Each client runs twice, ``--short`` and ``--long`` GETs after the same warm-up (the binaries
of bench/cost.py: bench/c/bench_c.c and bench/rust); the difference of the two runs'
totals divided by the difference of their counts is the cost of one more GET, with the
process's start, set-up and exit cancelled out. Results go to ``bench/cost_counts.json``,
which bench/cost_report.py adds to section 2 of RESULTS.md.

    python bench/cost_counts.py                  # ~2 minutes
    python bench/cost_counts.py --out bench/out/counts.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cost  # noqa: E402
import run  # noqa: E402

# (surface, client label, language, client argument of the bench binary)
CLIENTS = [("C", "libcurl", "c", "curl"), ("C", "surefoot", "c", "surefoot"),
           ("C", "surefoot (no PGO)", "c-plain", "surefoot"),
           ("Rust", "reqwest", "rust", "reqwest"), ("Rust", "surefoot", "rust", "surefoot")]
# callgrind's events with --cache-sim=yes, in the order of its "Collected" line.
EVENTS = ["Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw"]


def counted(lang: str, client: str, url: str, job_id: str, n: int) -> dict[str, int]:
    """callgrind's totals for one process making `n` GETs after a warm-up of 100."""
    spec = {"bench": "overhead", "client": client, "url": url, "key": run.PYAI_KEY, "job_id": job_id,
            "n": n, "concurrency": 1, "warmup": 100}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        argv = ["valgrind", "--tool=callgrind", "--cache-sim=yes", f"--callgrind-out-file={out}",
                *run.command(lang, spec)]
        proc = subprocess.run(argv, input="go\n", capture_output=True, text=True, timeout=900)
    result = json.loads(proc.stdout.splitlines()[-1])
    if result["failed"] or result["ok"] != n:
        raise RuntimeError(f"{lang} {client}: {result['failed']} of {n} GETs failed under valgrind")
    found = re.search(r"Collected : ([\d ]+)", proc.stderr)
    if not found:
        raise RuntimeError(f"{lang} {client}: no totals from callgrind:\n{proc.stderr[-2000:]}")
    return dict(zip(EVENTS, (int(v) for v in found.group(1).split())))


def per_get(lang: str, client: str, url: str, job_id: str, short: int, long: int) -> dict[str, float]:
    a = counted(lang, client, url, job_id, short)
    b = counted(lang, client, url, job_id, long)
    d = {e: (b[e] - a[e]) / (long - short) for e in EVENTS}
    return {"instructions": d["Ir"], "i1_misses": d["I1mr"], "d1_misses": d["D1mr"] + d["D1mw"],
            "data_refs": d["Dr"] + d["Dw"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", type=int, default=500)
    ap.add_argument("--long", type=int, default=2000)
    ap.add_argument("--servers", default="emulator,nginx")
    ap.add_argument("--out", default=str(run.BENCH / "cost_counts.json"))
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    for server in args.servers.split(","):
        with cost.serving(server) as (url, job_id):
            for group, label, lang, client in CLIENTS:
                r = per_get(lang, client, url, job_id, args.short, args.long)
                rows.append({"server": server, "group": group, "client": label, **r})
                print(f"{server:<8} {group:<4} {label:<9} {r['instructions']:9,.0f} instructions "
                      f"{r['i1_misses']:7,.0f} I1 misses {r['d1_misses']:7,.0f} D1 misses", flush=True)
    meta = {**run.machine(), "short": args.short, "long": args.long,
            "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "table": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
