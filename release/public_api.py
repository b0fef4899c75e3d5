#!/usr/bin/env python3
"""The public Rust API of a crate as sorted text lines, read from rustdoc's JSON, and the
semver check `make compat-rust` runs with it (release/README.md).

    public_api.py list  CRATE.json              print the API, one item per line
    public_api.py check CRATE.json BASELINE.txt VERSION

Every line is one thing a user can name or rely on: a module, a type, a function or method
with its signature, a field, a variant, a trait with its required items, an implemented
trait (auto traits such as Send and Sync included), a constant. Three lines carry the rules
that make additions breaking: an exhaustive enum lists its variants, a struct a user can
build with a literal lists its fields, a trait lists its required items. `check` fails when a
baseline line is missing from the current API (an item removed, a signature changed, one of
those lists changed) unless VERSION is a semver-breaking step from the baseline's version
(before 1.0 the minor, after it the major). rustdoc's item ids never appear in the lines, so
the text is stable from one build to the next.

cargo-semver-checks, with many more lints, runs in `make compat-semver` (its build takes
longer than `make test` can spend: release/README.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

Json = Any


def strip_ids(value: Json) -> Json:
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in sorted(value.items()) if k != "id"}
    if isinstance(value, list):
        return [strip_ids(v) for v in value]
    return value


class Api:
    def __init__(self, doc: Json) -> None:
        self.index: Dict[str, Json] = doc["index"]
        self.paths: Dict[str, Json] = doc.get("paths", {})
        self.root = str(doc["root"])
        self.crate = self.index[self.root]["name"]
        self.lines: Set[str] = set()
        self.seen: Set[Tuple[str, str]] = set()

    # -- types ---------------------------------------------------------------------------
    def ty(self, t: Json) -> str:
        if t is None:
            return "()"
        (kind, v), = t.items()
        if kind == "resolved_path":
            return self.path_name(v) + self.args(v.get("args"))
        if kind == "primitive" or kind == "generic":
            return str(v)
        if kind == "borrowed_ref":
            life = f"{v['lifetime']} " if v.get("lifetime") else ""
            return f"&{life}{'mut ' if v['is_mutable'] else ''}{self.ty(v['type'])}"
        if kind == "raw_pointer":
            return f"*{'mut' if v['is_mutable'] else 'const'} {self.ty(v['type'])}"
        if kind == "tuple":
            return "(" + ", ".join(self.ty(x) for x in v) + ")"
        if kind == "slice":
            return f"[{self.ty(v)}]"
        if kind == "array":
            return f"[{self.ty(v['type'])}; {v['len']}]"
        if kind in ("impl_trait", "dyn_trait"):
            bounds = v if kind == "impl_trait" else [{"trait_bound": b} for b in v["traits"]]
            word = "impl" if kind == "impl_trait" else "dyn"
            return f"{word} " + " + ".join(self.bound(b) for b in bounds)
        if kind == "qualified_path":
            trait = self.ty({"resolved_path": v["trait"]}) if v.get("trait") else "?"
            return f"<{self.ty(v['self_type'])} as {trait}>::{v['name']}"
        return json.dumps(strip_ids(t), sort_keys=True)

    def path_name(self, v: Json) -> str:
        """A type's or trait's name, independent of how the source spelled its path and of
        where it is defined: the crate's own items may move between modules behind
        re-exports, and other crates' items between their modules (serde's traits now live
        in serde_core) without any change for a user."""
        known = self.paths.get(str(v.get("id")))
        if known is not None:
            return str(known["path"][-1])
        return str(v["path"]).split("::")[-1]

    def variant_kind(self, kind: Json) -> str:
        if kind == "plain":
            return ""
        if "tuple" in kind:
            return "(" + ", ".join(self.ty(self.index[str(f)]["inner"]["struct_field"]) if f is not None else "_" for f in kind["tuple"]) + ")"
        if "struct" in kind:
            fields = [self.index[str(f)] for f in kind["struct"]["fields"]]
            return " { " + ", ".join(f"{f['name']}: {self.ty(f['inner']['struct_field'])}" for f in fields) + " }"
        return json.dumps(strip_ids(kind), sort_keys=True)

    def args(self, a: Json) -> str:
        if not a:
            return ""
        if "angle_bracketed" in a:
            parts = []
            for g in a["angle_bracketed"]["args"]:
                (k, v), = g.items()
                parts.append(self.ty(v) if k == "type" else str(v) if k == "lifetime" else json.dumps(strip_ids(v)))
            for c in a["angle_bracketed"].get("constraints", []):
                eq = (c.get("binding") or {}).get("equality") or {}
                if "type" in eq:
                    parts.append(f"{c['name']}{self.args(c.get('args'))} = {self.ty(eq['type'])}")
                else:
                    parts.append(json.dumps(strip_ids(c), sort_keys=True))
            return "<" + ", ".join(parts) + ">" if parts else ""
        if "parenthesized" in a:
            p = a["parenthesized"]
            out = f" -> {self.ty(p['output'])}" if p.get("output") else ""
            return "(" + ", ".join(self.ty(x) for x in p["inputs"]) + ")" + out
        return json.dumps(strip_ids(a), sort_keys=True)

    def bound(self, b: Json) -> str:
        if "trait_bound" in b:
            tb = b["trait_bound"]
            return ("?" if tb.get("modifier") == "maybe" else "") + self.ty({"resolved_path": tb["trait"]})
        if "outlives" in b:
            return str(b["outlives"])
        return json.dumps(strip_ids(b), sort_keys=True)

    def generics(self, g: Json) -> str:
        params, where = self.generics_parts(g)
        return params + where

    def generics_parts(self, g: Json) -> Tuple[str, str]:
        params = []
        for p in g.get("params", []):
            kind = p["kind"]
            if "type" in kind:
                if kind["type"].get("is_synthetic"):
                    continue
                bounds = " + ".join(self.bound(b) for b in kind["type"].get("bounds", []))
                params.append(p["name"] + (f": {bounds}" if bounds else ""))
            elif "const" in kind:
                params.append(f"const {p['name']}: {self.ty(kind['const']['type'])}")
            else:
                params.append(p["name"])
        out = "<" + ", ".join(params) + ">" if params else ""
        preds = []
        for w in g.get("where_predicates", []):
            bp = w.get("bound_predicate")
            if bp is not None and not bp.get("generic_params"):
                preds.append(f"{self.ty(bp['type'])}: " + " + ".join(self.bound(b) for b in bp["bounds"]))
            else:
                preds.append(json.dumps(strip_ids(w), sort_keys=True))
        return out, (" where " + ", ".join(preds) if preds else "")

    def fn_sig(self, f: Json) -> str:
        h = f.get("header", {})
        quals = "".join(w + " " for w, on in (("const", h.get("is_const")), ("async", h.get("is_async")), ("unsafe", h.get("is_unsafe"))) if on)
        inputs = ", ".join(f"{n}: {self.ty(t)}" for n, t in f["sig"]["inputs"])
        out = f["sig"].get("output")
        params, where = self.generics_parts(f.get("generics", {}))
        return f"{quals}fn{params}({inputs})" + (f" -> {self.ty(out)}" if out else "") + where

    # -- items ---------------------------------------------------------------------------
    def add(self, line: str) -> None:
        self.lines.add(line)

    @staticmethod
    def non_exhaustive(item: Json) -> bool:
        return any("non_exhaustive" in str(a) for a in item.get("attrs", []))

    def walk(self, item_id: str, path: str) -> None:
        if (item_id, path) in self.seen or item_id not in self.index:
            return
        self.seen.add((item_id, path))
        item = self.index[item_id]
        (kind, v), = item["inner"].items()
        if kind == "module":
            if item_id != self.root:
                self.add(f"mod {path}")
            for child in v["items"]:
                self.child(str(child), path)
        elif kind in ("struct", "enum", "union"):
            self.add(f"{kind} {path}{self.generics(v.get('generics', {}))}")
            self.members(item, kind, v, path)
        elif kind == "trait":
            self.add(f"trait {path}{self.generics(v.get('generics', {}))}" + (" (unsafe)" if v.get("is_unsafe") else ""))
            required = []
            for m in v["items"]:
                mi = self.index[str(m)]
                (mk, mv), = mi["inner"].items()
                if mk == "function":
                    self.add(f"trait-fn {path}::{mi['name']}: {self.fn_sig(mv)}")
                    if not mv.get("has_body"):
                        required.append(mi["name"])
                elif mk in ("assoc_type", "assoc_const"):
                    self.add(f"trait-{mk} {path}::{mi['name']}")
                    if mv.get("type") is None and mv.get("value") is None:
                        required.append(mi["name"])
            self.add(f"trait-required {path}: {', '.join(sorted(required))}")
        elif kind == "function":
            self.add(f"fn {path}: {self.fn_sig(v)}")
        elif kind in ("constant", "static"):
            self.add(f"{kind} {path}: {self.ty(v.get('type'))}")
        elif kind == "type_alias":
            self.add(f"type {path} = {self.ty(v['type'])}")
        elif kind == "macro":
            self.add(f"macro {path}")
        else:
            self.add(f"{kind} {path}")

    def child(self, cid: str, parent: str) -> None:
        item = self.index.get(cid)
        if item is None or item.get("visibility") != "public":
            return
        (kind, v), = item["inner"].items()
        if kind == "use":
            target = str(v["id"]) if v.get("id") is not None else None
            if v.get("is_glob"):
                if target in self.index:
                    for child in self.index[target]["inner"]["module"]["items"]:
                        self.child(str(child), parent)
                return
            if target in self.index:
                self.walk(target, f"{parent}::{v['name']}")
            else:
                self.add(f"use {parent}::{v['name']} = {v['source']}")
            return
        self.walk(cid, f"{parent}::{item['name']}")

    def members(self, item: Json, kind: str, v: Json, path: str) -> None:
        if kind == "struct":
            sk = v["kind"]
            fields: List[str] = []
            hidden = False
            if isinstance(sk, dict) and "plain" in sk:
                fields, hidden = [str(f) for f in sk["plain"]["fields"]], sk["plain"].get("has_stripped_fields", False)
            elif isinstance(sk, dict) and "tuple" in sk:
                hidden = any(f is None for f in sk["tuple"])
                fields = [str(f) for f in sk["tuple"] if f is not None]
            names = []
            for f in fields:
                fi = self.index[f]
                names.append(fi["name"])
                self.add(f"field {path}::{fi['name']}: {self.ty(fi['inner']['struct_field'])}")
            if not hidden and not self.non_exhaustive(item):
                self.add(f"struct-literal {path}: {', '.join(names)}")
        elif kind == "enum":
            names = []
            for var in v["variants"]:
                vi = self.index[str(var)]
                names.append(vi["name"])
                self.add(f"variant {path}::{vi['name']}{self.variant_kind(vi['inner']['variant']['kind'])}")
            if not self.non_exhaustive(item):
                self.add(f"enum-exhaustive {path}: {', '.join(names)}")
        for impl_id in v.get("impls", []):
            impl = self.index[str(impl_id)]["inner"]["impl"]
            if impl.get("blanket_impl") is not None:
                continue
            if impl.get("trait") is not None:
                neg = "!" if impl.get("is_negative") else ""
                self.add(f"impl {neg}{self.ty({'resolved_path': impl['trait']})} for {path}")
                continue
            for m in impl["items"]:
                mi = self.index[str(m)]
                if mi.get("visibility") != "public":
                    continue
                (mk, mv), = mi["inner"].items()
                if mk == "function":
                    self.add(f"method {path}::{mi['name']}: {self.fn_sig(mv)}")
                else:
                    self.add(f"{mk} {path}::{mi['name']}")


def api_lines(json_path: str) -> List[str]:
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    api = Api(doc)
    api.walk(api.root, api.crate)
    return sorted(api.lines)


def breaking_step(old: str, new: str) -> bool:
    o = [int(x) for x in old.split("-")[0].split(".")]
    n = [int(x) for x in new.split("-")[0].split(".")]
    return n[0] > o[0] or (o[0] == 0 and n[0] == 0 and n[1] > o[1])


def main(argv: List[str]) -> int:
    if len(argv) == 3 and argv[1] == "list":
        print("\n".join(api_lines(argv[2])))
        return 0
    if len(argv) != 5 or argv[1] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    current = set(api_lines(argv[2]))
    with open(argv[3], encoding="utf-8") as f:
        text = f.read().splitlines()
    head: Optional[str] = text[0] if text and text[0].startswith("# ") else None
    base_version = head.split()[2].rstrip(":") if head else "0.0.0"
    baseline = {line for line in text if line and not line.startswith("#")}
    removed = sorted(baseline - current)
    added = sorted(current - baseline)
    for line in added:
        print(f"  added:   {line}")
    for line in removed:
        print(f"  removed: {line}")
    print(f"public Rust API: {len(current)} items; {len(added)} added, {len(removed)} removed or changed since {base_version} ({argv[3]})")
    if removed and not breaking_step(base_version, argv[4]):
        print(f"error: the public Rust API breaks compatibility with {base_version} (the lines marked removed)", file=sys.stderr)
        print(f"       but the version is {argv[4]}: keep the API, or move to the next minor version before 1.0", file=sys.stderr)
        print("       (major after) in Cargo.toml, note it in CHANGELOG.md, and run `make compat-baseline` at the release", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
