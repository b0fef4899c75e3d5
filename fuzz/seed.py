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
    # Nothing that looks like a key of a real service goes into the committed corpus (the
    # vectors' `sk-…` keys become `tk-…`, the same length).
    data = data.replace(b"sk-", b"tk-").replace(b"sk_live", b"testkey")
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
    # IETF structured fields (draft-ietf-httpapi-ratelimit-headers): several policies,
    # partition keys, quoted names with escapes, inner lists, parameters of every type.
    [("ratelimit-policy", '"burst";q=100;w=60,"daily";q=1000;w=86400'),
     ("ratelimit", '"burst";r=0;t=30,"daily";r=500;t=3600')],
    [("ratelimit-policy", '"p";q=10;w=1;pk=:cHJvamVjdDEyMw==:'), ("ratelimit", '"p";r=0;t=1;pk=:cHJvamVjdDEyMw==:')],
    [("ratelimit-policy", '"a\\"b";q=5;w=2'), ("ratelimit", '"a\\"b";r=0;t=2')],
    [("ratelimit-policy", '("a" "b");q=5'), ("ratelimit", '("a");r=?0;t=?1')],
    [("ratelimit-policy", '"q";q=-1;w=-60'), ("ratelimit", '"q";r=-1;t=-5')],
    [("ratelimit-policy", '"q";q=0;w=0'), ("ratelimit", '"q";r=0;t=0')],
    [("ratelimit-policy", '"q";q=4294967296;w=1e308'), ("ratelimit", '"q";r=18446744073709551616;t=inf')],
    [("ratelimit-policy", '"q";q=10.5;w=0.001'), ("ratelimit", '"q";r=1.5;t=0.0001')],
    [("ratelimit-policy", '"q";Q=10;W=1'), ("ratelimit", '"q";R=0;T=1')],
    [("ratelimit-policy", '"q";q="10";w="60"'), ("ratelimit", '"q";r="0";t="nan"')],
    [("ratelimit-policy", ';;;,,,=;=='), ("ratelimit", '=,=;r;t')],
    [("ratelimit-policy", '"q";q=10;w=60;qu="requests";comment="x"'), ("ratelimit", '"q";r=0;t=5')],
    [("ratelimit", "limit=10, remaining=0, reset=5")],
    [("ratelimit-limit", "10"), ("ratelimit-remaining", "0"), ("ratelimit-reset", "5")],
    [("ratelimit-limit", "10, 10;window=1, 50;window=60"), ("ratelimit-remaining", "0")],
    [("x-ratelimit-policy", '"x";q=3;w=1')],
    [("ratelimit-policy", '"a";q=1;w=1'), ("ratelimit-policy", '"b";q=2;w=2')],
]:
    write("rate_limit_headers", head(headers) + b"\n")

for f in ["security-keys.json", "security-urls.json"]:
    for v in vectors(f):
        inp = v["input"]
        key = inp.get("key", "test-key-not-a-secret-00")
        url = inp.get("url", "https://api.example.com")
        write("key_and_url", bytes([min(len(key), 255)]) + key.encode() + url.encode())

# List pages in every shape a server may send: the brief's envelope, the minimal form
# (`object`, `has_more`, no `next_cursor` on the last page), wrong types, nesting, ids as
# numbers, empty cursors, not an object.
for page in [
    {"data": [{"id": "a"}, {"id": "b"}], "next_cursor": "c1"},
    {"data": [{"id": "a"}], "next_cursor": None},
    {"data": [{"id": "a"}]},
    {"object": "list", "data": [{"id": "job_1", "status": "queued"}], "has_more": True, "next_cursor": "c2"},
    {"object": "list", "data": [{"id": "job_1", "status": "done"}], "has_more": False},
    {"data": [], "has_more": True},
    {"data": [], "next_cursor": ""},
    {"data": [{"id": 7}, {"id": 1.5}, {"id": -0}, {"id": 1e300}], "next_cursor": "x"},
    {"data": [{"id": ""}, {"id": None}, {"title": "no id"}]},
    {"data": [1, "two", None, True, [], {}]},
    {"data": {"id": "a"}},
    {"data": None},
    {"items": [{"id": "a"}], "next": "c"},
    {"data": [{"id": "a"}], "next_cursor": 5},
    {"data": [{"id": "a"}], "next_cursor": ["c"]},
    {"data": [{"id": "a"}], "next_cursor": {"cursor": "c"}},
    {"data": [{"id": "a"}], "next_cursor": True},
    {"data": [{"id": "a"}], "next_cursor": "\u0000\n\r"},
    {"data": [{"id": "t", "title": None, "language": 3, "duration_seconds": "12", "created_at": "2026-13-40T99:99:99Z", "text": {}}]},
    {"data": [{"id": "t", "created_at": 1e20}, {"id": "u", "created_at": -1}, {"id": "v", "created_at": "1790000000.5"}]},
    {"data": [{"id": "j", "status": ["queued"], "audio_url": 1, "metadata": "m", "created_at": 1790000000.123456789}]},
    {"data": [{"id": "k", "name": "ci", "key": "test-key-not-a-secret-00", "created_at": None}]},
    {"data": [{"id": "e", "content": "# hi", "format": "md"}, {"id": "f", "content": None}]},
    {"data": [{"id": "a"}], "data_": [], "DATA": [], "next_cursor": "c", "has_more": "yes"},
]:
    write("list_page", json.dumps(page).encode())
for raw in [b"", b"null", b"[]", b"[{\"id\": \"a\"}]", b"\"data\"", b"42", b"{",
            b'{"data": [{"id": "a"}], "data": []}', b'{"data": [' + b'{"id": "x"},' * 50 + b'{"id": "y"}]}',
            b'{"data": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}', b'{"data": [{"id": "\xff"}]}']:
    write("list_page", raw)

# The C entry points' string arguments: a flags byte (API profile, insecure HTTP, page
# limit), then NUL-separated strings in the order of fuzz/src/c_strings.rs: base URL, key,
# surface prefix, endpoint, path template, field, server name, header name, header value,
# user agent, pacing store URL, method, request path, body, idempotency key, audio URL,
# language, metadata JSON, two export ids, export format, agent id.
def c_args(flags: int, *strings: str) -> bytes:
    return bytes([flags]) + b"\0".join(s.encode() for s in strings)

for flags, args in [
    (0x02, ["http://127.0.0.1:8080", "pyai_sk_full_0001", "/v1/transcription", "pyai.job", "/v2/jobs/{id}",
            "created_at", "created", "x-trace", "1", "surefoot-fuzz/1", "memory", "GET", "/v1/transcription/jobs",
            "", "idem-0001", "https://example.com/a.wav", "en", '{"batch": 7}', "t1", "t2", "md", "agent-1"]),
    (0x01, ["https://api.specala.example", "spk_alpha_pro_0001", "/v1/keys", "specala.keys", "/v1/api-keys",
            "data", "items", "accept", "application/json", "ua", "redis://127.0.0.1:1/0", "post", "/v1/things",
            '{"a": 1}', "", "https://example.com/b.wav", "", "", "", "", "txt", ""]),
    (0x10, ["http://api.pyai.com", "test-key-not-a-secret-00 ", "", "", "", "", "", "Authorization", "Bearer x",
            "", "", "", ""]),
    (0x20, ["ftp://x", "testkey\nnewline", "*", "no.such.endpoint", "no-slash", "no_such_field", "x",
            "bad header", "v\r\nx: y", "\x7f", "redis://", "GE T", "/v1/x?api_key=test-key-not-a-secret-00"]),
    (0xff, ["http://[::1]:9", "test-key-not-a-secret-00", "/a", "pyai.job", "/v2/jobs", "id", "", "x", "y",
            "", "rediss://user:test-key-not-a-secret-00@host/0", "DELETE", "http://other.example/x",
            "not json", "key with space", "", "", "[1,2]", "", "", "html", "a\u00e9"]),
    (0x43, ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]),
    (0x03, ["http://127.0.0.1:1", "test-key-not-a-secret-00", "/v1/", "pyai.jobs", "/v1/{id}/{id}", "next_cursor",
            "next", "", "", "", "memory", "PATCH", "//evil.example/x", "", "\u00ff", "https://example.com/\u00e9.wav",
            "en", "{", "../../etc", "%00", "md", "agent"]),
]:
    write("c_strings", c_args(flags, *args))
write("c_strings", b"\x00" + b"\xff\xfe\x00" * 22)
write("c_strings", b"\x02" + b"\x00" * 40)
