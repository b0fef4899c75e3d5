"""The "Chaos soak" section of bench/RESULTS.md, from bench/soak.py's JSON files: the soak
(bench/soak_results.json) and the threads runs (bench/soak_threads_asan.json,
bench/soak_threads_valgrind.json), and after the soak's table what bench/soak_notes.md says of
the run (written by hand) when it exists. bench/report.py calls `section(bench_dir)`, which gives
(markdown body, gaps, headline) or None when the soak has not run; `python
bench/soak_report.py` prints the section alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FAULTS = ("503", "reset", "dropped_after_commit", "truncated", "slow_body", "storms", "storm_429")
FAULT_NAMES = {"503": "503", "reset": "reset", "dropped_after_commit": "dropped after commit",
               "truncated": "truncated body", "slow_body": "stalled body", "storms": "429 storms",
               "storm_429": "429s in storms"}
LANGS = {"rust": "Rust (8 tokio tasks)", "c": "C (8 threads, one client)",
         "py-threads": "Python (8 threads)", "py-asyncio": "Python asyncio (8 tasks)"}


def _load(p: Path) -> dict[str, Any] | None:
    return json.loads(p.read_text()) if p.exists() else None


def _n(x: Any) -> str:
    return f"{x:,}" if isinstance(x, int) else ("–" if x is None else f"{x:g}")


def _failed(w: dict[str, Any]) -> str:
    f = w.get("failed") or {}
    return ", ".join(f"{k} {v}" for k, v in sorted(f.items(), key=lambda kv: -kv[1])) or "none"


def _table(phases: list[dict[str, Any]], label: Any) -> str:
    head = ("| | " + " | ".join(label(p) for p in phases) + " |\n|---|"
            + "---:|" * len(phases) + "\n")
    rows = [
        ("Duration", lambda p: f"{p['duration_s']:.0f} s"),
        ("Items", lambda p: _n(p["worker"].get("started"))),
        ("Requests seen by the emulators",
         lambda p: _n(sum(p.get("requests_seen_by_chaos", {}).values()))),
        *[(f"Injected: {FAULT_NAMES[k]}", (lambda k: lambda p: _n(p["faults_injected"].get(k, 0)))(k))
          for k in FAULTS],
        ("Done", lambda p: _n(p["worker"].get("done"))),
        ("Failed (with their code)", lambda p: _failed(p["worker"])),
        ("Item retried with the same key", lambda p: _n(p["worker"].get("rounds_again"))),
        ("Jobs on the server / idempotent replays",
         lambda p: f"{_n(p['jobs']['jobs_on_server'])} / {_n(p['emulator']['idempotent_replays'])}"),
        ("**Duplicate jobs**", lambda p: f"**{p['jobs']['duplicate_items']}**"),
        ("**Lost items**", lambda p: f"**{p['jobs']['lost']}**"),
        ("Wrong answers", lambda p: _n(p["worker"].get("wrong"))),
        ("RSS after warm-up → end (growth)", lambda p: (
            f"{p['resources']['rss_baseline_kib'] / 1024:.1f} → {p['resources']['rss_end_kib'] / 1024:.1f} MiB "
            f"({p['resources']['rss_growth_kib'] / 1024:+.2f})" if "rss_growth_kib" in p["resources"] else "–")),
        ("Open fds after warm-up → end (growth)", lambda p: (
            f"{p['resources']['fds_baseline']:g} → {p['resources']['fds_end']:g} ({p['resources']['fds_growth']:+g})"
            if "fds_growth" in p["resources"] else "–")),
        ("Invariants", lambda p: "hold" if not p["problems"] else "; ".join(p["problems"])),
    ]
    return head + "\n".join(f"| {name} | " + " | ".join(f(p) for p in phases) + " |" for name, f in rows)


def section(bench: Path) -> tuple[str, list[str], str] | None:
    soak = _load(bench / "soak_results.json")
    asan = _load(bench / "soak_threads_asan.json")
    vg = _load(bench / "soak_threads_valgrind.json")
    if soak is None:
        return None
    cfg = soak["config"]
    body = [
        f"From `make bench-soak` (bench/soak.py) on {soak['date']} (git {soak['git']}), "
        f"{soak['total_s'] / 60:.1f} minutes: {cfg['seconds_per_phase']:g} s per language, each "
        "against a fresh PyAI and Specala emulator (release builds) in chaos mode — seeded "
        "random faults on every API request: 5 % 503, 2 % connection resets, 1 % processed "
        "then dropped, 1 % truncated bodies, 1 % bodies stalled 2.5× past the client's 1 s "
        "attempt timeout, and 429 storms (0.2 % of requests start 1.5 s during which every "
        "request is a 429 with `Retry-After`). The workers mix idempotent job creation (40 %), "
        "gets (25 %), list walks of up to 3 pages (15 %) and bulk exports of 20–150 documents "
        "(20 %), and keep their own books; a failed item names its error code. Duplicates come "
        "from the emulator's jobs grouped by `metadata.item` (one idempotency key per item), "
        "read after chaos is turned off. RSS and open fds are sampled from `/proc` every 0.5 s; "
        "growth is the median of the last tenth of the run minus the median of the first tenth "
        "after warm-up (30 % of the run). Counts are per run (one run, seeded: they move a "
        "little with thread timing).",
        "",
        _table(soak["phases"], lambda p: LANGS.get(p["phase"], p["phase"])),
    ]
    notes = bench / "soak_notes.md"
    if notes.exists():
        body += ["", notes.read_text().strip()]
    threads = [t for t in (asan, vg) if t]
    if threads:
        body += [
            "",
            "**Threads (issue 17 item 4):** 16 C threads sharing one PyAI and one Specala client "
            "(`make c-threads-full`, tests/c/chaos_threads.c), the same faults (429 storms 10× "
            "rarer, since a storm pauses every thread), with AddressSanitizer+UBSan "
            "(LeakSanitizer on) and under valgrind's memcheck. Helgrind and DRD were tried and "
            "are not practical: neither models Rust's futex-based locks and atomics, and a "
            "160-item helgrind run (74 s) reported 12,651 \"possible data races\" from 1,000 "
            "contexts, all in the hand-off of futures and buffers between tokio's worker "
            "threads (hyper's dispatcher, tokio's task cells) — suppressing them would "
            "suppress everything.",
            "",
            _table([t["phases"][0] for t in threads],
                   lambda p: "valgrind memcheck" if "valgrind" in p["command"] else "ASan+UBSan"),
            "",
            "RSS is not checked in these two runs: ASan's quarantine holds freed memory "
            "(up to 256 MiB by default) and valgrind adds its own bookkeeping, so their growth "
            "says nothing about surefoot; leaks are LeakSanitizer's and memcheck's to find "
            "(`--errors-for-leak-kinds=definite,indirect`). "
            "ASan and valgrind reports: "
            + ", ".join(f"{'valgrind' if 'valgrind' in t['phases'][0]['command'] else 'ASan'} "
                        f"{'none' if not t['phases'][0]['stderr_marks'] else t['phases'][0]['stderr_marks']}"
                        for t in threads) + ".",
        ]
    gaps = []
    for p in soak["phases"] + [t["phases"][0] for t in threads]:
        if p["problems"]:
            gaps.append(f"Chaos soak, {p['phase']}: {'; '.join(p['problems'])}")
    items = sum(p["worker"].get("started") or 0 for p in soak["phases"])
    dups = sum(p["jobs"]["duplicate_items"] for p in soak["phases"] if "jobs" in p)
    lost = sum(p["jobs"]["lost"] for p in soak["phases"] if "jobs" in p)
    faults = sum(sum(p["faults_injected"].values()) for p in soak["phases"])
    worst_rss = max(p["resources"].get("rss_growth_kib", 0) for p in soak["phases"]) / 1024
    worst_fds = max(p["resources"].get("fds_growth", 0) for p in soak["phases"])
    headline = (f"**Chaos soak:** {items:,} items in Rust, C and Python under {faults:,} injected "
                f"faults — {dups} duplicate jobs, {lost} lost items; RSS growth at most "
                f"{worst_rss:+.2f} MiB and fds {worst_fds:+g} after warm-up"
                + (f"; 16 C threads × {asan['phases'][0]['worker'].get('started', 0):,} items clean under ASan"
                   if asan and not asan["phases"][0]["problems"] else "") + ".")
    return "\n".join(body), gaps, headline


if __name__ == "__main__":
    out = section(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
    print(out[2] + "\n\n" + out[0] if out else "the soak has not run")
