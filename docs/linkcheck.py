#!/usr/bin/env python3
"""Checks the internal links of the built site (standard library only).

    python3 docs/linkcheck.py [target/docs]

Every `href` and `src` of every page that names a local file or an `#anchor` must resolve:
the file must exist and the anchor must be an `id` (or `name`) in it. Links to `http(s):`,
`mailto:` and `data:` are not followed. Links that leave the site into rustdoc
(`../doc/...`, written by `make doc`) are checked when target/doc/surefoot/index.html
exists, and reported as skipped otherwise. Each page must also have the h1 and h2 ids that manifest.json lists.

Prints `docs: N pages, M links checked` and a `N passed, 0 failed` line; exits 1 on any
broken link.
"""

from __future__ import annotations

import json
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import unquote, urlsplit


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Set[str] = set()
        self.links: List[Tuple[str, str, int]] = []  # (attribute, value, line)
        self.h: List[Tuple[str, str]] = []  # (tag, id)

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id",) or (tag == "a" and name == "name"):
                self.ids.add(value)
                if tag in ("h1", "h2"):
                    self.h.append((tag, value))
            if name in ("href", "src"):
                self.links.append((name, value, self.getpos()[0]))


_cache: Dict[Path, Collect] = {}


def parse(path: Path) -> Collect:
    if path not in _cache:
        c = Collect()
        c.feed(path.read_text(encoding="utf-8", errors="replace"))
        _cache[path] = c
    return _cache[path]


def main(argv: List[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "target/docs").resolve()
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    pages = sorted(site.glob("*.html"))
    # rustdoc's pages are checked once `make doc` has written them (its crate index is there).
    rustdoc = (site.parent / "doc" / "surefoot" / "index.html").is_file()
    failures: List[str] = []
    checked = skipped = external = 0

    listed = set(manifest["pages"])
    on_disk = {p.name for p in pages}
    for missing in sorted(listed - on_disk):
        failures.append(f"{missing}: listed in manifest.json but not written")
    for extra in sorted(on_disk - listed):
        failures.append(f"{extra}: a page that manifest.json does not list")

    for page in pages:
        c = parse(page)
        want = manifest["pages"].get(page.name, {})
        for tag in ("h1", "h2"):
            have = {i for t, i in c.h if t == tag}
            for hid in want.get(tag, []):
                if hid not in have:
                    failures.append(f"{page.name}: no <{tag} id=\"{hid}\">")
        if len([1 for t, _ in c.h if t == "h1"]) != 1:
            failures.append(f"{page.name}: {len([1 for t, _ in c.h if t == 'h1'])} h1 elements (want 1)")
        for attr, value, line in c.links:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https", "mailto", "data"):
                external += 1
                continue
            if parts.scheme:
                failures.append(f"{page.name}:{line}: {attr}={value!r}: unexpected scheme")
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            inside = site in target.parents or target == site
            if not inside:
                if not rustdoc:
                    skipped += 1
                    continue
            checked += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                hint = " (target/doc is older than the sources: run `make doc`)" if not inside else ""
                failures.append(f"{page.name}:{line}: {attr}={value!r}: no file {target}{hint}")
                continue
            if parts.fragment:
                if target.suffix != ".html":
                    failures.append(f"{page.name}:{line}: {attr}={value!r}: an anchor into a non-HTML file")
                    continue
                if unquote(parts.fragment) not in parse(target).ids:
                    failures.append(f"{page.name}:{line}: {attr}={value!r}: no id {parts.fragment!r} in {target.name}")

    for f in failures:
        print(f"FAIL {f}")
    note = f", {skipped} rustdoc links skipped (run `make doc`)" if skipped else ""
    print(f"docs: {len(pages)} pages, {checked} links checked ({external} external or data: not followed{note})")
    passed = checked - sum(1 for f in failures if ": href=" in f or ": src=" in f)
    print(f"{max(passed, 0)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
