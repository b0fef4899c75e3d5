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
- the theme not applied, no search box, no h1, or a page nearly empty;
- a page of docs/guide/*.md not built, and on the reference pages a missing entry for a name
  the sources define — every `sf_*` function, enum and type of include/surefoot.h, and every
  name in the `__all__` of the Python modules.

Every HTML page of the Sphinx site is loaded (the guide, the references, the index, search).

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
  h1: document.querySelectorAll('article h1').length,
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  styled: getComputedStyle(document.body).fontFamily,
  search: !!document.querySelector('form.sidebar-search-container, input[name="q"]'),
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
    """What the reference pages must show (element ids), read from the sources: every
    `sf_*` function, enum and type of include/surefoot.h (Breathe's ids are `c.NAME`), and
    every name in the `__all__` of the Python modules (sphinx-autoapi's ids are the dotted
    paths)."""
    header = (ROOT / "include" / "surefoot.h").read_text(encoding="utf-8")
    c = sorted(set(re.findall(r"^[\w \*]*?\b(sf_\w+)\(", header, re.M)))
    c += re.findall(r"^typedef struct (\w+) \1;", header, re.M)
    c += re.findall(r"^\}\s*(sf_\w+);", header, re.M)
    out: Dict[str, List[str]] = {"reference/c.html": [f"c.{n}" for n in c]}
    for mod, path in (("surefoot", "__init__.py"), ("surefoot.exceptions", "exceptions.py"),
                      ("surefoot.testing", "testing.py"), ("surefoot.pytest_plugin", "pytest_plugin.py")):
        f = ROOT / "python" / "surefoot" / path
        if not f.is_file():
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        page = f"reference/python/{mod.replace('.', '/')}/index.html"
        names = [f"module-{mod}"]
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                names += [f"{mod}.{e.value}" for e in node.value.elts]  # type: ignore[attr-defined]
        out[page] = names
    return out


def pages_of(site: Path) -> List[str]:
    """Every HTML page of the site (not Sphinx's copies of sources and downloads)."""
    skip = ("_static/", "_sources/", "_downloads/", "_images/")
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).as_posix().startswith(skip))


def main(argv: List[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "target/docs").resolve()
    pages = pages_of(site)
    guide = sorted(f"guide/{p.stem}.html" for p in (ROOT / "docs" / "guide").glob("*.md"))
    must = expected_from_sources()
    shots = site.parent / "docs-check"
    shots.mkdir(exist_ok=True)
    failures: List[str] = [f"{g}: not built (docs/guide has its source)" for g in guide if g not in pages]
    failures += [f"{m}: not built" for m in must if m not in pages]
    checked = 0
    browser = Browser()
    try:
        browser.send("Target.setDiscoverTargets", {"discover": False}, session=False)
        browser.open_tab()
        for name in pages:
            browser.events.clear()
            browser.send("Page.navigate", {"url": (site / name).as_uri()})
            browser.wait_for("Page.loadEventFired")
            browser.drain(0.15)
            got = json.loads(browser.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True})["result"]["value"])
            bad = problems_of(browser.events)
            failures += [f"{name}: {b}" for b in bad]
            ids = set(got["ids"])
            for item in must.get(name, []):
                if item not in ids:
                    failures.append(f"{name}: no entry for {item} (defined in the sources)")
            if name not in ("genindex.html", "search.html", "py-modindex.html") and got["h1"] != 1:
                failures.append(f"{name}: {got['h1']} h1 elements")
            if "serif" not in got["styled"] and "system-ui" not in got["styled"]:
                failures.append(f"{name}: the theme's stylesheet is not applied (font {got['styled']!r})")
            if not got["search"]:
                failures.append(f"{name}: no search box")
            if got["text"] < 200:
                failures.append(f"{name}: only {got['text']} characters of text")
            checked += len(must.get(name, []))
            print(f"  {name:50} {len(ids):4} ids, {len(bad)} console/network problems")
            if name == "index.html":
                shot = browser.send("Page.captureScreenshot", {"format": "png"})
                (shots / "index.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
    for f in failures:
        print(f"FAIL {f}")
    failed = {f.split(":")[0] for f in failures}
    print(f"docs-check: {len(pages)} pages loaded in Chromium, {checked} reference entries found; screenshot {shots / 'index.png'}")
    print(f"{len(pages) - len(failed & set(pages))} passed, {len(failed)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
