"""Turns bench/results.json (from run.py) into bench/RESULTS.md and one PNG per benchmark
under bench/plots/. Every table is from the same run; ratios compare clients measured
side by side. Every place where surefoot is not ahead is listed under "Gaps" with its
cause.

    python bench/report.py                       results.json -> RESULTS.md + plots/
    python bench/report.py IN.json OUT.md PLOTS  other paths (run.py --quick uses bench/out/)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

import fleet_report  # noqa: E402  (bench/fleet_report.py, beside this file)
import soak_report  # noqa: E402  (bench/soak_report.py, beside this file)
import sdk_report  # noqa: E402  (bench/sdk_report.py, beside this file)
import cost_report  # noqa: E402  (bench/cost_report.py, beside this file)

BENCH = Path(__file__).resolve().parent
SUREFOOT = "#d9480f"
PEER = "#4c6ef5"
OTHER = "#868e96"


def color(label: str) -> str:
    return SUREFOOT if "surefoot" in label else PEER


def fmt(x: float, digits: int = 2) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def ratio(a: float, b: float) -> str:
    if b == 0:
        return "–"
    return f"{a / b:.2f}×"


def table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bar_labels(ax: Any, bars: Any, texts: list[str]) -> None:
    for b, t in zip(bars, texts):
        ax.annotate(t, (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom",
                    fontsize=7, xytext=(0, 2), textcoords="offset points")


# ----- 1. goodput -------------------------------------------------------------------------


def goodput(recs: list[dict[str, Any]], cfg: dict[str, Any], plots: Path) -> tuple[str, list[str]]:
    md, gaps = [], []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, api in zip(axes, ("pyai", "specala")):
        rows_ = [r for r in recs if r["api"] == api]
        if not rows_:
            continue
        ideal = rows_[0]["ideal_s"]
        rate = cfg["pyai_rate"] if api == "pyai" else cfg["specala_rate"]
        title = (
            f"PyAI, {rate[0]}/s burst {rate[2]}" if api == "pyai"
            else f"Specala, {rate[0]} per {rate[1]:g} s sliding window (500/min scaled {60 / rate[1]:g}×)"
        )
        sf = next(r for r in rows_ if r["label"] == "surefoot (Python)")
        rows = []
        for r in rows_:
            c, s = r["client"], r["server"]
            rows.append([
                r["label"], fmt(c["wall_s"]), f"{c['wall_s'] / ideal:.2f}", str(s["rate_limited"]),
                str(s["total_requests"]), str(c["failed"]), ratio(c["wall_s"], sf["client"]["wall_s"]),
            ])
        md.append(f"**{title}** — {rows_[0]['spec']['n']:,} requests from {rows_[0]['spec']['concurrency']} "
                  f"workers; ideal = requests ÷ rate = {ideal:.0f} s.\n")
        md.append(table(
            ["client", "wall (s)", "wall ÷ ideal", "429s received", "requests sent", "failed",
             "wall ÷ surefoot (Python)"], rows))
        if any("learning" in r["label"] for r in rows_):
            md.append(
                "\nLearning (no limit given): the pacer sends freely until the first 429, then doubles "
                "its rate every 500 ms from what was accepted (slow start) until the next; after each 429 "
                "it settles at 0.95 × (0.9 when this row was measured) the rate the server was measured to accept (the largest (accepted − "
                "burst) ÷ span over the last seconds: a token bucket grants its burst on top of its rate "
                "after every pause) and climbs back along a CUBIC curve; a 429 that confirms the limit "
                "measured before it holds the rate there for a plateau (4 s, doubling to 30 s) before "
                "probing beyond it, so fewer 429s each pause the key for their `Retry-After` (1 s here).")
        md.append("")
        labels = [r["label"].replace(" + ", "\n+ ").replace(" (", "\n(") for r in rows_]
        vals = [r["client"]["wall_s"] / ideal for r in rows_]
        bars = ax.bar(range(len(vals)), vals, color=[color(r["label"]) for r in rows_])
        bar_labels(ax, bars, [f"{v:.2f}\n{r['server']['rate_limited']}×429\n{r['client']['failed']} failed"
                              for v, r in zip(vals, rows_)])
        ax.axhline(1.0, color="black", lw=0.8, ls="--")
        ax.set_xticks(range(len(vals)), labels, fontsize=7)
        ax.set_ylabel("wall time ÷ ideal (lower is better; 1 = the limit's pace)")
        ax.set_ylim(0, max(vals) * 1.3)
        ax.set_title(title, fontsize=9)
        # gaps: a peer faster than surefoot
        for r in rows_:
            if "surefoot" in r["label"]:
                continue
            c, s = r["client"], r["server"]
            for ref in (x for x in rows_ if "surefoot" in x["label"]):
                if c["wall_s"] < ref["client"]["wall_s"]:
                    why = []
                    if c["failed"]:
                        why.append(f"{c['failed']} of its {c['ok'] + c['failed']} requests failed "
                                   "(gave up after its retries), and a request that gives up finishes early")
                    if s["rate_limited"]:
                        why.append(f"it received {s['rate_limited']} 429s (surefoot: "
                                   f"{ref['server']['rate_limited']})")
                    if api == "specala":
                        why.append("the emulator's sliding window admits a whole window's 500 requests "
                                   "at once, which a client that ignores the limit takes as a burst, while "
                                   "surefoot spaces requests evenly at the documented rate (burst 1), so its "
                                   "first window is spread over the whole window instead of spent at t=0")
                    gaps.append(
                        f"Goodput, {api}: {r['label']} finished in {c['wall_s']:.1f} s vs "
                        f"{ref['label']} {ref['client']['wall_s']:.1f} s "
                        f"({c['wall_s'] / ref['client']['wall_s']:.2f}×). Cause: " + "; ".join(why) + "."
                    )
                    break
    fig.suptitle("1. Goodput under a rate limit (wall ÷ ideal; labels: 429s received, failed requests)",
                 fontsize=10)
    save(fig, plots / "goodput.png")
    return "\n".join(md), gaps


# ----- 2. overhead ------------------------------------------------------------------------

OVERHEAD_CAUSES = {
    "Rust": "surefoot is reqwest plus its own per-request work: the send loop keeps retry and "
            "deadline state, asks the key's pacer for a slot, opens tracing spans, counts metrics, "
            "and reads the body whole and decodes it into a typed `Job` (the reqwest peer decodes "
            "into a `serde_json::Value`). In instructions that work is now small (callgrind, "
            "20,000 GETs: about 83k instructions per request for surefoot against 82k for raw "
            "reqwest); the CPU time still between them at about the same instruction count was not "
            "traced further",
    "C": "this run predates C calls on the calling thread. Then `sf_client_request` blocked the "
         "calling thread in `Handle::block_on` on the shared 2-thread tokio runtime while the I/O "
         "driver ran on a runtime worker (about 5.8 context switches per request at concurrency 1, "
         "against 1.0 for libcurl). Since then each calling thread drives its own current-thread "
         "runtime and connection pool (about 0.6 context switches per request; `bench/cost.py` "
         "measures it against libcurl in interleaved rounds); the CPU still above libcurl's is "
         "spent in reqwest and hyper (the response URL parsed again, the redirect layer, copies)",
    "Python sync": "every call crosses from Python into the Rust core and back (the GIL released "
                   "while the calling thread drives the request)",
    "Python async": "this run predates batched completions. Then every call was a task on the Rust "
                    "runtime whose worker thread took the GIL to convert the result and hand it to "
                    "the asyncio loop with `call_soon_threadsafe` (a wake-up of the loop thread per "
                    "request). Since then finished calls reach the loop in batches, one wake-up per "
                    "batch through a socket pair the loop watches with `add_reader`, and results are "
                    "built on the loop's thread (`bench/cost.py --python` measures it against aiohttp)",
}


def overhead(recs: list[dict[str, Any]], plots: Path) -> tuple[str, list[str]]:
    md, gaps = [], []
    concs = sorted({r["concurrency"] for r in recs})
    groups = list(dict.fromkeys(r["group"] for r in recs))
    n = recs[0]["spec"]["n"]
    fig, axes = plt.subplots(2, len(concs), figsize=(12, 7.5))
    for col, conc in enumerate(concs):
        md.append(f"**Concurrency {conc}** — {n:,} GETs of one job (`--no-rate-limits`); requests/s = "
                  f"requests ÷ wall time; CPU = the client process's user + system time ÷ requests.\n")
        rows = []
        names, rps, cpus, colors = [], [], [], []
        for group in groups:
            rs = [r for r in recs if r["group"] == group and r["concurrency"] == conc]
            sf = next(r for r in rs if r["name"] == "surefoot")
            sf_rps = n / sf["client"]["wall_s"]
            sf_cpu = sf["client"]["cpu_s"] / n * 1e6
            for r in rs:
                c = r["client"]
                rp = n / c["wall_s"]
                cu = c["cpu_s"] / n * 1e6
                rows.append([group, r["name"], f"{rp:,.0f}", f"{cu:.0f}",
                             f"{sf_rps / rp:.2f}×", f"{cu / sf_cpu:.2f}×" if sf_cpu else "–",
                             str(c["failed"])])
                names.append(f"{group}\n{r['name']}")
                rps.append(rp)
                cpus.append(cu)
                colors.append(color(r["name"]))
                if r["name"] != "surefoot":
                    behind = []
                    if rp > sf_rps * 1.05:
                        behind.append(f"{rp / sf_rps:.2f}× surefoot's requests/s")
                    if cu < sf_cpu * 0.95:
                        behind.append(f"{sf_cpu / cu:.2f}× less CPU per request")
                    if behind:
                        gaps.append(
                            f"Overhead, {group}, concurrency {conc}: {r['name']} gets "
                            + " and ".join(behind)
                            + f" ({rp:,.0f} vs {sf_rps:,.0f} requests/s, {cu:.0f} vs {sf_cpu:.0f} µs CPU). "
                            f"Cause: {OVERHEAD_CAUSES.get(group, 'not analysed')}."
                        )
        md.append(table(["surface", "client", "requests/s", "CPU µs/request",
                         "surefoot ÷ client (requests/s)", "client ÷ surefoot (CPU)", "failed"], rows))
        md.append("")
        for row, (vals, ylabel) in enumerate(((rps, "requests/s (higher is better)"),
                                              (cpus, "CPU µs per request (lower is better)"))):
            ax = axes[row][col] if len(concs) > 1 else axes[row]
            bars = ax.bar(range(len(vals)), vals, color=colors)
            bar_labels(ax, bars, [f"{v:,.0f}" for v in vals])
            ax.set_xticks(range(len(vals)), names, fontsize=6, rotation=60, ha="right")
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_ylabel(ylabel, fontsize=8)
            ax.set_title(f"concurrency {conc}", fontsize=9)
    fig.suptitle("2. Per-request overhead against the emulator on loopback (log scale)", fontsize=10)
    save(fig, plots / "overhead.png")
    return "\n".join(md), gaps


# ----- 3. pagination ----------------------------------------------------------------------


def paginate(recs: list[dict[str, Any]], cfg: dict[str, Any], plots: Path) -> tuple[str, list[str]]:
    gaps = []
    items = cfg["items"]
    pages = items // 100
    floor = pages * cfg["latency_ms"] / 1000
    rows = []
    by = {r["label"]: r for r in recs}
    for r in recs:
        c = r["client"]
        lang = "Rust" if "(Rust)" in r["label"] else "Python"
        seq = by.get(f"surefoot ({lang}), sequential")
        rows.append([
            r["label"], f"{c.get('items', c['ok']):,}", fmt(c["wall_s"]), f"{c['wall_s'] / floor:.2f}",
            ratio(c["wall_s"], seq["client"]["wall_s"]) if seq else "–",
            f"{c['maxrss_kb'] / 1024:.1f}", f"{max(0, c['maxrss_kb'] - c['rss_before_kb']) / 1024:.1f}",
            f"{c['cpu_s']:.2f}",
        ])
    md = [f"{items:,} Specala transcriptions in pages of 100 ({pages:,} requests), {cfg['latency_ms']} ms "
          f"server latency per request; the floor is {pages:,} × {cfg['latency_ms']} ms = {floor:.1f} s. "
          "Each item is consumed (its title read); peak RSS is the process's high-water mark, growth is "
          "that mark minus the RSS when the walk started.\n",
          table(["client", "items", "wall (s)", "wall ÷ floor", "wall ÷ surefoot sequential (same language)",
                 "peak RSS (MiB)", "RSS growth (MiB)", "CPU (s)"], rows)]
    sf_pf = by.get("surefoot (Python), prefetch")
    oa = by.get("openai-python-style loop (httpx)")
    if sf_pf and oa:
        if oa["client"]["wall_s"] < sf_pf["client"]["wall_s"]:
            per_page = oa["client"]["wall_s"] / pages * 1000
            gaps.append(
                f"Pagination: the openai-python-style loop ({oa['client']['wall_s']:.2f} s) beats "
                f"surefoot with prefetch ({sf_pf['client']['wall_s']:.2f} s). Cause: the walk is bound by "
                f"the server ({per_page:.1f} ms per page: the {cfg['latency_ms']} ms latency plus the "
                "emulator rendering 100 transcriptions on the same 2 cores); prefetch can only hide the "
                "client's own time per page, which is small here, so the two are within run-to-run noise.")
        if oa["client"]["cpu_s"] < sf_pf["client"]["cpu_s"]:
            gaps.append(
                f"Pagination: the openai-python-style loop uses {oa['client']['cpu_s']:.2f} s of CPU for the "
                f"walk, surefoot from Python {sf_pf['client']['cpu_s']:.2f} s with prefetch and "
                f"{by['surefoot (Python), sequential']['client']['cpu_s']:.2f} s without "
                f"(from Rust: {by['surefoot (Rust), prefetch']['client']['cpu_s']:.2f} s). Cause: the "
                "Python `Paginator` crosses from Python to the Rust runtime once per item (a task spawned, "
                "the GIL released and taken back, a channel wait) and builds a `Transcription` object per "
                "item, where the httpx loop walks a list that `json.loads` built in one call; handing "
                "over a whole page per crossing would remove 99 of every 100 crossings.")
        grow_sf = sf_pf["client"]["maxrss_kb"] - sf_pf["client"]["rss_before_kb"]
        grow_oa = oa["client"]["maxrss_kb"] - oa["client"]["rss_before_kb"]
        if grow_oa < grow_sf - 1024:
            gaps.append(f"Pagination: the openai-python-style loop grows RSS by {grow_oa / 1024:.1f} MiB, "
                        f"surefoot with prefetch by {grow_sf / 1024:.1f} MiB. Cause: prefetch holds the "
                        "next page (decoded) while the current one is consumed, two pages instead of one.")
    sf_seq = by.get("surefoot (Python), sequential")
    if sf_seq and oa and oa["client"]["wall_s"] < sf_seq["client"]["wall_s"]:
        gaps.append(
            f"Pagination: without prefetch, surefoot from Python ({sf_seq['client']['wall_s']:.2f} s) is "
            f"slower than the openai-python-style httpx loop ({oa['client']['wall_s']:.2f} s), though the "
            f"same walk from Rust takes {by['surefoot (Rust), sequential']['client']['wall_s']:.2f} s. "
            "Cause: the Python `Paginator` hands items over one at a time: every `__next__` spawns a task "
            "on the Rust runtime and waits for it on a channel with the GIL released, i.e. two thread "
            f"hops per item ({items:,} of them), where the httpx loop iterates a Python list. With "
            "prefetch on, those hops overlap the next page's latency and disappear from the wall time."
        )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [r["label"].replace(", ", "\n").replace(" (", "\n(").replace("-style loop", "-style\nloop")
              for r in recs]
    cols = [color(r["label"]) for r in recs]
    walls = [r["client"]["wall_s"] for r in recs]
    b = axes[0].bar(range(len(recs)), walls, color=cols)
    bar_labels(axes[0], b, [f"{w:.2f} s" for w in walls])
    axes[0].axhline(floor, color="black", ls="--", lw=0.8)
    axes[0].text(-0.45, floor * 0.97, f"floor {floor:.1f} s", fontsize=7, ha="left", va="top")
    axes[0].set_ylabel("wall time (s, lower is better)")
    axes[0].set_xticks(range(len(recs)), labels, fontsize=7)
    rss = [r["client"]["maxrss_kb"] / 1024 for r in recs]
    b = axes[1].bar(range(len(recs)), rss, color=cols)
    bar_labels(axes[1], b, [f"{v:.1f}" for v in rss])
    axes[1].set_ylabel("peak RSS of the client process (MiB)")
    axes[1].set_xticks(range(len(recs)), labels, fontsize=7)
    fig.suptitle(f"3. Pagination: {items:,} items, pages of 100, {cfg['latency_ms']} ms per page", fontsize=10)
    save(fig, plots / "pagination.png")
    return "\n".join(md), gaps


# ----- 4. bulk export ---------------------------------------------------------------------


def bulk(recs: list[dict[str, Any]], cfg: dict[str, Any], plots: Path) -> tuple[str, list[str]]:
    gaps = []
    n, r_ = cfg["n"], cfg["rate"]
    ref = next(r for r in recs if r["label"] == "surefoot bulk_export (Python)")
    rows = []
    for r in recs:
        c, s = r["client"], r["server"]
        rows.append([r["label"], str(s["total_requests"]), str(s["rate_limited"]), fmt(c["wall_s"]),
                     str(c["failed"]), ratio(s["total_requests"], ref["server"]["total_requests"]),
                     ratio(c["wall_s"], ref["client"]["wall_s"])])
    ideal = recs[0]["ideal_loop_s"]
    md = [f"{n:,} transcriptions exported as Markdown under a data limit of {r_[0]} per {r_[1]:g} s "
          f"(Specala's 500/min scaled {60 / r_[1]:g}×; a loop of single exports needs at least "
          f"{ideal:.0f} s at that rate, {n / 500:.0f} minutes at the real 500/min; `bulk_export` sends "
          f"one request per 100 ids).\n",
          table(["client", "requests sent", "429s", "wall (s)", "failed", "requests ÷ bulk_export",
                 "wall ÷ bulk_export (Python)"], rows)]
    sf_loop = {r["label"]: r for r in recs}
    peer = sf_loop.get("requests + Retry single-export loop")
    for lang in ("Python", "Rust"):
        mine = sf_loop.get(f"surefoot single-export loop ({lang})")
        if peer and mine and peer["client"]["wall_s"] < mine["client"]["wall_s"]:
            gaps.append(
                f"Bulk export: the requests + Retry loop ({peer['client']['wall_s']:.1f} s, "
                f"{peer['server']['rate_limited']} 429s, {peer['client']['failed']} failed) beats surefoot's "
                f"own single-export loop from {lang} ({mine['client']['wall_s']:.1f} s, "
                f"{mine['server']['rate_limited']} 429s). Cause: the emulator's sliding window admits a "
                "window's worth of requests at once; the peer spends it at full speed and then sits out "
                "429s with backoff, surefoot spaces requests evenly at the configured rate (burst 1), so "
                "the first window is spread out. (Neither loop is what surefoot recommends: "
                "`bulk_export` is 100× fewer requests.)"
            )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [r["label"].replace(" single-export loop", "\nsingle-export\nloop")
              .replace(" bulk_export", "\nbulk_export").replace(" (", "\n(") for r in recs]
    cols = [color(r["label"]) for r in recs]
    reqs = [r["server"]["total_requests"] for r in recs]
    b = axes[0].bar(range(len(recs)), reqs, color=cols)
    bar_labels(axes[0], b, [f"{v:,}" for v in reqs])
    axes[0].set_yscale("log")
    axes[0].set_ylabel("requests sent (log scale)")
    axes[0].set_xticks(range(len(recs)), labels, fontsize=7)
    walls = [r["client"]["wall_s"] for r in recs]
    b = axes[1].bar(range(len(recs)), walls, color=cols)
    bar_labels(axes[1], b, [f"{w:.2f} s" for w in walls])
    axes[1].set_yscale("log")
    axes[1].set_ylabel("wall time (s, log scale)")
    axes[1].set_xticks(range(len(recs)), labels, fontsize=7)
    fig.suptitle(f"4. Bulk export of {n:,} transcriptions under {r_[0]} per {r_[1]:g} s", fontsize=10)
    save(fig, plots / "bulk_export.png")
    return "\n".join(md), gaps


# ----- 5. outage --------------------------------------------------------------------------


def outage(recs: list[dict[str, Any]], cfg: dict[str, Any], plots: Path,
           before: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    gaps = []
    rows = []
    for r in recs:
        c, s = r["client"], r["server"]
        r["_during"] = r["outage_stats"]["total_requests"]
        r["_drain"] = max(0.0, c["last_done"] - r["t_recovered"])
        rows.append([r["label"], str(r["_during"]), str(s["total_requests"]), str(c["failed"]),
                     f"{r['_drain']:.2f}", fmt(c["wall_s"])])
    md = [f"{cfg['clients']} clients (one client object and one thread or task each) each GET a job "
          f"{cfg['items']} times in a row; every request is answered 503 for the first {cfg['outage_s']:g} s "
          "(an emulator fault on every route, cleared by the driver), then the server recovers. Time to "
          "drain = from the recovery until the last client finished its work.\n",
          table(["client", f"requests during the {cfg['outage_s']:g}-s outage", "requests in all",
                 "calls failed", "time to drain (s)", "wall (s)"], rows)]
    sfs = [r for r in recs if "surefoot" in r["label"]]
    if sfs:
        md.append(
            "\nsurefoot holds a host's calls once 3 different calls in a row failed on it without "
            "Retry-After, and sends one probe at a time (after 50 ms, then doubling up to 250 ms) until "
            "the first success releases the held calls at a ramp (2 in flight, one more per success, "
            "up to 64; a failure halves it); a held call spends no retries and waits at most the "
            "smaller of its deadline and `max_retry_wait` (60 s). Before that, a host not proven up — "
            "no answer from it yet, or its last answer such a failure — admits 3 attempts in flight; the "
            "other calls wait (at most 500 ms) for an answer: so of the " + str(cfg["clients"]) + " clients' "
            "first attempts only 3 go out before the first 503 is known, and those 3 failures start the "
            "hold. The rest of the requests into the outage are the probes. A host that answered costs "
            "one atomic load per attempt (section 2 runs on a proven host).")
    if before and before.get("records"):
        old = {r["label"]: r for r in before["records"]}
        brows = []
        for r in sfs:
            o = old.get(r["label"])
            if not o:
                continue
            o_during = o["outage_stats"]["total_requests"]
            o_drain = max(0.0, o["client"]["last_done"] - o["t_recovered"])
            brows.append([r["label"], f"{o_during} → {r['_during']}", f"{o_drain:.2f} → {r['_drain']:.2f}",
                          f"{o['client']['failed']} → {r['client']['failed']}"])
        if brows:
            md.append(f"\nBefore → after the outage hold and the retry budget ({before['note']}):\n")
            md.append(table(["client", "requests during the outage", "time to drain (s)", "calls failed"],
                            brows))
    for r in recs:
        if "surefoot" in r["label"]:
            continue
        for sf in sfs:
            worse = [x for x in sfs if r["client"]["failed"] < x["client"]["failed"]]
            if worse and sf is sfs[0]:
                total = r["client"]["ok"] + r["client"]["failed"]
                gaps.append(
                    f"Outage: {r['label']} failed {r['client']['failed']} of its {total} calls, "
                    + ", ".join(f"{x['label']} {x['client']['failed']}" for x in worse)
                    + ". Cause: surefoot's default of 3 retries gives up after "
                    "backoffs totalling 3.5–7 s (1 s·2^n × [0.5, 1]: 5.25 s on average) when the 503s "
                    f"carry no Retry-After, and this outage lasts {cfg['outage_s']:g} s, so the first call "
                    "of a client whose jitter came out short fails after its 4th attempt; "
                    f"{r['label']} keeps trying longer"
                    + (" (Retry(total=5, backoff_factor=0.5): 0 + 1 + 2 + 4 s before its last two "
                       "attempts, 7 s in all)" if "requests" in r["label"] else "")
                    + ". A caller who must ride out longer outages raises `max_retries` (the sleeps "
                    "double, so one more retry covers 4–8 s more).")
            faster = r["_drain"] < sf["_drain"] - 0.05
            fewer = r["_during"] < sf["_during"]
            if faster or fewer:
                what = []
                if faster:
                    what.append(f"drains in {r['_drain']:.2f} s vs {sf['_drain']:.2f} s")
                if fewer:
                    what.append(f"sends {r['_during']} requests during the outage vs {sf['_during']}")
                why = []
                if faster:
                    why.append(
                        "surefoot notices the recovery with its next probe, at most 250 ms after it "
                        "(one probe at a time while the other calls are held)"
                        + (f"; {r['label']} retries sooner (it sent {r['_during']} requests into the "
                           f"outage against surefoot's {sf['_during']})" if r["_during"] > sf["_during"] else "")
                        + (f", and {r['client']['failed']} of its calls failed outright"
                           if r["client"]["failed"] else "")
                    )
                if fewer:
                    why.append(f"{r['label']} waits longer between attempts (surefoot's count includes its "
                               f"{cfg['clients']} first attempts and a probe every 250 ms at most)"
                               + (f" and gave up on {r['client']['failed']} calls" if r["client"]["failed"]
                                  else ""))
                gaps.append(f"Outage: {r['label']} " + " and ".join(what) + f" ({sf['label']}). Cause: "
                            + "; ".join(why) + ".")
                break
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [r["label"].replace(" + ", "\n+ ").replace(" (", "\n(") for r in recs]
    cols = [color(r["label"]) for r in recs]
    during = [r["_during"] for r in recs]
    b = axes[0].bar(range(len(recs)), during, color=cols)
    bar_labels(axes[0], b, [f"{v}" for v in during])
    axes[0].set_ylabel(f"requests sent during the {cfg['outage_s']:g}-s outage")
    axes[0].set_xticks(range(len(recs)), labels, fontsize=7)
    drains = [r["_drain"] for r in recs]
    b = axes[1].bar(range(len(recs)), drains, color=cols)
    bar_labels(axes[1], b, [f"{d:.2f} s\n{r['client']['failed']} failed" for d, r in zip(drains, recs)])
    axes[1].set_ylabel("time to drain after recovery (s)")
    axes[1].set_ylim(0, max(drains + [0.1]) * 1.3)
    axes[1].set_xticks(range(len(recs)), labels, fontsize=7)
    fig.suptitle(f"5. Outage recovery: {cfg['clients']} clients, 503 for {cfg['outage_s']:g} s", fontsize=10)
    save(fig, plots / "outage.png")
    return "\n".join(md), gaps


# ----- bulk job creation (create_many) ------------------------------------------------------


def create_many(recs: list[dict[str, Any]], cfg: dict[str, Any], plots: Path) -> tuple[str, list[str]]:
    gaps = []
    n, workers, r_ = cfg["n"], cfg["workers"], cfg["rate"]
    ideal = recs[0]["ideal_s"]
    ref = next(r for r in recs if r["label"] == "surefoot (Python) jobs.create_many")
    rows = []
    for r in recs:
        c, s = r["client"], r["server"]
        dropped = sum(v.get("dropped", 0) for v in s["requests"].values())
        rows.append([
            r["label"], fmt(c["wall_s"]), f"{c['wall_s'] / ideal:.2f}", str(s["rate_limited"]),
            str(s["total_requests"]), str(dropped), str(r["jobs"]), str(r["duplicates"]),
            str(c["failed"]), str(n - r["distinct_items"]), ratio(c["wall_s"], ref["client"]["wall_s"]),
        ])
    md = [f"{n:,} PyAI job creations (one distinct `audio_url` per item) from {workers} workers at PyAI's "
          f"{r_[0]}/s burst {r_[2]}, while the emulator drops the connection of one creation in "
          f"{cfg['drop_one_in']} after processing it (the job exists, the client sees a reset; armed by count, "
          f"so a slow client meets the same share as a fast one); ideal = items ÷ rate = {ideal:.0f} s. `create_many` runs with `concurrency={workers}`; the "
          "others are a thread pool of as many threads over one creation per item. Every client sends an "
          "`Idempotency-Key` per item and keeps it across its retries. Jobs, duplicates (jobs whose "
          "`audio_url` another job already has) and items without a job are counted from the emulator's "
          "job list after the run; 429s, requests and dropped connections from its stats.\n",
          table(["client", "wall (s)", "wall ÷ ideal", "429s", "requests sent", "connections dropped",
                 "jobs created", "duplicates", "failed items", "items without a job",
                 "wall ÷ create_many"], rows)]
    for r in recs:
        c = r["client"]
        if r is ref or "learning" in r["label"]:
            continue
        if c["wall_s"] < ref["client"]["wall_s"] and (c["failed"] or r["duplicates"]):
            gaps.append(f"Bulk job creation: {r['label']} finished in {c['wall_s']:.1f} s vs create_many "
                        f"{ref['client']['wall_s']:.1f} s, but failed {c['failed']} items (a thread that "
                        f"gives up on an item moves on early) and made {r['duplicates']} duplicates.")
        elif c["wall_s"] < ref["client"]["wall_s"]:
            gaps.append(f"Bulk job creation: {r['label']} finished in {c['wall_s']:.1f} s vs create_many "
                        f"{ref['client']['wall_s']:.1f} s ({c['wall_s'] / ref['client']['wall_s']:.2f}×).")
    learn = next((r for r in recs if "learning" in r["label"]), None)
    faster = [r for r in recs if "surefoot" not in r["label"] and learn
              and r["client"]["wall_s"] < learn["client"]["wall_s"]]
    if learn and faster:
        gaps.append(
            f"Bulk job creation: `create_many` with no limit given ({learn['client']['wall_s'] / ideal:.2f} × the "
            f"ideal, {learn['server']['rate_limited']} 429s) is slower than "
            + ", ".join(f"{r['label']} ({r['client']['wall_s'] / ideal:.2f} ×, {r['server']['rate_limited']} 429s, "
                        f"{r['client']['failed']} failed items)" for r in faster)
            + ". Cause: it learns the limit from its first 429s and climbs back to it (slow start, then "
            "CUBIC) instead of sending into 429s; those peers are faster because they give up on items.")
    failed_with_job = [(r["label"], r["client"]["failed"] - (n - r["distinct_items"])) for r in recs]
    md.append("\nReading it: every client keeps its key across its own retries, so none makes a duplicate "
              "within the run. What differs is what is left to do afterwards: a failed item must be "
              "resubmitted, and a failed item whose job exists anyway (" + ", ".join(
                  f"{label}: {k}" for label, k in failed_with_job if k > 0) + ") becomes a duplicate when "
              "it is resubmitted under a new key, which a thread pool over per-call keys does. "
              "`create_many` derives each item's key from its content, so a re-run replays instead. "
              "The section's first run, before the pacing fix of commit 085b74f, had the learning row at "
              "3.30 × the ideal (callers queued behind the first guess of 1/s kept slots booked 32 s out).")
    for r in recs:
        if "surefoot" in r["label"] and (r["duplicates"] or r["client"]["failed"]):
            gaps.append(f"Bulk job creation: {r['label']} made {r['duplicates']} duplicates and failed "
                        f"{r['client']['failed']} items.")
    fig, ax = plt.subplots(figsize=(11, 4.2))
    labels = [r["label"].replace(", thread pool", "\nthread pool").replace(" jobs.", "\njobs.")
              .replace(", learning", "\nlearning") for r in recs]
    vals = [r["client"]["wall_s"] / ideal for r in recs]
    bars = ax.bar(range(len(recs)), vals, color=[color(r["label"]) for r in recs])
    bar_labels(ax, bars, [f"{v:.2f}\n{r['server']['rate_limited']}×429\n{r['duplicates']} dup\n"
                          f"{r['client']['failed']} failed" for v, r in zip(vals, recs)])
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xticks(range(len(recs)), labels, fontsize=7)
    ax.set_ylabel("wall time ÷ ideal (lower is better)")
    ax.set_ylim(0, max(vals) * 1.45)
    fig.suptitle(f"7. Bulk job creation: {n:,} jobs at {r_[0]}/s burst {r_[2]}, one creation in "
                 f"{cfg['drop_one_in']} dropped (labels: 429s, duplicates, failed items)", fontsize=10)
    save(fig, plots / "create_many.png")
    return "\n".join(md), gaps


# ----- headlines ---------------------------------------------------------------------------


def headlines(res: dict[str, Any]) -> list[str]:
    out = []
    if "goodput" in res:
        for api, name in (("pyai", "PyAI 50/s burst 10"), ("specala", "Specala 500/min (scaled)")):
            rs = [r for r in res["goodput"] if r["api"] == api]
            if not rs:
                continue
            ideal = rs[0]["ideal_s"]
            sf = [r for r in rs if "surefoot" in r["label"] and "learning" not in r["label"]]
            learn = [r for r in rs if "learning" in r["label"]]
            peers = [r for r in rs if "surefoot" not in r["label"]]
            learned = "".join(
                f" (learning with no limit given: {r['client']['wall_s'] / ideal:.2f} × with "
                f"{r['server']['rate_limited']} 429s and {r['client']['failed']} failed)"
                for r in learn
            )
            out.append(
                f"**Goodput, {name}:** surefoot finishes at "
                + " / ".join(f"{r['client']['wall_s'] / ideal:.2f}" for r in sf)
                + f" × the ideal (Python / Rust) with {sum(r['server']['rate_limited'] for r in sf)} 429s "
                f"and {sum(r['client']['failed'] for r in sf)} failed requests{learned}; the peers take "
                f"{min(r['client']['wall_s'] for r in peers) / ideal:.2f}–"
                f"{max(r['client']['wall_s'] for r in peers) / ideal:.2f} × the ideal, receive "
                f"{min(r['server']['rate_limited'] for r in peers):,}–{max(r['server']['rate_limited'] for r in peers):,} "
                f"429s and fail {min(r['client']['failed'] for r in peers)}–{max(r['client']['failed'] for r in peers)} "
                "requests.")
    if "overhead" in res:
        parts = []
        for conc in sorted({r["concurrency"] for r in res["overhead"]}):
            for group in dict.fromkeys(r["group"] for r in res["overhead"]):
                rs = [r for r in res["overhead"] if r["group"] == group and r["concurrency"] == conc]
                sf = next(r for r in rs if r["name"] == "surefoot")
                parts.append(f"{group} c={conc}: " + ", ".join(
                    f"{sf['client']['wall_s'] and r['client']['wall_s'] / sf['client']['wall_s']:.2f}× {r['name']}"
                    for r in rs if r["name"] != "surefoot"))
        out.append("**Overhead** (surefoot's requests/s ÷ the peer's; above 1 = surefoot faster): "
                   + "; ".join(parts) + ".")
    if "paginate" in res:
        by = {r["label"]: r["client"] for r in res["paginate"]}
        try:
            out.append(
                "**Pagination:** prefetch takes "
                f"{by['surefoot (Python), prefetch']['wall_s'] / by['surefoot (Python), sequential']['wall_s']:.2f}× "
                "the sequential walk's time from Python and "
                f"{by['surefoot (Rust), prefetch']['wall_s'] / by['surefoot (Rust), sequential']['wall_s']:.2f}× from "
                f"Rust; the openai-python-style loop takes "
                f"{by['openai-python-style loop (httpx)']['wall_s'] / by['surefoot (Python), prefetch']['wall_s']:.2f}× "
                "surefoot-with-prefetch's time and peaks at "
                f"{by['openai-python-style loop (httpx)']['maxrss_kb'] / by['surefoot (Python), prefetch']['maxrss_kb']:.2f}× "
                "its memory.")
        except KeyError:
            pass
    if "bulk" in res:
        rs = {r["label"]: r for r in res["bulk"]}
        b = rs.get("surefoot bulk_export (Python)")
        loops = [r for r in res["bulk"] if "loop" in r["label"]]
        if b and loops:
            out.append(
                f"**Bulk export:** `bulk_export` sends {b['server']['total_requests']} requests instead of "
                f"{min(r['server']['total_requests'] for r in loops):,}–{max(r['server']['total_requests'] for r in loops):,} "
                f"and finishes {min(r['client']['wall_s'] for r in loops) / b['client']['wall_s']:.0f}–"
                f"{max(r['client']['wall_s'] for r in loops) / b['client']['wall_s']:.0f}× sooner than the loops.")
    if "outage" in res:
        rs = res["outage"]
        sf = [r for r in rs if "surefoot" in r["label"]]
        peers = [r for r in rs if "surefoot" not in r["label"]]
        during = lambda r: r["outage_stats"]["total_requests"]  # noqa: E731
        drain = lambda r: max(0.0, r["client"]["last_done"] - r["t_recovered"])  # noqa: E731
        out.append(
            "**Outage:** surefoot sends " + " / ".join(str(during(r)) for r in sf)
            + " requests into the outage (Python / Rust) against the peers' "
            + ", ".join(f"{during(r)}" for r in peers)
            + "; it drains in " + " / ".join(f"{drain(r):.2f} s" for r in sf)
            + " against " + ", ".join(f"{drain(r):.2f} s" for r in peers)
            + "; failed calls " + " / ".join(str(r["client"]["failed"]) for r in sf)
            + " against " + ", ".join(str(r["client"]["failed"]) for r in peers)
            + " (peers in the table's order).")
    if "create_many" in res:
        rs = res["create_many"]
        ideal = rs[0]["ideal_s"]
        by = {r["label"]: r for r in rs}
        cm = by.get("surefoot (Python) jobs.create_many")
        pool = by.get("surefoot (Python) jobs.create, thread pool")
        peers = [r for r in rs if "surefoot" not in r["label"]]
        if cm and pool and peers:
            def rng(f: Any) -> str:
                lo, hi = min(f(r) for r in peers), max(f(r) for r in peers)
                return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
            out.append(
                f"**Bulk job creation (create_many), PyAI 50/s burst 10, connections dropped:** `create_many` "
                f"finishes at {cm['client']['wall_s'] / ideal:.2f} × the ideal with {cm['server']['rate_limited']} "
                f"429s, {cm['duplicates']} duplicates and {cm['client']['failed']} failed items (a thread pool over "
                f"`jobs.create`: {pool['client']['wall_s'] / ideal:.2f} ×, {pool['server']['rate_limited']} 429s, "
                f"{pool['duplicates']} duplicates, {pool['client']['failed']} failed); the peers' loops take "
                f"{min(r['client']['wall_s'] for r in peers) / ideal:.2f}–"
                f"{max(r['client']['wall_s'] for r in peers) / ideal:.2f} ×, receive "
                f"{rng(lambda r: r['server']['rate_limited'])} 429s, make {rng(lambda r: r['duplicates'])} "
                f"duplicates and fail {rng(lambda r: r['client']['failed'])} items.")
    return out


# ----- the report -------------------------------------------------------------------------


def redis_deploy_rows(path: Path) -> str:
    """Section 6's Redis deployments, tenants and hot key (bench/redis_deploy.py), if run."""
    if not path.exists():
        return ""
    import redis_deploy

    return "\n" + redis_deploy.markdown(json.loads(path.read_text()))


def many(data: dict[str, Any]) -> tuple[str, list[str]]:
    """Section 6 from bench/many_results.json (bench/many.py): no plot, tables only."""
    names = {
        "surefoot-memory": "surefoot, in-process pacer",
        "surefoot-redis": "surefoot, `pacing_store=\"redis://…\"`",
        "limits": "`limits` moving window on Redis + requests",
        "pyrate": "PyrateLimiter Redis bucket + requests",
    }
    n, rate, burst = data["n"], data["rate"], data["burst"]
    ideal = (n - burst) / rate
    rows = []
    for r in data["runs"]:
        per_req = r.get("redis_calls", 0) / max(r["requests"], 1)
        rows.append([
            names[r["kind"]], str(r["processes"]), f"{r['wall'] / ideal:.2f}", str(r["rate_limited"]),
            f"{100 * r['rate_limited'] / max(r['requests'], 1):.1f} %", str(r["failed"]),
            "–" if r["kind"] == "surefoot-memory" else f"{per_req:.2f}",
        ])
    lat = data["latency"]
    base = lat["surefoot-memory"]
    lat_rows = [
        [names["surefoot-redis"], f"{lat['surefoot-redis']['p50'] - base['p50']:.3f}",
         f"{lat['surefoot-redis']['p99'] - base['p99']:.3f}",
         f"per call: {lat['surefoot-redis']['p50']:.3f} / {lat['surefoot-redis']['p99']:.3f} vs in-process "
         f"{base['p50']:.3f} / {base['p99']:.3f}"],
        [names["limits"], f"{lat['limits']['p50']:.3f}", f"{lat['limits']['p99']:.3f}", "the `hit()` call alone"],
        [names["pyrate"], f"{lat['pyrate']['p50']:.3f}", f"{lat['pyrate']['p99']:.3f}", "the `try_acquire()` call alone"],
    ]
    out_rows = []
    for r in data["outage"]:
        away = max(r["away_requests"], 1)
        out_rows.append([
            names[r["kind"]], f"{r['wall'] / ideal:.2f}", str(r["failed"]), str(r["rate_limited"]),
            f"{r['away_429']} of {r['away_requests']} ({100 * r['away_429'] / away:.1f} %)",
        ])
    body = f"""{n:,} GETs on one PyAI key, split over 1–8 client processes × {data['threads']} threads, against
the release emulator at PyAI's documented {rate}/s burst {burst}; one redis-server ({data['redis'].split(' sha=')[0]})
on loopback, flushed before each run. Ideal = ({n:,} − {burst}) ÷ {rate} = {ideal:.1f} s. Every client is given
the key's limit (surefoot `rate_limit="{rate}/s burst {burst}"`; `limits` `"{rate}/second"`; PyrateLimiter
`Rate({rate}, Duration.SECOND)`); the peers retry 429s with urllib3 `Retry` honouring `Retry-After`.
Redis round trips per request: the commands the clients sent to Redis during the run
(counted with `MONITOR`; commands that scripts run inside Redis and connection set-up left
out) ÷ the requests the emulator saw. From bench/many.py, run on {data['date']}.

{table(["client", "processes", "wall ÷ ideal", "429s", "429 share", "failed", "Redis calls / request"], rows)}

**Latency the store adds** (one process, one thread, {lat['surefoot-redis']['n']} calls, no server limit, ms):

{table(["client", "p50", "p99", "how"], lat_rows)}

**Redis killed halfway** (4 processes; redis-server SIGKILLed at {ideal / 2:.0f} s and left down):

{table(["client", "wall ÷ ideal", "failed", "429s", "429s among requests sent while Redis was away"], out_rows)}

Reading it: surefoot on Redis keeps one GCRA schedule for the whole fleet (Redis `TIME`, one
`EVALSHA` per request), so the server never sees more than its burst. The in-process pacer
is right for one process and overshoots by the number of processes. `limits` and
PyrateLimiter count a window of 50 per second: they let 50 requests go at once into a
server whose burst is 10, then urllib3 retries the 429s (those retries skip the limiter,
which is why their Redis calls per request fall below 1), and calls that run out of
retries fail. With Redis gone, their limiter raises on every call (the calls fail, which
is also why those runs end "early"); surefoot's processes pace locally at a quarter of the
limit each (the 4 processes Redis last saw on the key) and fail nothing.
"""
    gaps = []
    for r in data["runs"]:
        if r["kind"] == "surefoot-redis" and (r["wall"] / ideal > 1.05 or r["rate_limited"] > 0.005 * r["requests"]):
            gaps.append(f"Many processes: surefoot on Redis with {r['processes']} processes took "
                        f"{r['wall'] / ideal:.2f}× the ideal with {r['rate_limited']} 429s (target ≤ 1.05×, ≤ 0.5 %).")
    return body, gaps


def reruns_note(data: dict[str, Any]) -> str:
    """A line naming the benchmarks run again alone after the full run, and where."""
    reruns = data.get("reruns") or {}
    if not reruns:
        return ""
    parts = [f"{b} on {m['date']} (git {m['git']}; {m['nproc']} cores, {m['cpu']})" for b, m in reruns.items()]
    return ("Run again alone since, with everything else as in the full run: " + "; ".join(parts)
            + ". Peers in a re-run section were re-run with it.\n")


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results.json"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else BENCH / "RESULTS.md"
    plots = Path(sys.argv[3]) if len(sys.argv) > 3 else BENCH / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    data = json.loads(src.read_text())
    m, cfg, res = data["machine"], data["config"], data["results"]
    rel = lambda p: Path(p).resolve().relative_to(dst.parent.resolve()).as_posix()  # noqa: E731
    sections, all_gaps = [], []
    fleet_src = src.with_name("fleet_results.json")
    fleet = json.loads(fleet_src.read_text()) if fleet_src.exists() else None
    fleet_extra = {
        "goodput": fleet_report.goodput_rows(fleet) if fleet else "",
        "outage": fleet_report.outage_rows(fleet) if fleet else "",
    }
    # Section 2 from bench/cost.py --all when it has run (every peer, interleaved rounds, two
    # servers); else from run.py's overhead benchmark.
    cost = cost_report.section(src.parent, plots) if src.parent == BENCH else None
    if cost:
        res = {k: v for k, v in res.items() if k != "overhead"}
    for key, title, fn in (
        ("goodput", "1. Goodput under a rate limit", lambda r: goodput(r, cfg["goodput"], plots)),
        ("overhead", "2. Per-request overhead", lambda r: overhead(r, plots)),
        ("paginate", "3. Pagination", lambda r: paginate(r, cfg["paginate"], plots)),
        ("bulk", "4. Bulk export", lambda r: bulk(r, cfg["bulk"], plots)),
        ("outage", "5. Outage recovery",
         lambda r: outage(r, cfg["outage"], plots, res.get("outage_before"))),
    ):
        if key not in res:
            continue
        body, gaps = fn(res[key])
        png = {"goodput": "goodput", "overhead": "overhead", "paginate": "pagination",
               "bulk": "bulk_export", "outage": "outage"}[key]
        secs = data.get("durations_s", {}).get(key)
        sections.append(f"## {title}\n\n{body}\n\n![{title}]({rel(plots / (png + '.png'))})\n"
                        + fleet_extra.get(key, "")
                        + (f"\n_This benchmark took {secs:.0f} s._\n" if secs else ""))
        all_gaps += gaps
        if key == "goodput" and cost:
            sections.append(f"## 2. Per-request overhead\n\n{cost[0]}")
            all_gaps += cost[1]
    if "create_many" in res:
        body, gaps = create_many(res["create_many"], cfg["create_many"], plots)
        secs = data.get("durations_s", {}).get("create_many")
        title = "7. Bulk job creation (create_many)"
        cm_section = (f"## {title}\n\n{body}\n\n![{title}]({rel(plots / 'create_many.png')})\n"
                      + (f"\n_This benchmark took {secs:.0f} s._\n" if secs else ""))
        all_gaps += gaps
    else:
        cm_section = None
    many_src = src.with_name("many_results.json")
    if many_src.exists():
        body, gaps = many(json.loads(many_src.read_text()))
        sections.append(f"## 6. Many processes, one key\n\n{body}\n"
                        + (fleet_report.many_rows(fleet) if fleet else "")
                        + redis_deploy_rows(src.with_name("redis_deploy_results.json")))
        all_gaps += gaps
    if cm_section:
        sections.append(cm_section)
    # The chaos soak's section and headline (bench/soak_report.py, from bench/soak*.json).
    soak = soak_report.section(src.parent)
    if soak:
        sections.append(f"## 8. Chaos soak\n\n{soak[0]}\n")
        all_gaps += soak[1]
    # The SDKs over surefoot (bench/sdk_report.py, from bench/sdk_results.json).
    sdk = sdk_report.section(src.parent)
    if sdk:
        sections.append(f"## {sdk_report.TITLE}\n\n{sdk[0]}\n")
        all_gaps += sdk[1]
    v = m["versions"]
    overhead_runs = ("Section 2 is bench/cost.py's run of its own (medians of interleaved rounds; its "
                     "date and load are in the section);" if cost else
                     f"Overhead runs of Rust and C (under a second each) are repeated "
                     f"{cfg['overhead']['repeat_fast']} times and the median kept;")
    total = sum(data.get("durations_s", {}).values())
    head = f"""# surefoot benchmarks

Generated by `make bench` (bench/run.py, then bench/report.py) from one run on {m['date']}
(git {m['git']}){' — **quick mode: small counts, not the real figures**' if data.get('quick') else ''}.
Every number comes from the same run, each client against its own fresh emulator process
(`surefoot-emulator`, release build) on loopback; counts of requests, 429s and 503s are the
emulator's, so every client is counted the same way. Ratios are what to read: the absolute
numbers move with the machine and its load. No number here is asserted by any test.

**Machine:** {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']} (Linux {m['kernel']});
{m['rustc']}; Python {m['python']}; {m['cc']}; libcurl {m['libcurl'].replace('libcurl ', '')}.
The emulator and the client share the 2 cores.
{reruns_note(data)}
**Clients:** surefoot {v['surefoot']} (Rust core in release mode; the Python wheel built by
maturin `--release`; the C library linked statically), reqwest {m['reqwest']}, requests
{v['requests']}, urllib3 {v['urllib3']}, httpx {v['httpx']}, tenacity {v['tenacity']}, aiohttp
{v['aiohttp']}. Peers' retry settings (bench/clients.py):

- **requests + urllib3 Retry**: `Retry(total=5, backoff_factor=0.5, status_forcelist=[429, 500,
  502, 503, 504], allowed_methods=None, respect_retry_after_header=True)` — honours `Retry-After`.
- **httpx + tenacity**: `stop_after_attempt(6)`, `wait_random_exponential(multiplier=0.5, max=8)`
  (exponential backoff, full jitter) on 408/429/5xx and transport errors; ignores `Retry-After`.
- **openai-python-style**: openai-python's retry loop written out over httpx: 2 retries, 0.5 s
  doubling to 8 s with up to 25 % jitter, `retry-after-ms`/`Retry-After` honoured when ≤ 60 s.
- **surefoot**: defaults (3 retries, backoff `min(20 s, 1 s·2^n)` × [0.5, 1], `Retry-After`
  honoured), plus the key's rate limit where the benchmark has one (PyAI's 50/s burst 10, or
  Specala's scaled data limit — what the Specala profile's documented 500/min becomes when the
  emulator is scaled).
- POSTs carry an `Idempotency-Key` in every client, so all of them may retry them.

**Scale:** the counts of the issue, except where a limit had to be scaled to keep the whole
`make bench` near 15 minutes on 2 cores: Specala's 500/min runs as 500 per {cfg['goodput']['specala_rate'][1]:g} s
in the goodput benchmark ({60 / cfg['goodput']['specala_rate'][1]:g}× faster: 2,000 requests take
{cfg['goodput']['n'] / (cfg['goodput']['specala_rate'][0] / cfg['goodput']['specala_rate'][1]):.0f} s instead of 4 minutes)
and as 500 per {cfg['bulk']['rate'][1]:g} s in the bulk export benchmark ({60 / cfg['bulk']['rate'][1]:g}×:
the loop of 5,000 single exports takes {cfg['bulk']['n'] / (cfg['bulk']['rate'][0] / cfg['bulk']['rate'][1]):.0f} s instead of 10 minutes). PyAI runs at its real
50/s burst 10. {overhead_runs} every other row is one run.
The benchmarks took {total / 60:.1f} minutes (builds excluded).
"""
    # A table re-run on its own after a fix says so (`notes` in results.json).
    for note in data.get("notes", []):
        head += f"\n**Note:** {note}\n"
    gaps_md = "\n".join(f"- {g}" for g in all_gaps) or "- none"
    heads = "\n".join(f"- {h}" for h in headlines(res) + ([cost[2]] if cost else []) + ([soak[2]] if soak else []) + ([sdk[2]] if sdk else []))
    text = head + "\n## Headlines\n\n" + heads + "\n\n" + "\n".join(sections) + "\n## Gaps: where surefoot is not ahead, and why\n\n" + gaps_md + "\n"
    dst.write_text(text)
    print(f"wrote {dst} and {len(sections)} plots under {plots}")


if __name__ == "__main__":
    main()
