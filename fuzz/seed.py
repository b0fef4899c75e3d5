#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target from the conformance vectors
(tests/vectors/*.json) plus hand-written edge cases: `python3 fuzz/seed.py`. The corpus
under fuzz/corpus/<target>/ is committed; `make fuzz` grows it and `make test` replays it.
File names are content hashes, so re-running adds nothing twice."""

import base64
import hashlib
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent
VECTORS = ROOT.parent / "tests" / "vectors"


def write(target: str, data: bytes) -> None:
    # Nothing that looks like a live key goes into the committed corpus.
    data = data.replace(b"sk-live", b"sk-fake").replace(b"sk_live", b"sk_fake")
    d = ROOT / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def head(headers) -> bytes:
    if isinstance(headers, dict):
        headers = list(headers.items())
    return b"".join(f"{h[0]}: {h[1]}\n".encode() for h in headers or [])


def body_of(inp) -> bytes:
    if "body_json" in inp:
        return json.dumps(inp["body_json"]).encode()
    if "body_b64" in inp:
        return base64.b64decode(inp["body_b64"])
    return (inp.get("body") or "").encode()


def vectors(name: str):
    return json.loads((VECTORS / name).read_text())["vectors"]


for f in sorted(VECTORS.glob("errors-*.json")):
    for v in vectors(f.name):
        inp = v["input"]
        status = int(inp.get("status", 500)) - 100
        write("error_body", struct.pack("<H", status) + head(inp.get("headers")) + b"\n" + body_of(inp))

for v in vectors("retry-after.json"):
    inp = v["input"]
    write("retry_after", head(inp.get("headers")) + b"\n")
    for h in inp.get("headers") or []:
        write("retry_after", b"\n\n" + str(h[1]).encode())

for text in ["500/min", "20/s", "20/s burst 5", "10/2s", "1/0.5s", "100/ms", "3/h", "0/s", "1/0s",
             "5/ys", "1e9/s", "20/s burst 0", "20/ burst", "", "/", "4294967296/s", "1/366d",
             "20/s burst=5", "20/s, burst: 5", "NaN/s", "1/infs"]:
    write("rate_limit_str", text.encode())

for headers in [
    [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "3")],
    [("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "6m0s")],
    [("ratelimit-policy", "100;w=60")],
    [("ratelimit-policy", '"default";q=20;w=1'), ("ratelimit", '"default";r=0;t=4')],
    [("x-ratelimit-limit", "100, 100;w=60")],
    [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1790000100")],
    [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "Wed, 21 Oct 2026 07:28:00 GMT")],
    [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1h2m3.5s")],
    [("ratelimit-policy", "0;w=0"), ("ratelimit-limit", "1e400")],
    [("ratelimit", "r=0;t=99999999999999999999")],
]:
    write("rate_limit_headers", head(headers) + b"\n")

for f in ["security-keys.json", "security-urls.json"]:
    for v in vectors(f):
        inp = v["input"]
        key = inp.get("key", "sk-fake-0123456789abcdef")
        url = inp.get("url", "https://api.example.com")
        write("key_and_url", bytes([min(len(key), 255)]) + key.encode() + url.encode())
