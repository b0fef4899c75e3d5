#!/usr/bin/env python3
"""Loads every page of the built site in headless Chromium and fails on what a reader would
see broken (standard library only).

    python3 docs/browser_check.py [target/docs]

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
messages on file descriptors 3 and 4, no websocket needed). For each page it fails on:

- a console error or warning of the page, an uncaught exception, or a log entry of level
  error (e.g. "Failed to load resource");
- a request that failed (a missing stylesheet, image or script);
- the stylesheet not applied (the header is not sticky);
- a missing section: the h1 and h2 ids manifest.json lists, and, found here independently
  of docs/build.py, the ids the guide's sources give their sections (`## Title {#id}` in
  docs/guide/*.md) and on the reference pages an element for every name the sources define —
  every `sf_*` function, enum and opaque type of include/surefoot.h, and every name in the
  `__all__` of the Python modules.

It writes a screenshot of the index page to target/docs-check/index.png.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium is not installed (make docs-check installs Debian's chromium package)")


class Browser:
    """A headless Chromium with its DevTools protocol on a pipe."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="surefoot-docs-chromium-")
        cmd_r, self.cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        self.resp_r, resp_w = os.pipe()  # Chromium writes fd 4, we read

        def child() -> None:
            # Copies first (the pipe may itself be fds 3 and 4), then onto 3 and 4, kept
            # across exec (os.pipe makes close-on-exec descriptors).
            r, w = os.dup(cmd_r), os.dup(resp_w)
            os.dup2(r, 3, inheritable=True)
            os.dup2(w, 4, inheritable=True)

        self.proc = subprocess.Popen(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("DOCS_CHECK_DEBUG") else subprocess.DEVNULL,
            preexec_fn=child,
            close_fds=False,
        )
        os.close(cmd_r)
        os.close(resp_w)
        self.buf = b""
        self.next_id = 0
        self.events: List[Dict[str, Any]] = []
        self.session: Optional[str] = None

    def send(self, method: str, params: Optional[Dict[str, Any]] = None, session: bool = True, timeout: float = 30.0) -> Dict[str, Any]:
        self.next_id += 1
        msg: Dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read(deadline)
            if reply.get("id") == want:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, deadline: float) -> Dict[str, Any]:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self.resp_r], [], [], left)
            if ready:
                chunk = os.read(self.resp_r, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_for(self, method: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while True:
            event = self.read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self.read(deadline))
        except TimeoutError:
            pass

    def open_tab(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.resp_r)
        shutil.rmtree(self.profile, ignore_errors=True)


PROBE = """JSON.stringify({
  title: document.title,
  h1: [...document.querySelectorAll('h1[id]')].map(e => e.id),
  h2: [...document.querySelectorAll('h2[id]')].map(e => e.id),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  sticky: getComputedStyle(document.querySelector('header.top')).position,
  text: document.body.innerText.length
})"""


def problems_of(events: List[Dict[str, Any]]) -> List[str]:
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {args}")
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            entry = p["entry"]
            out.append(f"log {entry['level']}: {entry.get('text')} {entry.get('url', '')}".strip())
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"request failed: {p.get('errorText')} (request {p.get('requestId')})")
    return out


def expected_from_sources() -> Dict[str, List[str]]:
    """What the reference pages must show, read from the sources without docs/build.py."""
    header = (ROOT / "include" / "surefoot.h").read_text(encoding="utf-8")
    c = sorted(set(re.findall(r"^[\w \*]*?\b(sf_\w+)\(", header, re.M)))
    c += re.findall(r"^typedef struct (\w+) \1;", header, re.M)
    c += re.findall(r"^\}\s*(sf_\w+);", header, re.M)
    py: List[str] = []
    for mod, path in (("surefoot", "__init__.py"), ("surefoot.exceptions", "exceptions.py"),
                      ("surefoot.testing", "testing.py"), ("surefoot.pytest_plugin", "pytest_plugin.py")):
        f = ROOT / "python" / "surefoot" / path
        if not f.is_file():
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        py.append(mod)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                py += [f"{mod}.{e.value}" for e in node.value.elts]  # type: ignore[attr-defined]
    out = {"c.html": c, "python.html": py}
    # The guide's sources name their sections' ids (`## Title {#id}`).
    for md in sorted((ROOT / "docs" / "guide").glob("*.md")):
        ids = re.findall(r"^#{1,2}\s.*\{#([\w.\-]+)\}\s*$", md.read_text(encoding="utf-8"), re.M)
        out[f"{md.stem}.html"] = ids
    return out


def main(argv: List[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "target/docs").resolve()
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    must = expected_from_sources()
    shots = site.parent / "docs-check"
    shots.mkdir(exist_ok=True)
    failures: List[str] = []
    sections = 0
    browser = Browser()
    try:
        browser.send("Target.setDiscoverTargets", {"discover": False}, session=False)
        browser.open_tab()
        for name, info in sorted(manifest["pages"].items()):
            browser.events.clear()
            url = (site / name).as_uri()
            browser.send("Page.navigate", {"url": url})
            browser.wait_for("Page.loadEventFired")
            browser.drain(0.15)
            got = json.loads(browser.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True})["result"]["value"])
            bad = problems_of(browser.events)
            for b in bad:
                failures.append(f"{name}: {b}")
            ids = set(got["ids"])
            want = [(t, i) for t in ("h1", "h2") for i in info.get(t, [])]
            for tag, hid in want:
                if hid not in got[tag]:
                    failures.append(f"{name}: the rendered page has no <{tag} id=\"{hid}\">")
            for item in must.get(name, []):
                if item not in ids:
                    failures.append(f"{name}: no section for {item} (defined in the sources)")
            if len(got["h1"]) != 1:
                failures.append(f"{name}: {len(got['h1'])} h1 elements")
            if got["sticky"] != "sticky":
                failures.append(f"{name}: style.css is not applied (header position {got['sticky']!r})")
            if got["text"] < 500:
                failures.append(f"{name}: only {got['text']} characters of text")
            sections += len(want) + len(must.get(name, []))
            print(f"  {name:22} {len(got['h2']):3} sections, {len(ids):4} ids, {len(bad)} console/network problems")
            if name == "index.html":
                shot = browser.send("Page.captureScreenshot", {"format": "png"})
                (shots / "index.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
    for f in failures:
        print(f"FAIL {f}")
    pages = len(manifest["pages"])
    print(f"docs-check: {pages} pages loaded in Chromium, {sections} sections found; screenshot {shots / 'index.png'}")
    print(f"{pages - len({f.split(':')[0] for f in failures})} passed, {len({f.split(':')[0] for f in failures})} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
