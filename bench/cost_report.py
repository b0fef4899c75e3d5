"""Section 2 of bench/RESULTS.md, "Per-request overhead", from bench/cost_results.json
(``bench/cost.py --all``: every surface and peer, median of interleaved rounds, against the
emulator and nginx), the counts of bench/cost_counts.json (bench/cost_counts.py: callgrind's
instructions and cache misses per GET) and the memory table from bench/mem_results.json
(bench/mem.py), and after the plot what bench/cost_notes.md says of the run (written by hand).
bench/report.py calls ``section(bench_dir, plots)``, which gives (markdown body, gaps,
headline) or None when cost.py has not written its results; the issue's targets are
checked row by row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SUREFOOT, PEER = "#d9480f", "#4c6ef5"
GROUPS = ["Rust", "Python sync", "Python async", "C"]

# The targets (24): surefoot's requests/s ÷ the peer's at least, CPU per request ÷
# the peer's at most.
TARGETS = {("Rust", "reqwest"): (0.97, None), ("Python sync", "urllib3"): (1.4, None),
           ("Python async", "aiohttp"): (1.0, 1.0), ("C", "libcurl"): (1.0, 1.25)}

CAUSES = {
    "Rust": "surefoot's async calls go over the lean hyper stack (hyper-util's pooled client, the one "
            "reqwest wraps, without reqwest's layers) plus surefoot's own per-request work: the send loop "
            "keeps retry and deadline state, asks the key's pacer for a slot, opens tracing spans, counts "
            "metrics, and decodes the body into a typed `Job` (the reqwest peer into a `serde_json::Value`)",
    "C": "the library is built with profile-guided optimisation (a plain release build spends about a "
         "third more CPU per call: the *no PGO* row). A C call drives its HTTP/1 connection inside the "
         "call, on the calling thread's own runtime "
         "(crates/surefoot/src/client/inline.rs): one writev, one recvfrom and one epoll_wait per call, "
         "as an easy handle makes one send, one recv and a few polls. What is left is user-space work per "
         "call: a turn of tokio's current-thread scheduler, hyper's dispatcher and header maps, the "
         "request's URL resolved and parsed, the send loop's state (pacing, hold, budget, span) and the C "
         "boundary's copy of the answer; at 8 threads the clients and the server share the 2 cores, so "
         "CPU per request sets the requests/s",
    "Python sync": "every call crosses from Python into the Rust core and back (the GIL released "
                   "while the calling thread drives the request) and builds the typed result",
    "Python async": "a call is a task on the Rust runtime; finished calls reach the loop in "
                    "batches through a socket pair, and the result is built on the loop's thread",
}


def _table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


def _rows(data: dict[str, Any]) -> tuple[list[list[str]], list[str], list[str]]:
    """Table rows, gaps and target lines of every (server, surface, concurrency)."""
    rows, gaps, targets = [], [], []
    table = data["table"]
    keys = sorted({(r["server"], r["group"], r["threads"]) for r in table},
                  key=lambda k: (k[0], GROUPS.index(k[1]) if k[1] in GROUPS else 9, k[2]))
    for server, group, conc in keys:
        rs = [r for r in table if (r["server"], r["group"], r["threads"]) == (server, group, conc)]
        sf = next((r for r in rs if r["client"] == "surefoot"), None)
        if sf is None:
            continue
        for r in rs:
            rows.append([server, group, str(conc), r["client"], f"{r['rps']:,.0f}", f"{r['cpu_us']:.0f}",
                         f"{sf['rps'] / r['rps']:.2f}×", f"{r['cpu_us'] / sf['cpu_us']:.2f}×", str(r["failed"])])
            if r["client"].startswith("surefoot"):
                continue
            want = TARGETS.get((group, r["client"]))
            if want:
                rps_ok = sf["rps"] / r["rps"] >= want[0]
                cpu_ok = want[1] is None or sf["cpu_us"] / r["cpu_us"] <= want[1]
                cpu_txt = f", CPU {sf['cpu_us'] / r['cpu_us']:.2f}× (≤ {want[1]:.2f})" if want[1] else ""
                targets.append(f"{server}, {group} at {conc} vs {r['client']}: requests/s "
                               f"{sf['rps'] / r['rps']:.2f}× (≥ {want[0]:.2f}){cpu_txt} — "
                               + ("met" if rps_ok and cpu_ok else "**not met**"))
            behind = []
            if r["rps"] > sf["rps"] * 1.05:
                behind.append(f"{r['rps'] / sf['rps']:.2f}× surefoot's requests/s")
            if r["cpu_us"] < sf["cpu_us"] * 0.95:
                behind.append(f"{sf['cpu_us'] / r['cpu_us']:.2f}× less CPU per request")
            if behind:
                gaps.append(f"Overhead ({server}), {group}, concurrency {conc}: {r['client']} gets "
                            + " and ".join(behind) + f" ({r['rps']:,.0f} vs {sf['rps']:,.0f} requests/s, "
                            f"{r['cpu_us']:.0f} vs {sf['cpu_us']:.0f} µs CPU). Cause: {CAUSES.get(group, '?')}.")
    return rows, gaps, targets


def _paired(data: dict[str, Any]) -> str:
    """Each target row's ratio within each round (surefoot and the peer ran back to back in
    it) and their median: the machine's drift from one round to the next moves it less than
    the ratio of the medians in the table above."""
    table = data["table"]
    rows = []
    for (group, peer_name) in TARGETS:
        for peer in (r for r in table if (r["group"], r["client"]) == (group, peer_name)):
            same = [r for r in table if (r["server"], r["group"], r["threads"])
                    == (peer["server"], group, peer["threads"]) and "surefoot" in r["client"]]
            for sf in same:
                per = [a["rps"] / b["rps"] for a, b in zip(sf["rounds"], peer["rounds"])]
                per.sort()
                mid = per[len(per) // 2] if len(per) % 2 else (per[len(per) // 2 - 1] + per[len(per) // 2]) / 2
                rows.append([peer["server"], group, str(peer["threads"]), f"{sf['client']} ÷ {peer_name}",
                             " ".join(f"{x:.2f}" for x in per), f"{mid:.2f}×"])
    if not rows:
        return ""
    return ("\n**Round by round** (surefoot's requests/s ÷ the peer's within each round, lowest first, "
            "and their median; the same runs as the table above):\n\n"
            + _table(["server", "surface", "concurrency", "clients", "per round", "median"], rows) + "\n")


def _notes(bench: Path) -> str:
    """What a person wrote about this run (bench/cost_notes.md), placed after the plot."""
    src = bench / "cost_notes.md"
    return "\n" + src.read_text().strip() + "\n" if src.exists() else ""


def _plot(data: dict[str, Any], path: Path) -> None:
    servers = list(dict.fromkeys(r["server"] for r in data["table"]))
    fig, axes = plt.subplots(len(servers), 1, figsize=(13, 4 * len(servers)), squeeze=False)
    for ax, server in zip(axes[:, 0], servers):
        rs = sorted((r for r in data["table"] if r["server"] == server),
                    key=lambda r: (GROUPS.index(r["group"]) if r["group"] in GROUPS else 9, r["threads"]))
        bars = ax.bar(range(len(rs)), [r["cpu_us"] for r in rs],
                      color=[SUREFOOT if "surefoot" in r["client"] else PEER for r in rs])
        for b, r in zip(bars, rs):
            ax.annotate(f"{r['cpu_us']:.0f}", (b.get_x() + b.get_width() / 2, b.get_height()), ha="center",
                        va="bottom", fontsize=6, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(range(len(rs)), [f"{r['group']} {r['threads']}\n{r['client']}" for r in rs],
                      fontsize=6, rotation=60, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("CPU µs per request (lower is better)", fontsize=8)
        ax.set_title(f"against {server}", fontsize=9)
    fig.suptitle("2. Per-request overhead on loopback (median of interleaved rounds, log scale)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _memory(bench: Path) -> str:
    src = bench / "mem_results.json"
    if not src.exists():
        return ""
    m = json.loads(src.read_text())
    # An in-flight figure of 0: the emulator did not hold the answers (its fault did not
    # match), so it is not a measurement.
    rows = [[r["group"], r["client"], f"{r['idle_kb_per_client']:.0f}",
             f"{r['inflight_mb'] * 1000 / m['inflight']:.1f}" if r["inflight_mb"] > 0 else "– (not measured)",
             str(r["failed"])] for r in m["table"]]
    return (f"\n**Memory** (bench/mem.py, median of {m['rounds']} rounds against the emulator): resident "
            f"memory per idle client ({m['clients']} made one after another, each after one GET, its "
            f"connection kept) and per 1,000 requests in flight ({m['inflight']} at once, the emulator "
            f"holding every answer {m['hold_ms'] / 1000:g} s; C: a thread each — surefoot on one shared "
            "client, libcurl an easy handle per thread; asyncio: a task each on one client).\n\n"
            + _table(["surface", "client", "KiB per idle client", "MiB per 1,000 in flight", "failed"], rows)
            + ("\nAn in-flight figure is missing: the emulator did not hold those answers, so the requests "
               "were not all in flight at once when sampled.\n"
               if any(r["inflight_mb"] <= 0 for r in m["table"]) else ""))


def _counts(bench: Path) -> str:
    src = bench / "cost_counts.json"
    if not src.exists():
        return ""
    c = json.loads(src.read_text())
    table = c["table"]
    rows = []
    for r in table:
        peer = next(p for p in table if (p["server"], p["group"]) == (r["server"], r["group"])
                    and not p["client"].startswith("surefoot"))
        ratio = (lambda k: f" ({r[k] / peer[k]:.2f}×)") if r["client"].startswith("surefoot") else (lambda k: "")
        rows.append([r["server"], r["group"], r["client"],
                     f"{r['instructions']:,.0f}{ratio('instructions')}",
                     f"{r['i1_misses']:,.0f}{ratio('i1_misses')}",
                     f"{r['d1_misses']:,.0f}{ratio('d1_misses')}"])
    m = c["meta"]
    return (f"\n**Counted, not timed** (bench/cost_counts.py, {m['valgrind']}, git {m['git']}): one GET's "
            "instructions and misses of the 32 KiB level-1 caches (callgrind's simulation), the "
            f"difference between runs of {m['long']:,} and {m['short']:,} GETs after the same warm-up, "
            "on one thread (C) or one task (Rust). These do not move with the machine's load as "
            "requests/s do; in parentheses surefoot ÷ the peer.\n\n"
            + _table(["server", "surface", "client", "instructions", "L1 instruction misses",
                      "L1 data misses"], rows) + "\n")


def section(bench: Path, plots: Path) -> tuple[str, list[str], str] | None:
    src = bench / "cost_results.json"
    if not src.exists():
        return None
    data = json.loads(src.read_text())
    meta = data["meta"]
    rows, gaps, targets = _rows(data)
    _plot(data, plots / "overhead.png")
    body = (f"Run alone by `bench/cost.py --all` on {meta['date']} (git {meta['git']}; load average "
            f"{meta['load_start']:.1f} at the start, {meta['load_end']:.1f} at the end, on {meta['nproc']} "
            f"cores): {data['n']:,} GETs of one job per run, every client in a fresh process that warms up "
            f"first, the median of {data['rounds']} interleaved rounds (each round every client once, in "
            "a rotated order). Two servers: the emulator (release, `--no-rate-limits`) and nginx on "
            "loopback serving the emulator's answer for the job byte for byte as a static file (a server "
            "no one here wrote). C runs at 1 and 8 threads (libcurl: an easy handle per thread; surefoot: "
            "one client shared by the threads), the other surfaces at 1 and 32. requests/s = requests ÷ "
            "wall time; CPU = the client process's user + system time ÷ requests. The C library is "
            "built as `make install` builds it, with profile-guided optimisation (bindings/c/pgo/rules.mk); "
            "*surefoot (no PGO)* is the same program on a plain release build of the library, in the "
            "same rounds."
            + (f" *surefoot (before)* is `bench_c` linked to the library of {meta['before']}, in the "
               "same rounds." if meta.get("before") else "") + "\n\n"
            + _table(["server", "surface", "concurrency", "client", "requests/s", "CPU µs/request",
                      "surefoot ÷ client (requests/s)", "client ÷ surefoot (CPU)", "failed"], rows)
            + "\n\n**The issue's targets** (issue 24; CPU as surefoot ÷ peer):\n\n"
            + "\n".join(f"- {t}" for t in targets) + "\n" + _paired(data) + _counts(bench) + _memory(bench)
            + "\n\n![2. Per-request overhead](plots/overhead.png)\n" + _notes(bench))
    met = sum("— met" in t for t in targets)
    headline = (f"**Overhead** ({data['n']:,} GETs, median of {data['rounds']} interleaved rounds, emulator and "
                f"nginx): {met} of {len(targets)} of the issue's targets met; surefoot's requests/s ÷ the peer's: "
                + "; ".join(f"{t.split(': requests/s ')[0]}: {t.split(': requests/s ')[1].split(' (')[0]}"
                            for t in targets) + ".")
    return body, gaps, headline
