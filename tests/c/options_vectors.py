#!/usr/bin/env python3
"""Turns tests/vectors/options.json into a C header for tests/c/test_options.c: every vector
as a `sf_ov_vector` whose input value is a tree of `sf_jv` nodes (JSON types kept, the
`{"special": "nan"|"inf"|"-inf"}` values as doubles). Only the data is translated: which
setter a value goes to, and what is compared, is the C runner's own code.

    python3 tests/c/options_vectors.py tests/vectors/options.json OUT.h
"""

import json
import sys

SPECIAL = {"nan": "NAN", "inf": "INFINITY", "-inf": "(-INFINITY)"}


def c_string(s):
    """A C string literal of the UTF-8 bytes of `s` (octal escapes, no trigraphs)."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if 0x20 <= b < 0x7F and c not in '"\\?':
            out.append(c)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


class Emitter:
    def __init__(self):
        self.decls = []
        self.count = 0

    def node(self, v):
        """The C initializer of one `sf_jv` for `v` (children emitted as arrays first)."""
        if v is None:
            return "{SF_JV_NULL, 0, 0, 0.0, NULL, 0, NULL, NULL}"
        if isinstance(v, bool):
            return "{SF_JV_BOOL, %d, 0, 0.0, NULL, 0, NULL, NULL}" % int(v)
        if isinstance(v, int):
            if not -(2**63) <= v < 2**63:
                raise SystemExit(f"integer {v} does not fit an int64 (and JSON runners differ)")
            return "{SF_JV_INT, 0, %dLL, 0.0, NULL, 0, NULL, NULL}" % v if v != -(2**63) else \
                "{SF_JV_INT, 0, (-9223372036854775807LL - 1), 0.0, NULL, 0, NULL, NULL}"
        if isinstance(v, float):
            return "{SF_JV_FLOAT, 0, 0, %r, NULL, 0, NULL, NULL}" % v
        if isinstance(v, str):
            return "{SF_JV_STRING, 0, 0, 0.0, %s, 0, NULL, NULL}" % c_string(v)
        if isinstance(v, dict) and set(v) == {"special"}:
            return "{SF_JV_FLOAT, 0, 0, %s, NULL, 0, NULL, NULL}" % SPECIAL[v["special"]]
        if isinstance(v, list):
            items = self.array([self.node(x) for x in v])
            return "{SF_JV_ARRAY, 0, 0, 0.0, NULL, %d, NULL, %s}" % (len(v), items)
        if isinstance(v, dict):
            keys = self.keys(list(v))
            items = self.array([self.node(x) for x in v.values()])
            return "{SF_JV_OBJECT, 0, 0, 0.0, NULL, %d, %s, %s}" % (len(v), keys, items)
        raise SystemExit(f"unexpected JSON value {v!r}")

    def array(self, inits):
        if not inits:
            return "NULL"
        self.count += 1
        name = f"sf_jv_{self.count}"
        self.decls.append(f"static const sf_jv {name}[] = {{{', '.join(inits)}}};")
        return name

    def keys(self, names):
        if not names:
            return "NULL"
        self.count += 1
        name = f"sf_jv_keys_{self.count}"
        literals = ", ".join(c_string(k) for k in names)
        self.decls.append(f"static const char *const {name}[] = {{{literals}}};")
        return name


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    em = Emitter()
    rows = []
    for v in doc["vectors"]:
        if v["family"] != "options":
            raise SystemExit(f"{v['name']}: family {v['family']!r} in options.json")
        exp = v["expected"]
        value = em.node(v["input"]["value"])
        if exp["accepted"]:
            tail = "1, %s, NULL, NULL" % c_string(exp["meaning"])
        else:
            tail = "0, NULL, %s, %s" % (c_string(exp["code"]), c_string(exp["message"]))
        rows.append("    {%s, %s, %s, %s}," % (c_string(v["name"]), c_string(v["input"]["option"]), value, tail))
    with open(out, "w", encoding="utf-8") as f:
        f.write("/* Generated from %s by tests/c/options_vectors.py: do not edit. */\n" % src)
        f.write("#include <math.h>\n\n")
        f.write("\n".join(em.decls) + "\n\n")
        f.write("static const sf_ov_vector SF_OPTION_VECTORS[] = {\n")
        f.write("\n".join(rows) + "\n};\n")
        f.write("#define SF_OPTION_VECTOR_COUNT %d\n" % len(rows))


if __name__ == "__main__":
    main()
