"""The rows bench/fleet.py measured (bench/fleet_results.json), as the markdown that
bench/report.py adds to sections 1, 5 and 6 of bench/RESULTS.md (issue 21's targets)."""

from __future__ import annotations

from typing import Any

TARGET_FLEET = 1.25  # wall / ideal, 2, 4 and 8 processes sharing one Redis store
TARGET_SHORT = 1.20  # wall / ideal, one process, 400 requests against nginx
TARGET_429 = 0.02  # share of requests answered 429
TARGET_OUTAGE = (30, 0.5)  # requests into a 5-s outage, last call after recovery (s)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def _learning_rows(runs: list[dict[str, Any]], target: float) -> list[list[str]]:
    rows = []
    for r in runs:
        ratio = r["wall"] / r["ideal"]
        share = r["rate_limited"] / max(r["requests"], 1)
        learns = r["kind"] != "limits"
        fleet = r["kind"] == "surefoot-redis" and (r["processes"] > 1 or r["n"] == 400)
        ok_ratio = not fleet or ratio <= target
        ok_429 = not fleet or share <= TARGET_429
        what = {"surefoot-redis": "surefoot, Redis store, no limit given",
                "surefoot-memory": "surefoot, each process alone, no limit given",
                "limits": "limits + requests, limit given"}[r["kind"]]
        rows.append([what, str(r["processes"]), f"{ratio:.2f}{_mark(ok_ratio)}",
                     f"{r['rate_limited']} ({100 * share:.1f} %){_mark(ok_429)}",
                     f"{r['failed']}{_mark(not learns or r['failed'] == 0)}"])
    return rows


def _note(data: dict[str, Any]) -> str:
    return f" _{data['note']}_" if data.get("note") else ""


def goodput_rows(data: dict[str, Any]) -> str:
    """Section 1: one process learning over a short run (400 requests), both servers."""
    runs = [r for r in data["learning"] if r["processes"] == 1 and r["n"] == 400]
    if not runs:
        return ""
    md = ["\n### Learning over a short run (400 requests, no limit given)\n",
          "One process x 8 threads, 400 GETs, against the emulator (50/s burst 10) and nginx "
          f"`limit_req` (40 r/s burst 5); bench/fleet.py, run on {data['date']}. Target (issue 21): "
          f"surefoot against nginx ≤ {TARGET_SHORT:.2f}x ideal, ≤ {100 * TARGET_429:.0f} % 429s "
          "(✗ marks a missed target)." + _note(data) + "\n"]
    for server in ("emulator", "nginx"):
        rows = [r for r in runs if r["server"] == server]
        if rows:
            md.append(f"\n{server}:\n\n" + _table(["client", "processes", "wall / ideal", "429s", "failed"],
                                                  _learning_rows(rows, TARGET_SHORT)))
    return "\n".join(md) + "\n"


def many_rows(data: dict[str, Any]) -> str:
    """Section 6: learning rows for 1, 2, 4 and 8 processes on both servers."""
    md = ["\n### Learning together (no limit given)\n",
          "Processes x 8 threads share N GETs on one key with **no rate limit given** "
          "(bench/fleet.py, run on " + data["date"] + "): surefoot with one Redis store learns the "
          "key's limit for the fleet"
          + ("; each process alone (in-process store) learns its own"
             if any(r["kind"] == "surefoot-memory" for r in data["learning"]) else "")
          + "; `limits` is given the limit (what a user who knows it gets). Target (issue 21): the "
          f"Redis rows with 2, 4 and 8 processes ≤ {TARGET_FLEET:.2f}x ideal, ≤ "
          f"{100 * TARGET_429:.0f} % 429s, 0 failed (✗ marks a missed target)." + _note(data) + "\n"]
    for n in sorted({r["n"] for r in data["learning"]}):
        for server in ("emulator", "nginx"):
            rows = [r for r in data["learning"] if r["n"] == n and r["server"] == server]
            if rows:
                md.append(f"\n{server}, N = {n}:\n\n" + _table(
                    ["client", "processes", "wall / ideal", "429s", "failed"],
                    _learning_rows(rows, TARGET_FLEET)))
    return "\n".join(md) + "\n"


def outage_rows(data: dict[str, Any]) -> str:
    """Section 5: the outage against a small accept backlog."""
    runs = data.get("outage", [])
    if not runs:
        return ""
    rows = []
    for r in runs:
        ok_d = r["kind"] != "surefoot" or r["during"] <= TARGET_OUTAGE[0]
        ok_l = r["kind"] != "surefoot" or r["last_after_recovery"] <= TARGET_OUTAGE[1]
        rows.append([r["kind"] if r["kind"] == "surefoot" else "requests + urllib3 Retry",
                     f"{r['during']}{_mark(ok_d)}", str(r["requests"]),
                     f"{r['failed']}{_mark(r['kind'] != 'surefoot' or r['failed'] == 0)}",
                     f"{r['last_after_recovery']:.2f}{_mark(ok_l)}"])
    c = runs[0]
    times = len([r for r in runs if r["kind"] == "surefoot"])
    loads = [r["load"] for r in runs if "load" in r]
    load = f", load average {min(loads):g}–{max(loads):g} (1 min, 2 cores)" if loads else ""
    return ("\n### Against a small accept backlog\n\n"
            f"A Python `http.server` (ThreadingHTTPServer, accept backlog 8) answers 503 for "
            f"{c['outage_s']:g} s, then 200; {c['clients']} threads x {c['items']} GETs, default "
            f"settings (bench/fleet.py, run on {data.get('outage_date', data['date'])}; each client "
            f"{times} time(s){load}). Target "
            f"(issue 21): ≤ {TARGET_OUTAGE[0]} requests into the outage, 0 failed, the last call "
            f"≤ {TARGET_OUTAGE[1]} s after recovery (✗ marks a missed target).\n\n"
            + _table(["client", "requests during the outage", "requests in all", "calls failed",
                      "last call after recovery (s)"], rows) + "\n")
