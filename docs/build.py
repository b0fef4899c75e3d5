#!/usr/bin/env python3
"""Builds surefoot's documentation site: plain HTML and CSS, Python's standard library only.

    python3 docs/build.py [--out target/docs]

Every page is generated from the repository at build time:

- the guide from docs/guide/*.md (a small Markdown subset, see `render_markdown`), whose
  directives read the examples, the README's generated tables, the CLI's help texts and the
  Python modules' docstrings from their files (nothing is copied by hand);
- the Python reference from python/surefoot/_native.pyi, exceptions.py, testing.py (and
  pytest_plugin.py when present), parsed with `ast`;
- the C reference from include/surefoot.h (every doc comment and declaration);
- the Rust page from the crates' `//!` docs, linking into rustdoc (`make doc` writes
  target/doc, which sits beside target/docs).

The site's pages and the sections each must have are written to `manifest.json`, which
docs/linkcheck.py and docs/browser_check.py read.
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# (file, title, group): the order of the navigation.
GUIDE = [
    ("install", "Install"),
    ("first-call", "The first call"),
    ("errors", "Errors and codes"),
    ("retries", "Retries and pacing"),
    ("idempotency", "Idempotency"),
    ("pagination", "Pagination"),
    ("many-processes", "Many processes"),
    ("cli", "The CLI"),
    ("emulator", "The emulator"),
    ("testing", "Testing"),
]
REFERENCE = [
    ("python", "Python API"),
    ("c", "C API"),
    ("rust", "Rust API"),
]

# Where each example is run by `make test`, said next to it in the guide.
RUN_BY = {
    "examples/c/quickstart.c": "built through pkg-config and CMake and run against the emulator by `make test-c`",
    "examples/cpp/quickstart.cpp": "built through pkg-config and CMake and run against the emulator by `make test-c`",
    "examples/python/": "run by `tests/python/test_examples.py` and type-checked by `mypy --strict` in `make test-python`",
    "examples/CMakeLists.txt": "configured and built from a staged install by `make test-c`",
    "crates/surefoot/examples/": "compiled by `cargo test --workspace --all-targets`; run with `cargo run -p surefoot --example NAME`",
}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def version() -> str:
    m = re.search(r'^\[workspace\.package\][^\[]*?^version\s*=\s*"([^"]+)"', read("Cargo.toml"), re.M | re.S)
    return m.group(1) if m else "unknown"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def slug(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text).lower()
    text = re.sub(r"[^a-z0-9_.\- ]+", "", text)
    return re.sub(r"[ ]+", "-", text.strip()).strip("-") or "section"


class Site:
    """What every page may link to: C symbols and Python names, by anchor."""

    def __init__(self) -> None:
        self.c_symbols: Dict[str, str] = {}  # name -> "c.html#name"
        self.py_names: Dict[str, str] = {}  # "surefoot.PyAI" -> "python.html#surefoot.PyAI"
        # While the Python reference is written: bare class names its docstrings use
        # (`RateLimit`, `Client`) -> their entry.
        self.py_short: Dict[str, str] = {}
        self.rust: Dict[str, str] = {}  # "surefoot::Error" -> "../doc/surefoot/error/struct.Error.html"


SITE = Site()

# ----- inline Markdown ---------------------------------------------------------------------

LINK_RE = re.compile(r"\[((?:[^\[\]]|`[^`]*`)+)\]\(([^)\s]+)\)")


def code_span(text: str) -> str:
    """An inline code span, linked to the reference when it names a C symbol or Python name."""
    inner = f"<code>{esc(text)}</code>"
    bare = re.sub(r"\(.*\)$", "", text.strip())
    if bare in SITE.c_symbols:
        return f'<a class="ref" href="{SITE.c_symbols[bare]}">{inner}</a>'
    if "." in bare and bare in SITE.py_names:
        return f'<a class="ref" href="{SITE.py_names[bare]}">{inner}</a>'
    if bare in SITE.rust:
        return f'<a class="ref" href="{SITE.rust[bare]}">{inner}</a>'
    if bare in SITE.py_short:
        return f'<a class="ref" href="{SITE.py_short[bare]}">{inner}</a>'
    return inner


def inline(text: str, link_files: bool = True) -> str:
    """`code`, **bold**, *emphasis* and [links](href). A relative link to a repository file
    (not to a page of this site) becomes plain text when `link_files` is false."""
    out: List[str] = []
    pos = 0
    for m in LINK_RE.finditer(text):
        out.append(_inline_plain(text[pos : m.start()]))
        label, href = m.group(1), m.group(2)
        local = not re.match(r"^[a-z]+:", href) and not href.startswith("#")
        site_link = re.match(r"^[\w\-]+\.html(#.*)?$", href) or href.startswith("../doc/")
        if local and (not link_files or not site_link):
            out.append(_inline_plain(label))
        else:
            out.append(f'<a href="{esc(href)}">{_inline_plain(label)}</a>')
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(text: str) -> str:
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(code_span(part[1:-1]))
        else:
            s = esc(part)
            s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
            s = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<em>\1</em>", s)
            out.append(s)
    return "".join(out)


# ----- block Markdown ----------------------------------------------------------------------


class Page:
    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title
        self.body: List[str] = []
        self.sections: List[Tuple[int, str, str]] = []  # (level, id, text)
        self.ids: set = set()

    def heading(self, level: int, text_html: str, hid: Optional[str] = None) -> None:
        hid = hid or slug(text_html)
        base, n = hid, 2
        while hid in self.ids:
            hid = f"{base}-{n}"
            n += 1
        self.ids.add(hid)
        self.sections.append((level, hid, re.sub(r"<[^>]+>", "", text_html)))
        self.body.append(
            f'<h{level} id="{esc(hid)}">{text_html}<a class="anchor" href="#{esc(hid)}" '
            f'aria-label="link to this section">#</a></h{level}>'
        )

    def add(self, fragment: str) -> None:
        self.body.append(fragment)


def code_block(code: str, lang: str = "", caption: Optional[str] = None) -> str:
    cap = f'<div class="caption">{caption}</div>' if caption else ""
    cls = f' class="language-{esc(lang)}"' if lang else ""
    return f'<figure class="code">{cap}<pre><code{cls}>{esc(code.rstrip())}</code></pre></figure>'


def table(rows: List[str], link_files: bool) -> str:
    def cells(line: str) -> List[str]:
        line = line.strip()
        if line.startswith("|"):
            line = line[1:]
        if line.endswith("|"):
            line = line[:-1]
        # A `|` inside a code span is not a cell boundary.
        out, cur, in_code = [], "", False
        for ch in line:
            if ch == "`":
                in_code = not in_code
            if ch == "|" and not in_code:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        out.append(cur.strip())
        return out

    head = cells(rows[0])
    body = [cells(r) for r in rows[2:]] if len(rows) > 1 and re.match(r"^\s*\|?[\s:\-|]+$", rows[1]) else [cells(r) for r in rows[1:]]
    h = "".join(f"<th>{inline(c, link_files)}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{inline(c, link_files)}</td>" for c in r) + "</tr>" for r in body)
    return f'<div class="table"><table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table></div>'


def render_markdown(
    text: str,
    page: Page,
    directives: Optional[Dict[str, Callable[[Page, List[str]], None]]] = None,
    link_files: bool = True,
    shift: int = 0,
) -> None:
    """Headings (`#`…`####`, optional `{#id}`), paragraphs, `-`/`1.` lists, fenced code,
    tables, `> ` notes, and `@name args` directive lines. `shift` demotes headings (for
    Markdown included from a README)."""
    lines = text.splitlines()
    i = 0
    para: List[str] = []

    def flush() -> None:
        if para:
            page.add(f"<p>{inline(' '.join(s.strip() for s in para), link_files)}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("<!--"):
            flush()
            i += 1
            continue
        m = re.match(r"^(#{1,4})\s+(.*?)(?:\s+\{#([\w.\-]+)\})?\s*$", line)
        if m:
            flush()
            level = min(len(m.group(1)) + shift, 6)
            page.heading(level, inline(m.group(2), link_files), m.group(3))
            i += 1
            continue
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip()
            j = i + 1
            block = []
            while j < len(lines) and not lines[j].strip().startswith("```"):
                block.append(lines[j])
                j += 1
            page.add(code_block("\n".join(block), lang))
            i = j + 1
            continue
        if stripped.startswith("@") and directives is not None and re.match(r"^@[\w\-]+", stripped):
            flush()
            name, *args = stripped[1:].split()
            if name not in directives:
                raise SystemExit(f"{page.name}: unknown directive @{name}")
            directives[name](page, args)
            i += 1
            continue
        if stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            page.add(table(rows, link_files))
            continue
        if stripped.startswith("> "):
            flush()
            note = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                note.append(lines[i].strip()[1:].strip())
                i += 1
            page.add(f'<div class="note">{inline(" ".join(note), link_files)}</div>')
            continue
        lm = re.match(r"^(\s*)(-|\d+\.)\s+(.*)$", line)
        if lm:
            flush()
            ordered = lm.group(2) != "-"
            items: List[List[str]] = []
            while i < len(lines):
                cur = lines[i]
                im = re.match(r"^(\s*)(-|\d+\.)\s+(.*)$", cur)
                if im and len(im.group(1)) <= len(lm.group(1)):
                    items.append([im.group(3)])
                elif cur.strip() and cur.startswith(" ") and items:
                    items[-1].append(cur.strip())
                else:
                    break
                i += 1
            tag = "ol" if ordered else "ul"
            lis = "".join(f"<li>{inline(' '.join(it), link_files)}</li>" for it in items)
            page.add(f"<{tag}>{lis}</{tag}>")
            continue
        para.append(line)
        i += 1
    flush()


# ----- sources read by the guide's directives ----------------------------------------------


def run_by(path: str) -> str:
    for prefix, how in RUN_BY.items():
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return how
    return ""


def lang_of(path: str) -> str:
    return {".c": "c", ".cpp": "cpp", ".py": "python", ".rs": "rust", ".txt": "cmake"}.get(Path(path).suffix, "")


def d_include(page: Page, args: List[str]) -> None:
    """@include PATH — a file of the repository as a code block, named with how the tests run it."""
    for path in args:
        if not (ROOT / path).is_file():
            raise SystemExit(f"{page.name}: @include {path}: no such file")
        how = run_by(path)
        caption = f"<code>{esc(path)}</code>" + (f" — {inline(how)}" if how else "")
        page.add(code_block(read(path), lang_of(path), caption))


def d_examples(page: Page, args: List[str]) -> None:
    """@examples DIR GLOB — every matching file of a directory, each as @include."""
    folder, pattern = args
    # A quickstart comes first, the others in name order.
    files = sorted((ROOT / folder).glob(pattern), key=lambda f: (not f.stem.startswith("quickstart"), f.name))
    if not files:
        raise SystemExit(f"{page.name}: @examples {folder} {pattern}: no files")
    d_include(page, [rel(p) for p in files])


def md_section(path: str, heading: str) -> str:
    """The Markdown under a heading (its text, matched after stripping `#`s) up to the next
    heading of the same or a higher level."""
    lines = read(path).splitlines()
    for n, line in enumerate(lines):
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m and m.group(2).strip() == heading:
            level = len(m.group(1))
            out = []
            fenced = False
            for more in lines[n + 1 :]:
                if more.strip().startswith("```"):
                    fenced = not fenced
                mm = re.match(r"^(#+)\s", more)
                if mm and not fenced and len(mm.group(1)) <= level:
                    break
                out.append(more)
            return "\n".join(out)
    raise SystemExit(f"{path}: no heading {heading!r}")


def d_readme(page: Page, args: List[str]) -> None:
    """@readme PATH HEADING... — a README section, its links to repository files as text."""
    path, heading = args[0], " ".join(args[1:])
    text = md_section(path, heading)
    page.add(f'<div class="from">From <code>{esc(path)}</code> — {inline("`" + heading.replace("`", "") + "`")}</div>')
    render_markdown(text, page, None, link_files=False, shift=1)


def d_between(page: Page, args: List[str]) -> None:
    """@between PATH START END — the Markdown between two marker lines (e.g. the README's
    behaviour tables generated from the conformance vectors)."""
    path, start, end = args
    text = read(path)
    a, b = text.index(start), text.index(end)
    body = text[a + len(start) : b]
    body = re.sub(r"^#+ .*$", "", body, count=1, flags=re.M)  # its own heading: ours stands
    render_markdown(body, page, None, link_files=False, shift=1)


def rust_const(path: str, name: str) -> str:
    """A `const NAME: &str = "...";` of a Rust file, unescaped."""
    src = read(path)
    m = re.search(r"const\s+" + re.escape(name) + r'\s*:\s*&str\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', src, re.S)
    if not m:
        raise SystemExit(f"{path}: no const {name}")
    s = m.group(1)
    s = re.sub(r"\\\n\s*", "", s)  # line continuation
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def d_rust_const(page: Page, args: List[str]) -> None:
    """@rust-const PATH NAME [caption words] — a help text of the CLI, as it prints it."""
    path, name = args[0], args[1]
    caption = f"<code>{esc(path)}</code> <code>{esc(name)}</code>"
    if len(args) > 2:
        caption = inline(" ".join(args[2:])) + f" — from {caption}"
    page.add(code_block(rust_const(path, name), "", caption))


def d_clap_flags(page: Page, args: List[str]) -> None:
    """@clap-flags PATH STRUCT — the flags of a clap `#[derive(Args)]` struct with their doc
    comments, as a table."""
    path, struct = args
    src = read(path)
    m = re.search(r"(?:pub )?struct " + re.escape(struct) + r"\s*\{(.*?)\n\}", src, re.S)
    if not m:
        raise SystemExit(f"{path}: no struct {struct}")
    rows = ["| Flag | Meaning |", "|---|---|"]
    doc: List[str] = []
    attrs = ""
    for line in m.group(1).splitlines():
        s = line.strip()
        if s.startswith("///"):
            doc.append(s[3:].strip())
        elif re.match(r"^(pub )?\w+:\s", s):
            fm = re.match(r"(?:pub )?(\w+):\s*(.+?),?$", s)
            if fm and "flatten" not in attrs and "subcommand" not in attrs:
                field, ty = fm.group(1), fm.group(2)
                positional = "long" not in attrs
                vn = re.search(r'value_name\s*=\s*"([^"]+)"', attrs)
                env = re.search(r'env\s*=\s*"([A-Z_]+)"', attrs)
                dflt = re.search(r'default_value(?:_t)?\s*=\s*"?([\w:.]+)"?', attrs)
                if positional:
                    flag = f"`{vn.group(1) if vn else field.upper()}`"
                else:
                    flag = "`--" + field.replace("_", "-") + (f" {vn.group(1)}" if vn else "") + "`"
                    short = re.search(r"\bshort\b", attrs)
                    if short:
                        flag += f" / `-{field[0]}`"
                meaning = " ".join(doc).replace("|", "\\|")
                extra = []
                if env:
                    extra.append(f"env `{env.group(1)}`")
                if dflt and "FormatArg" not in dflt.group(1):
                    extra.append(f"default {dflt.group(1)}")
                elif dflt:
                    extra.append("default " + dflt.group(1).split("::")[-1].lower())
                if extra:
                    meaning += " (" + ", ".join(extra) + ")"
                rows.append(f"| {flag} | {meaning.replace('|', '/')} |")
            doc, attrs = [], ""
        else:
            attrs += s
    page.add(f'<div class="from">Flags of <code>{esc(struct)}</code> in <code>{esc(path)}</code></div>')
    page.add(table(rows, link_files=False))


def rst_to_html(doc: str) -> str:
    """A docstring (reST-ish: ``code``, :class:`x`, `::` literal blocks, paragraphs, `-` lists)."""
    doc = inspect_cleandoc(doc)
    out: List[str] = []
    blocks = re.split(r"\n\s*\n", doc)
    i = 0
    literal_next = False
    while i < len(blocks):
        b = blocks[i]
        if literal_next:
            # Indented block(s) after a `::` paragraph.
            lit = [b]
            while i + 1 < len(blocks) and blocks[i + 1].startswith("    "):
                i += 1
                lit.append(blocks[i])
            code = "\n\n".join(lit)
            out.append(code_block(textwrap_dedent(code), "python"))
            literal_next = False
            i += 1
            continue
        text = b
        if text.rstrip().endswith("::"):
            literal_next = True
            text = text.rstrip()[:-1]  # "Example::" -> "Example:"
            if text.strip() == ":":
                i += 1
                continue
        if text.startswith("    "):
            out.append(code_block(textwrap_dedent(text)))
        elif re.match(r"^\s*- ", text):
            items = re.split(r"\n(?=\s*- )", text)
            out.append("<ul>" + "".join(f"<li>{rst_inline(it.strip()[2:])}</li>" for it in items) + "</ul>")
        else:
            out.append(f"<p>{rst_inline(text)}</p>")
        i += 1
    return "\n".join(out)


def rst_inline(text: str) -> str:
    text = " ".join(s.strip() for s in text.splitlines())
    text = re.sub(r":(?:class|mod|func|meth|attr|data|exc):`~?([^`]+)`", r"``\1``", text)
    text = text.replace("``", "`")
    return _inline_plain(text)


def inspect_cleandoc(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def textwrap_dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def d_pydoc(page: Page, args: List[str]) -> None:
    """@pydoc PATH — a Python module's docstring, rendered."""
    path = args[0]
    doc = ast.get_docstring(ast.parse(read(path)))
    if not doc:
        raise SystemExit(f"{path}: no module docstring")
    page.add(f'<div class="from">The docstring of <code>{esc(path)}</code></div>')
    page.add(rst_to_html(doc))


def d_c_comment(page: Page, args: List[str]) -> None:
    """@c-conventions — the header's opening comment (the conventions of the C API)."""
    m = re.match(r"\s*/\*(.*?)\*/", read("include/surefoot.h"), re.S)
    assert m
    text = "\n".join(re.sub(r"^\s*\* ?", "", l) for l in m.group(1).splitlines()).strip()
    page.add('<div class="from">The opening comment of <code>include/surefoot.h</code></div>')
    render_markdown(text, page, None, link_files=False)


BEHAVIOUR = ("<!-- behaviour:start -->", "<!-- behaviour:end -->")


def d_behaviour(page: Page, args: List[str]) -> None:
    """@behaviour N... — tables of the README's behaviour block (1-based), which
    `cargo test -p surefoot --test vectors` generates from the conformance vectors."""
    text = read("README.md")
    block = text[text.index(BEHAVIOUR[0]) + len(BEHAVIOUR[0]) : text.index(BEHAVIOUR[1])]
    tables = re.findall(r"((?:^\|.*\n?)+)", block, re.M)
    for n in args:
        idx = int(n) - 1
        if idx >= len(tables):
            raise SystemExit(f"{page.name}: @behaviour {n}: the README has {len(tables)} tables")
        page.add(table(tables[idx].strip().splitlines(), link_files=False))
    page.add('<div class="from">Generated from the conformance vectors in <code>tests/vectors/</code> '
             '(the README\'s behaviour block, read at build time)</div>')


def d_crate_doc(page: Page, args: List[str]) -> None:
    """@crate-doc PATH — a Rust file's `//!` documentation as Markdown (its own title
    dropped, headings demoted, intra-doc links reduced to their text, hidden `# ` lines of
    examples removed)."""
    path = args[0]
    lines = [l[3:][1:] if l.startswith("//! ") else l[3:] for l in read(path).splitlines() if l.startswith("//!")]
    text = "\n".join(lines)
    text = re.sub(r"\A\s*# .*\n", "", text)
    out, in_code = [], False
    for l in text.splitlines():
        if l.strip().startswith("```"):
            in_code = not in_code
        elif in_code and (l.startswith("# ") or l == "#"):
            continue
        out.append(l)
    text = "\n".join(out)
    text = re.sub(r"\[`([^`\]]+)`\](\([^)]*\)|\[[^\]]*\])?", r"`\1`", text)
    page.add(f'<div class="from">The crate documentation of <code>{esc(path)}</code> (also in rustdoc)</div>')
    render_markdown(text, page, None, link_files=False, shift=1)


DIRECTIVES = {
    "crate-doc": d_crate_doc,
    "behaviour": d_behaviour,
    "include": d_include,
    "examples": d_examples,
    "readme": d_readme,
    "between": d_between,
    "rust-const": d_rust_const,
    "clap-flags": d_clap_flags,
    "pydoc": d_pydoc,
    "c-conventions": d_c_comment,
}

# ----- the C reference ---------------------------------------------------------------------

C_GROUPS = [
    ("version", "Version and library", ["sf_version", "sf_result_name", "sf_kind_name", "sf_string_free", "sf_pacing_reset_all"]),
    ("client", "Clients", ["sf_client_new", "sf_client_free", "sf_client_request", "sf_client_paginate", "sf_client_pacing_state_json", "sf_client_reset_pacing"]),
    ("options", "Client options", ["sf_client_options_"]),
    ("errors", "Errors", ["sf_error_"]),
    ("responses", "Responses", ["sf_response_"]),
    ("pagers", "Pagers", ["sf_pager_"]),
    ("pyai", "PyAI: jobs and realtime sessions", ["sf_pyai_", "sf_job_", "sf_realtime_session_"]),
    ("specala", "Specala: bulk export", ["sf_specala_", "sf_exports_"]),
]


def c_comment_text(comment: str) -> str:
    body = re.sub(r"^/\*\*|\*/$", "", comment.strip())
    lines = [re.sub(r"^\s*\* ?", "", l) for l in body.splitlines()]
    return "\n".join(lines).strip()


def parse_header(src: str) -> Dict[str, List[dict]]:
    """Every documented item of the header: macros, enums (with variants), typedefs,
    opaque structs and functions, each with its doc comment and declaration."""
    items: Dict[str, List[dict]] = {"macro": [], "enum": [], "opaque": [], "typedef": [], "function": []}
    pat = re.compile(r"(/\*\*(?:(?!\*/).)*\*/)\s*\n(.*?)(?=\n\s*\n|\n/\*\*|\n#ifdef|\n#endif|\Z)", re.S)
    # Enum bodies contain doc comments of their own: take enums first, then blank them out.
    for m in re.finditer(r"(/\*\*(?:(?!\*/).)*\*/)\s*\ntypedef enum \{(.*?)\}\s*(\w+);", src, re.S):
        variants = []
        for vm in re.finditer(r"(/\*\*(?:(?!\*/).)*\*/)\s*(\w+)\s*=\s*(\d+),", m.group(2), re.S):
            variants.append({"name": vm.group(2), "value": vm.group(3), "doc": c_comment_text(vm.group(1))})
        items["enum"].append({"name": m.group(3), "doc": c_comment_text(m.group(1)), "variants": variants,
                              "decl": f"typedef enum {{ … }} {m.group(3)};"})
    src_rest = re.sub(r"/\*\*(?:(?!\*/).)*\*/\s*\ntypedef enum \{.*?\}\s*\w+;", "", src, flags=re.S)
    for m in pat.finditer(src_rest):
        doc, decl = c_comment_text(m.group(1)), m.group(2).strip()
        if decl.startswith("#define"):
            name = decl.split()[1]
            items["macro"].append({"name": name, "doc": doc, "decl": decl})
        elif re.match(r"typedef struct (\w+) \1;", decl):
            items["opaque"].append({"name": decl.split()[2], "doc": doc, "decl": decl})
        elif decl.startswith("typedef"):
            items["typedef"].append({"name": decl.rstrip(";").split()[-1], "doc": doc, "decl": decl})
        else:
            fm = re.search(r"\b(sf_\w+)\s*\(", decl)
            if fm:
                items["function"].append({"name": fm.group(1), "doc": doc, "decl": re.sub(r"\s+", " ", decl).replace("( ", "(")})
    return items


def c_doc_html(doc: str) -> str:
    """A doc comment: Markdown-ish, with `# Safety` as a labelled paragraph."""
    page = Page("_", "_")
    parts = re.split(r"^# Safety\s*$", doc, flags=re.M)
    render_markdown(parts[0], page, None, link_files=False)
    out = "\n".join(page.body)
    if len(parts) > 1:
        out += f'<div class="safety"><span class="label">Safety</span> {inline(" ".join(parts[1].split()), False)}</div>'
    return out


def format_c_decl(decl: str) -> str:
    """One parameter a line when the declaration is long, as cbindgen writes it."""
    if len(decl) <= 90 or "(" not in decl:
        return decl
    head, params = decl.split("(", 1)
    params = params.rsplit(")", 1)[0]
    plist = [p.strip() for p in params.split(",")]
    pad = " " * (len(head) + 1)
    return head + "(" + (",\n" + pad).join(plist) + ");"


def build_c(page: Page) -> Dict[str, List[str]]:
    src = read("include/surefoot.h")
    items = parse_header(src)
    d_c_comment(page, [])
    page.add(f"<p>Generated from <code>include/surefoot.h</code> (written by cbindgen from <code>bindings/c</code>; "
             f"<code>make test</code> fails when it is out of date): {len(items['function'])} functions, "
             f"{len(items['enum'])} enums, {len(items['opaque'])} opaque types, "
             f"{len(items['macro'])} macros. The C++ layer <code>include/surefoot.hpp</code> is in the "
             f'<a href="install.html#c-and-cpp">install guide</a>.</p>')

    page.heading(2, "Types", "types")
    for kind in ("opaque", "typedef", "enum"):
        for it in items[kind]:
            page.add(f'<section class="item" id="{esc(it["name"])}"><h3 class="sig"><code>{esc(it["decl"])}</code>'
                     f'<a class="anchor" href="#{esc(it["name"])}">#</a></h3>{c_doc_html(it["doc"])}')
            page.ids.add(it["name"])
            if kind == "enum":
                rows = "".join(
                    f'<tr id="{esc(v["name"])}"><td><code>{esc(v["name"])}</code></td><td>{esc(v["value"])}</td><td>{inline(" ".join(v["doc"].split()), False)}</td></tr>'
                    for v in it["variants"]
                )
                for v in it["variants"]:
                    page.ids.add(v["name"])
                page.add(f'<div class="table"><table><thead><tr><th>Value</th><th>Number</th><th>Meaning</th></tr></thead><tbody>{rows}</tbody></table></div>')
            page.add("</section>")
    page.heading(2, "Macros and constants", "macros")
    for it in items["macro"]:
        page.ids.add(it["name"])
        page.add(f'<section class="item" id="{esc(it["name"])}"><h3 class="sig"><code>{esc(it["decl"])}</code>'
                 f'<a class="anchor" href="#{esc(it["name"])}">#</a></h3>{c_doc_html(it["doc"])}</section>')

    funcs = {f["name"]: f for f in items["function"]}
    placed: set = set()
    groups = []
    for gid, title, prefixes in C_GROUPS:
        names = [n for n in funcs if n not in placed and any(n == p or (p.endswith("_") and n.startswith(p)) for p in prefixes)]
        # Keep the header's order.
        groups.append((gid, title, names))
        placed.update(names)
    rest = [n for n in funcs if n not in placed]
    if rest:
        groups.append(("other", "Other functions", rest))
    for gid, title, names in groups:
        if not names:
            continue
        page.heading(2, esc(title), gid)
        page.add('<ul class="index">' + "".join(f'<li><a href="#{n}"><code>{n}</code></a></li>' for n in names) + "</ul>")
        for n in names:
            f = funcs[n]
            page.ids.add(n)
            page.add(f'<section class="item" id="{esc(n)}"><h3 class="sig"><code>{esc(format_c_decl(f["decl"]))}</code>'
                     f'<a class="anchor" href="#{esc(n)}">#</a></h3>{c_doc_html(f["doc"])}</section>')
    return {"functions": list(funcs), "enums": [e["name"] for e in items["enum"]], "opaque": [o["name"] for o in items["opaque"]]}


def c_symbols() -> List[str]:
    items = parse_header(read("include/surefoot.h"))
    names = [it["name"] for k in items for it in items[k]]
    names += [v["name"] for e in items["enum"] for v in e["variants"]]
    return names


# ----- the Python reference ----------------------------------------------------------------

PY_MODULES = [
    ("surefoot", "python/surefoot/__init__.py"),
    ("surefoot.exceptions", "python/surefoot/exceptions.py"),
    ("surefoot.testing", "python/surefoot/testing.py"),
    ("surefoot.pytest_plugin", "python/surefoot/pytest_plugin.py"),  # when present
]
NATIVE = "python/surefoot/_native.pyi"


def doc_after(body: Sequence[ast.stmt], idx: int) -> Optional[str]:
    if idx + 1 < len(body):
        nxt = body[idx + 1]
        if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
            return nxt.value.value
    return None


def all_names(tree: ast.Module) -> List[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [e.value for e in node.value.elts]  # type: ignore[attr-defined]
    return []


def walk_defs(body: Sequence[ast.stmt]):
    """Top-level definitions, also inside `try`/`if` blocks (a fixture defined only where
    pytest is installed), each with the docstring that follows an assignment."""
    for i, node in enumerate(body):
        if isinstance(node, (ast.Try,)):
            yield from walk_defs(node.body)
            yield from walk_defs(node.orelse)
        elif isinstance(node, ast.If):
            yield from walk_defs(node.body)
            yield from walk_defs(node.orelse)
        else:
            yield node, doc_after(body, i)


def signature(fn: ast.FunctionDef, drop_self: bool) -> str:
    args = fn.args
    a = ast.unparse(args)
    if drop_self:
        a = re.sub(r"^(self|cls)(, |$)", "", a)
    ret = f" -> {ast.unparse(fn.returns)}" if fn.returns else ""
    return f"({a}){ret}"


def decorators(fn: ast.FunctionDef) -> List[str]:
    return [ast.unparse(d) for d in fn.decorator_list]


HIDDEN_DUNDERS = {"__eq__", "__hash__", "__class_getitem__", "__str__", "__repr__", "__reduce__"}


class PyDoc:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.native = ast.parse(read(NATIVE))
        self.native_defs = {self.def_name(n): (n, d) for n, d in walk_defs(self.native.body) if self.def_name(n)}
        self.expected: List[str] = []

    @staticmethod
    def def_name(node: ast.stmt) -> Optional[str]:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            return node.name
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            return node.target.id
        return None

    def anchor(self, qual: str, html_sig: str, doc: Optional[str], cls: str = "item") -> None:
        self.page.ids.add(qual)
        self.expected.append(qual)
        d = rst_to_html(doc) if doc else ""
        self.page.add(f'<section class="{cls}" id="{esc(qual)}"><h3 class="sig">{html_sig}'
                      f'<a class="anchor" href="#{esc(qual)}">#</a></h3>{d}')

    def render_def(self, qual: str, node: ast.stmt, doc_after_node: Optional[str]) -> None:
        name = qual.rsplit(".", 1)[-1]
        if isinstance(node, ast.ClassDef):
            bases = ", ".join(ast.unparse(b) for b in node.bases)
            ctor = ""
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in ("__new__", "__init__"):
                    ctor = signature(item, True).split(" -> ")[0]
            sig = f'<span class="kw">class</span> <code>{esc(qual)}{esc(ctor)}</code>'
            if bases and not ctor:
                sig += f' <span class="bases">({esc(bases)})</span>'
            elif bases:
                sig += f' <span class="bases">— subclass of <code>{esc(bases)}</code></span>'
            self.anchor(qual, sig, ast.get_docstring(node, clean=False))
            self.render_members(qual, node)
            self.page.add("</section>")
        elif isinstance(node, ast.FunctionDef):
            sig = f'<span class="kw">def</span> <code>{esc(qual)}{esc(signature(node, False))}</code>'
            self.anchor(qual, sig, ast.get_docstring(node, clean=False))
            self.page.add("</section>")
        else:
            value = ""
            if isinstance(node, ast.Assign):
                value = ast.unparse(node.value)
                if "fixture" in value:
                    value = "a pytest fixture"
            elif isinstance(node, ast.AnnAssign):
                value = ast.unparse(node.annotation)
            sig = f'<code>{esc(qual)}</code> <span class="bases">{esc(value)}</span>'
            self.anchor(qual, sig, doc_after_node)
            self.page.add("</section>")

    def render_members(self, qual: str, cls: ast.ClassDef) -> None:
        rows: List[str] = []
        protocols: List[str] = []
        body = cls.body
        for i, item in enumerate(body):
            if isinstance(item, ast.FunctionDef):
                if item.name in ("__new__", "__init__") or item.name in HIDDEN_DUNDERS:
                    continue
                if item.name.startswith("_") and not item.name.startswith("__"):
                    continue
                if item.name.startswith("__"):
                    protocols.append(item.name)
                    continue
                decos = decorators(item)
                mqual = f"{qual}.{item.name}"
                doc = ast.get_docstring(item, clean=False)
                if "property" in decos:
                    ret = ast.unparse(item.returns) if item.returns else ""
                    head = f'<span class="kw">property</span> <code>{esc(item.name)}: {esc(ret)}</code>'
                else:
                    kw = "staticmethod " if "staticmethod" in decos else ""
                    head = f'<span class="kw">{kw}def</span> <code>{esc(item.name)}{esc(signature(item, "staticmethod" not in decos))}</code>'
                self.page.ids.add(mqual)
                self.expected.append(mqual)
                d = rst_to_html(doc) if doc else ""
                rows.append(f'<div class="member" id="{esc(mqual)}"><div class="msig">{head}'
                            f'<a class="anchor" href="#{esc(mqual)}">#</a></div>{d}</div>')
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                aname = item.target.id
                if aname.startswith("_"):
                    continue
                ann = ast.unparse(item.annotation)
                if ann.startswith("ClassVar[None]"):
                    continue
                mqual = f"{qual}.{aname}"
                doc = doc_after(body, i)
                self.page.ids.add(mqual)
                self.expected.append(mqual)
                d = rst_to_html(doc) if doc else ""
                rows.append(f'<div class="member" id="{esc(mqual)}"><div class="msig"><span class="kw">attribute</span> '
                            f'<code>{esc(aname)}: {esc(ann)}</code><a class="anchor" href="#{esc(mqual)}">#</a></div>{d}</div>')
        if protocols:
            names = {"__iter__": "iterable", "__next__": "iterator", "__aiter__": "async iterable",
                     "__anext__": "async iterator", "__enter__": "<code>with</code>", "__aenter__": "<code>async with</code>",
                     "__await__": "awaitable"}
            said = [names[p] for p in protocols if p in names]
            if said:
                rows.append(f'<div class="member protocols">Supports: {", ".join(dict.fromkeys(said))} '
                            f'(<code>{esc(", ".join(protocols))}</code>).</div>')
        if rows:
            self.page.add('<div class="members">' + "".join(rows) + "</div>")

    def module(self, modname: str, path: str) -> None:
        tree = ast.parse(read(path))
        self.page.heading(2, f"<code>{esc(modname)}</code>", modname)
        self.expected.append(modname)
        doc = ast.get_docstring(tree, clean=False)
        if doc:
            self.page.add(rst_to_html(doc))
        names = all_names(tree)
        own = {self.def_name(n): (n, d) for n, d in walk_defs(tree.body) if self.def_name(n)}
        imports = {a.asname or a.name: node.module for node in tree.body if isinstance(node, ast.ImportFrom)
                   for a in node.names if node.module}
        # Names a module imports from _native are documented from the stubs.
        for name in names:
            if name == "__version__":
                self.anchor(f"{modname}.__version__", f"<code>{modname}.__version__: str</code>",
                            "The version of the installed wheel, e.g. ``\"" + version() + "\"``.")
                self.page.add("</section>")
                continue
            source = imports.get(name)
            if source and source != "surefoot._native":
                # Documented in its own module: a pointer here.
                qual = f"{modname}.{name}"
                target = f"{source}.{name}"
                self.page.ids.add(qual)
                self.expected.append(qual)
                self.page.add(f'<div class="member" id="{esc(qual)}"><div class="msig"><code>{esc(qual)}</code> '
                              f'— re-exported from <a href="#{esc(target)}"><code>{esc(target)}</code></a></div></div>')
                continue
            if name in own:
                node, d = own[name]
                self.render_def(f"{modname}.{name}", node, d)
            elif name in self.native_defs:
                node, d = self.native_defs[name]
                self.render_def(f"{modname}.{name}", node, d)
            else:
                raise SystemExit(f"{path}: {name} is in __all__ but defined nowhere")
        self.documented.update(names)

    def build(self) -> None:
        self.documented: set = set()
        present = [path for _, path in PY_MODULES if (ROOT / path).is_file()]
        files = ", ".join(f"<code>{esc(p)}</code>" for p in present)
        self.page.add(f'<p>Generated from the stubs <code>{NATIVE}</code> and {files} '
                      '(read with <code>ast</code>, not imported: the wheel need not be built). Every public '
                      'name is documented under the module it is imported from. Times are seconds as '
                      '<code>float</code>.</p>')
        for modname, path in PY_MODULES:
            if (ROOT / path).is_file():
                self.module(modname, path)
        # The options every client constructor takes, and the emulator's configuration.
        self.page.heading(2, "Client options", "client-options")
        self.expected.append("client-options")
        self.page.add("<p>The keyword options of <code>Client</code>, <code>AsyncClient</code>, <code>Specala</code>, "
                      "<code>AsyncSpecala</code>, <code>PyAI</code> and <code>AsyncPyAI</code> "
                      "(<code>**options: Unpack[_ClientOptions]</code> in the stubs).</p>")
        self.typed_dict("_ClientOptions", "option")
        self.page.heading(2, "Emulator configuration", "emulator-config")
        self.expected.append("emulator-config")
        self.page.add("<p>The keywords of <code>surefoot.testing.Emulator(api, **config)</code> "
                      "(<code>_EmulatorConfig</code> in the stubs; described in the <code>surefoot.testing</code> docstring above).</p>")
        self.typed_dict("_EmulatorConfig", "config")
        # The helper classes reached through attributes (client.jobs, client.transcriptions…).
        native_all = all_names(self.native)
        helpers = [n for n in native_all if n not in self.documented]
        self.page.heading(2, "Types reached through attributes", "surefoot._native")
        self.expected.append("surefoot._native")
        self.page.add("<p>Classes of <code>surefoot._native</code> that are not imported by name: you get them from "
                      "a client's attributes (<code>client.jobs</code>, <code>client.transcriptions</code>, …) or "
                      "use them through <code>surefoot.testing</code>.</p>")
        for name in helpers:
            node, d = self.native_defs[name]
            self.render_def(f"surefoot._native.{name}", node, d)

    def typed_dict(self, name: str, prefix: str) -> None:
        node = self.native_defs[name][0]
        assert isinstance(node, ast.ClassDef)
        rows = []
        for i, item in enumerate(node.body):
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                key = item.target.id
                hid = f"{prefix}-{key}"
                self.page.ids.add(hid)
                self.expected.append(hid)
                doc = doc_after(node.body, i)
                d = rst_inline(inspect_cleandoc(doc)) if doc else ""
                rows.append(f'<tr id="{hid}"><td><code>{esc(key)}</code></td><td><code>{esc(ast.unparse(item.annotation))}</code></td><td>{d}</td></tr>')
        self.page.add('<div class="table"><table><thead><tr><th>Keyword</th><th>Type</th><th>Meaning</th></tr></thead>'
                      f'<tbody>{"".join(rows)}</tbody></table></div>')


def py_names() -> Dict[str, str]:
    """Anchors of the Python reference, known before it is rendered (for the guide's links)."""
    page = Page("python", "Python API")
    doc = PyDoc(page)
    doc.build()
    return {n: f"python.html#{n}" for n in page.ids if n.startswith("surefoot")}


# ----- the Rust page -----------------------------------------------------------------------


def first_paragraph(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("//!"):
            s = line[3:].strip()
            if not s and lines:
                break
            if s.startswith("#"):
                continue
            if s:
                lines.append(s)
        elif lines:
            break
    text = " ".join(lines)
    text = re.sub(r"\[`([^`\]]+)`\](\([^)]*\))?", r"`\1`", text)  # intra-doc links
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text


def build_rust(page: Page) -> None:
    page.add("<p>The Rust API is documented by rustdoc. <code>make doc</code> (part of <code>make test</code>) runs "
             "<code>cargo doc --workspace --no-deps</code>, which writes <code>target/doc</code> beside this site; "
             "the links below open it. Run <code>make doc</code> once if they do not resolve.</p>")
    crates = [
        ("surefoot", "crates/surefoot", "The core: clients, errors, retries, idempotency, pagination, pacing."),
        ("surefoot_emulator", "crates/surefoot-emulator", "Both APIs on loopback, with fault injection."),
    ]
    for crate, folder, _ in crates:
        lib = ROOT / folder / "src" / "lib.rs"
        page.heading(2, f"<code>{crate}</code>", f"crate-{crate}")
        page.add(f'<p class="rustdoc"><a href="../doc/{crate}/index.html">rustdoc: <code>{crate}</code></a> '
                 f'(<code>{esc(folder)}</code>)</p>')
        page.add(f"<p>{inline(first_paragraph(lib))}</p>")
        mods = re.findall(r"^pub mod (\w+);", lib.read_text(encoding="utf-8"), re.M)
        reexports = re.findall(r"^pub use (\w+)::\{?([\w, ]+)\}?;", lib.read_text(encoding="utf-8"), re.M)
        rows = ["| Module | What it holds |", "|---|---|"]
        for mod in mods:
            f = ROOT / folder / "src" / f"{mod}.rs"
            if not f.exists():
                f = ROOT / folder / "src" / mod / "mod.rs"
            summary = first_paragraph(f) if f.exists() else ""
            summary = re.split(r"(?<=[.:;])\s+(?=[A-Z])", summary)[0]  # its first sentence
            rows.append(f"| [`{crate}::{mod}`](../doc/{crate}/{mod}/index.html) | {summary.replace('|', '/')} |")
        if mods:
            page.add(table(rows, link_files=True))
        names = [(m, n.strip()) for m, group in reexports for n in group.split(",") if n.strip()]
        if names and crate == "surefoot":
            page.add("<p>Re-exported at the crate root: " + ", ".join(
                f'<a href="../doc/{crate}/{rust_item_file(ROOT / folder / "src", mods, m, n)}"><code>{crate}::{n}</code></a>'
                for m, n in names) + ".</p>")
    page.heading(2, "Examples", "examples")
    page.add("<p>The crate's examples (each starts an emulator when <code>PYAI_BASE_URL</code> / "
             "<code>SPECALA_BASE_URL</code> is not set):</p>")
    d_examples(page, ["crates/surefoot/examples", "*.rs"])


def rust_item_file(src: Path, pub_mods: List[str], module: str, name: str) -> str:
    """rustdoc's file for an item re-exported at the crate root: documented where it is
    defined when its module is public (`error/struct.Error.html`), inlined at the root
    when the module is private (`struct.Client.html`). The kind is read from the source."""
    kind = "struct"
    for f in sorted(src.rglob("*.rs")):
        m = re.search(r"^pub (struct|enum|type|trait|fn|const) " + re.escape(name) + r"\b", f.read_text(encoding="utf-8"), re.M)
        if m:
            kind = {"const": "constant"}.get(m.group(1), m.group(1))
            break
    where = f"{module}/" if module in pub_mods else ""
    return f"{where}{kind}.{name}.html"


RUST_CRATES = [("surefoot", "crates/surefoot"), ("surefoot_emulator", "crates/surefoot-emulator")]


def rust_links() -> Dict[str, str]:
    """rustdoc pages of the names the guide writes in code: each crate, its public modules,
    the items defined at a module's top level (`surefoot::pyai::Client`) and the ones
    re-exported at the crate root (`surefoot::Error`)."""
    out: Dict[str, str] = {}
    item_re = re.compile(r"^pub (struct|enum|type|trait|fn|const) (\w+)", re.M)
    # `surefoot::Error` is also a class of the C++ header: such names are not linked to Rust
    # (the guide links them by hand where it means Rust), nor is a bare crate name
    # (`surefoot` is also the command and the Python package).
    cpp = set(re.findall(r"^class (\w+)", read("include/surefoot.hpp"), re.M))
    for crate, folder in RUST_CRATES:
        src = ROOT / folder / "src"
        lib = (src / "lib.rs").read_text(encoding="utf-8")
        mods = re.findall(r"^pub mod (\w+);", lib, re.M)
        for mod in mods:
            out[f"{crate}::{mod}"] = f"../doc/{crate}/{mod}/index.html"
            f = src / f"{mod}.rs"
            if not f.exists():
                f = src / mod / "mod.rs"
            if f.exists():
                for kind, name in item_re.findall(f.read_text(encoding="utf-8")):
                    kind = {"const": "constant"}.get(kind, kind)
                    out[f"{crate}::{mod}::{name}"] = f"../doc/{crate}/{mod}/{kind}.{name}.html"
        for module, group in re.findall(r"^pub use (\w+)::\{?([\w, ]+)\}?;", lib, re.M):
            for name in (n.strip() for n in group.split(",")):
                if name:
                    out[f"{crate}::{name}"] = f"../doc/{crate}/{rust_item_file(src, mods, module, name)}"
    return {k: v for k, v in out.items() if not (k.startswith("surefoot::") and k.split("::", 1)[1] in cpp)}


# ----- page shell --------------------------------------------------------------------------


def nav_html(current: str, sections: List[Tuple[int, str, str]]) -> str:
    def group(title: str, entries: List[Tuple[str, str]]) -> str:
        lis = []
        for name, label in entries:
            cls = ' class="current"' if name == current else ""
            sub = ""
            if name == current:
                subs = [s for s in sections if s[0] == 2]
                if subs:
                    sub = '<ul class="toc">' + "".join(f'<li><a href="#{esc(i)}">{esc(t)}</a></li>' for _, i, t in subs) + "</ul>"
            lis.append(f'<li{cls}><a href="{name}.html">{esc(label)}</a>{sub}</li>')
        return f'<div class="group"><div class="group-title">{title}</div><ul>{"".join(lis)}</ul></div>'

    return group("Guide", GUIDE) + group("Reference", REFERENCE)


def shell(page: Page, ver: str) -> str:
    title = "surefoot" if page.name == "index" else f"{page.title} — surefoot"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="stylesheet" href="style.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="top"><a class="brand" href="index.html">surefoot</a><span class="version">{esc(ver)}</span>
<span class="tagline">one HTTP API client core for Rust, C/C++ and Python</span>
<a class="toplink" href="python.html">Python</a><a class="toplink" href="c.html">C</a><a class="toplink" href="rust.html">Rust</a></header>
<div class="layout">
<nav class="side">{nav_html(page.name, page.sections)}</nav>
<main id="content">
{chr(10).join(page.body)}
</main>
</div>
<footer>Generated by <code>docs/build.py</code> from the repository: every example and reference entry is read from its source file at build time.</footer>
</body>
</html>
"""


def build(out: Path) -> dict:
    ver = version()
    SITE.c_symbols = {n: f"c.html#{n}" for n in c_symbols()}
    SITE.rust = rust_links()
    SITE.py_names = py_names()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy(DOCS / "style.css", out / "style.css")
    manifest: dict = {"version": ver, "pages": {}}
    pages: List[Page] = []

    def from_markdown(name: str, title: str) -> Page:
        page = Page(name, title)
        src = (DOCS / "guide" / f"{name}.md").read_text(encoding="utf-8")
        render_markdown(src, page, DIRECTIVES)
        if not page.sections or page.sections[0][0] != 1:
            raise SystemExit(f"docs/guide/{name}.md must start with a # heading")
        return page

    index = from_markdown("index", "surefoot")
    pages.append(index)
    for name, title in GUIDE:
        pages.append(from_markdown(name, title))
    py = Page("python", "Python API")
    py.heading(1, "Python API reference", "python-api")
    short: Dict[str, List[str]] = {}
    for qual in SITE.py_names:
        parts = qual.split(".")
        if len(parts) == 2 or (len(parts) == 3 and parts[1] in ("exceptions", "testing", "_native")):
            short.setdefault(parts[-1], []).append(qual)
    def pick(quals: List[str]) -> Optional[str]:
        # A class re-exported by `surefoot` is linked where it is defined.
        defined = [q for q in quals if ".exceptions." in q or ".testing." in q] if len(quals) > 1 else quals
        return defined[0] if len(defined) == 1 else None

    SITE.py_short = {k: "#" + q for k, v in short.items() if k[:1].isupper() and (q := pick(v))}
    pydoc = PyDoc(py)
    pydoc.build()
    SITE.py_short = {}
    pages.append(py)
    c = Page("c", "C API")
    c.heading(1, "C API reference", "c-api")
    c_info = build_c(c)
    pages.append(c)
    rust = Page("rust", "Rust API")
    rust.heading(1, "Rust API reference", "rust-api")
    build_rust(rust)
    pages.append(rust)

    for page in pages:
        (out / f"{page.name}.html").write_text(shell(page, ver), encoding="utf-8")
        manifest["pages"][f"{page.name}.html"] = {
            "title": page.title,
            "h1": [i for l, i, _ in page.sections if l == 1],
            "h2": [i for l, i, _ in page.sections if l == 2],
        }
    manifest["pages"]["python.html"]["items"] = pydoc.expected
    manifest["pages"]["c.html"]["items"] = c_info["functions"] + c_info["enums"] + c_info["opaque"]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "target" / "docs"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_absolute():
        out = Path.cwd() / out
    manifest = build(out)
    n_items = sum(len(p.get("items", [])) for p in manifest["pages"].values())
    print(f"docs: {len(manifest['pages'])} pages written to {out} ({n_items} reference entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
