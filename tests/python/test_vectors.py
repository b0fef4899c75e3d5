"""The shared conformance vectors (tests/vectors/*.json) through the Python surface: one test
per vector of every file (adding a file or a vector needs no change here), run through the
``surefoot`` clients themselves and compared with the vector's ``expected`` here, in Python
(the rule of tests/vectors/README.md, "Comparison"):

- ``errors``, ``retry_after``: ``Client.get`` against the replay server, the raised
  ``surefoot`` exception's ``status_code``, ``code``, ``kind``, ``retryable``,
  ``retry_after`` (seconds, compared as milliseconds), ``message`` and ``request_id``;
- ``retries``: ``Client.request`` against scripted answers: the attempts the replay server
  logged, the ``attempts`` of the response or exception, its ``stop_reason``, and whether
  every attempt sent the same idempotency key;
- ``pagination``: ``Client.paginate``, the requests' cursor and limit from the replay log;
- ``security``: ``Client(...)`` (keys, base URLs) and ``Client.get`` (a request URL carrying
  the key);
- ``idempotency``: ``PyAI.jobs.create`` against an emulator whose job route drops the
  connection after committing, counted by ``Emulator.stats()``;
- ``bulk``: ``PyAI.jobs.create_many`` against the emulator (stable ids through
  ``key="stable_id"``): the key each ``JobResult`` names, or the ``InvalidRequestError``
  raised before anything is sent.

``retry_decision`` and ``pacing`` vectors have no Python surface and ``options`` vectors have
their own runner (tests/vectors/README.md, "Runners"); they are not collected here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import surefoot
from surefoot._native import Replay
from surefoot.testing import Emulator

VECTORS_DIR = Path(__file__).resolve().parent.parent / "vectors"
MIN_VECTORS = 150
NUMBER_TOLERANCE = 0.001
#: Families Python runs; the others are documented in tests/vectors/README.md.
FAMILIES = ("errors", "retry_after", "retries", "pagination", "security", "idempotency", "bulk")
PYAI_KEY = "pyai_sk_full_0001"  # the emulator's default key (its README lists it)
JOBS_ROUTE = "POST /v1/transcription/jobs"
VECTOR_KEY = "vector-key-0001"  # the idempotency key a `retries` vector may ask for


def load_vectors() -> List[Tuple[str, str, int, Dict[str, Any]]]:
    """Every vector Python runs, as (file name, stem, index in its file, vector)."""
    out: List[Tuple[str, str, int, Dict[str, Any]]] = []
    for path in sorted(VECTORS_DIR.glob("*.json")):
        if path.name == "options.json":  # run by test_options_vectors.py
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        for i, vector in enumerate(doc["vectors"]):
            if vector.get("family") not in FAMILIES:
                continue
            # Python's paginate has no start cursor (a `cursor` param would go with every page).
            if "start_cursor" in vector.get("input", {}):
                continue
            out.append((path.name, path.stem, i, vector))
    return out


VECTORS = load_vectors()


@pytest.fixture(scope="module")
def replay() -> Iterator[Replay]:
    with Replay(VECTORS_DIR) as server:
        yield server


# ----- the comparison rule -------------------------------------------------------------


def _equal(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tolerance
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, NUMBER_TOLERANCE) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(v, b[k], NUMBER_TOLERANCE) for k, v in a.items())
    return type(a) is type(b) and bool(a == b)


def _show(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 300 else f"{s[:300]}… ({len(s)} characters)"


def compare(expected: Dict[str, Any], observed: Any, path: str = "") -> List[str]:
    """Every difference between ``expected`` and ``observed``."""
    if not isinstance(observed, dict):
        return [f"{path or '(result)'}: expected an object, observed {_show(observed)}"]
    diffs: List[str] = []
    for key, ev in expected.items():
        if key.endswith("_tolerance"):
            continue
        if key.endswith("_contains"):
            field = key[: -len("_contains")]
            got = observed.get(field)
            if not (isinstance(got, str) and isinstance(ev, str) and ev in got):
                diffs.append(f"{path}{field}: expected to contain {_show(ev)}, observed {_show(got)}")
            continue
        if key not in observed:
            diffs.append(f"{path}{key}: expected {_show(ev)}, but the observed result has no such member")
        elif isinstance(ev, dict):
            diffs.extend(compare(ev, observed[key], f"{path}{key}."))
        else:
            tolerance = expected.get(f"{key}_tolerance", NUMBER_TOLERANCE)
            if not _equal(ev, observed[key], tolerance):
                diffs.append(f"{path}{key}: expected {_show(ev)}, observed {_show(observed[key])}")
    return diffs


# ----- observing through the Python surface ---------------------------------------------


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else seconds * 1000.0


def error_json(e: surefoot.SurefootError) -> Dict[str, Any]:
    return {
        "status": e.status_code,
        "code": e.code,
        "kind": e.kind,
        "retryable": e.retryable,
        "retry_after_ms": _ms(e.retry_after),
        "message": e.message,
        "message_chars": len(e.message),
        "request_id": e.request_id,
    }


def plain_client(base: str, max_retries: int = 0, **options: Any) -> surefoot.Client:
    return surefoot.Client(base, max_retries=max_retries, pacing=False, backoff=(0.001, 0.001), **options)


def observe_call(base: str, retry_after: bool) -> Dict[str, Any]:
    with plain_client(base) as client:
        try:
            response = client.get("/call")
        except surefoot.SurefootError as e:
            if not retry_after:
                return error_json(e)
            if e.status_code != 429:
                return {"error": f"the 429 came back as {e!r}"}
            return {"wait_ms": "ignore" if e.retry_after is None else _ms(e.retry_after)}
    if retry_after:
        return {"error": f"the 429 came back as {response.status_code}"}
    return {"status": response.status_code, "succeeded": True}


def observe_retries(base: str, log_url: str, inp: Dict[str, Any]) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    if "max_retry_wait_ms" in inp:
        options["max_retry_wait"] = inp["max_retry_wait_ms"] / 1000.0
    out: Dict[str, Any] = {}
    with plain_client(base, inp.get("max_retries", 3), **options) as client:
        key = VECTOR_KEY if inp.get("idempotency_key") else None
        try:
            response = client.request(inp.get("method", "GET"), "/call", idempotency_key=key)
            out.update(outcome="ok", status=response.status_code, client_attempts=response.attempts)
        except surefoot.SurefootError as e:
            out.update(
                outcome="error",
                status=e.status_code,
                client_attempts=e.attempts,
                error_code=e.code,
                stop_reason=e.stop_reason,
                retry_after_ms=_ms(e.retry_after),
            )
    log = read_log(log_url)
    keys = [next((v for n, v in r["headers"] if n.lower() == "idempotency-key"), None) for r in log]
    out["attempts"] = len(log)
    out["same_idempotency_key"] = (
        None if all(k is None for k in keys) else all(k is not None and k == keys[0] for k in keys)
    )
    return out


def observe_pagination(base: str, log_url: str, inp: Dict[str, Any]) -> Dict[str, Any]:
    items: List[Any] = []
    failure: Optional[surefoot.SurefootError] = None
    with plain_client(base, inp.get("max_retries", 0), prefetch=bool(inp.get("prefetch", False))) as client:
        try:
            for item in client.paginate("/items", limit=inp.get("limit")):
                items.append(item)
                if len(items) > 100_000:
                    return {"error": "the walk yielded more than 100000 items"}
        except surefoot.SurefootError as e:
            failure = e
    log = read_log(log_url)
    return {
        "items": items,
        "cursors": [r["cursor"] for r in log],
        "limits": [r["limit"] for r in log],
        "stopped": "end" if failure is None else "error",
        "error_code": failure.code if failure else None,
        "error_kind": failure.kind if failure else None,
        "error_status": failure.status_code if failure else None,
        "error_message": failure.message if failure else None,
    }


def read_log(log_url: str) -> List[Dict[str, Any]]:
    base, _, path = log_url.partition("/log/")
    with plain_client(base) as client:
        requests: List[Dict[str, Any]] = client.get("/log/" + path).json()["requests"]
    return requests


def observe_security(base: str, inp: Dict[str, Any]) -> Dict[str, Any]:
    key: Optional[str] = inp.get("key")
    check = inp["check"]
    try:
        if check == "api_key":
            surefoot.Client(base, key).close()
        elif check == "base_url":
            surefoot.Client(inp["url"], allow_insecure_http=bool(inp.get("allow_insecure_http", False))).close()
        elif check == "url_has_no_key":
            rest = "/" + inp["url"].split("://", 1)[1].split("/", 1)[1]
            with plain_client(base, api_key=key) if key is not None else plain_client(base) as client:
                client.get(rest)
        else:
            return {"error": f"unknown check {check!r}"}
    except surefoot.SurefootError as e:
        trimmed = key.strip() if key is not None else ""
        return {
            "accepted": False,
            "code": e.code,
            "kind": e.kind,
            "message": e.message,
            "key_in_message": (trimmed in str(e) or trimmed in e.message) if len(trimmed) >= 8 else None,
        }
    return {"accepted": True, "code": None, "kind": None, "message": None, "key_in_message": None}


def observe_idempotency(inp: Dict[str, Any]) -> Dict[str, Any]:
    with Emulator("pyai") as emu:
        emu.inject(JOBS_ROUTE, "drop_after_processing", count=inp["drops"])
        options: Dict[str, Any] = {"backoff": (0.001, 0.005)}
        if "max_retries" in inp:
            options["max_retries"] = inp["max_retries"]
        out: Dict[str, Any] = {}
        with surefoot.PyAI(PYAI_KEY, emu.url, **options) as client:
            try:
                job = client.jobs.create(inp["audio_url"], idempotency_key=inp.get("idempotency_key"))
                out.update(outcome="created", audio_url=job.audio_url)
            except surefoot.SurefootError as e:
                out.update(outcome="error", error_code=e.code, error_kind=e.kind, idempotency_key=e.idempotency_key)
        stats = emu.stats()
    out.update(
        jobs_created=stats["jobs_created"],
        idempotent_replays=stats["idempotent_replays"],
        idempotency_conflicts=stats["idempotency_conflicts"],
        requests=sum(stats["requests"].get(JOBS_ROUTE, {}).values()),
    )
    return out


def observe_bulk(inp: Dict[str, Any]) -> Dict[str, Any]:
    items = [dict(i) for i in inp["items"]]
    by_id = any("stable_id" in i for i in items)
    out: Dict[str, Any] = {}
    with Emulator("pyai", no_rate_limits=True) as emu:
        with surefoot.PyAI(PYAI_KEY, emu.url, backoff=(0.001, 0.005)) as client:
            try:
                results = client.jobs.create_many(
                    items,
                    concurrency=inp.get("concurrency"),
                    key="stable_id" if by_id else None,
                )
                out.update(outcome="ran", keys=[r.idempotency_key for r in results])
            except surefoot.InvalidRequestError as e:
                out.update(outcome="refused", code=e.code, message=e.message)
        out["jobs_created"] = emu.stats()["jobs_created"]
    return out


def observe(replay: Replay, stem: str, index: int, vector: Dict[str, Any], session: str = "python") -> Dict[str, Any]:
    base = f"{replay.url}/v/{stem}/{index}/{session}"
    log_url = f"{replay.url}/log/{stem}/{index}/{session}"
    family, inp = vector["family"], vector["input"]
    if family == "errors":
        return observe_call(base, retry_after=False)
    if family == "retry_after":
        return observe_call(base, retry_after=True)
    if family == "retries":
        return observe_retries(base, log_url, inp)
    if family == "pagination":
        return observe_pagination(base, log_url, inp)
    if family == "security":
        return observe_security(base, inp)
    if family == "bulk":
        return observe_bulk(inp)
    return observe_idempotency(inp)


@pytest.mark.parametrize(
    "file,stem,index,vector",
    [pytest.param(f, s, i, v, id=str(v.get("name"))) for f, s, i, v in VECTORS],
)
def test_vector(replay: Replay, file: str, stem: str, index: int, vector: Dict[str, Any]) -> None:
    observed = observe(replay, stem, index, vector)
    expected = dict(vector["expected"])
    if vector["family"] == "security":
        expected.pop("url", None)  # the Python client does not give its parsed base URL back
    if "error" in observed:
        diffs = [f"the vector could not be run: {observed['error']}"]
    else:
        diffs = compare(expected, observed)
    assert not diffs, f"{file}: {vector.get('name')}: {'; '.join(diffs)}\n    observed: {_show(observed)}"


def test_there_are_at_least_150_vectors() -> None:
    assert len(VECTORS) >= MIN_VECTORS, f"only {len(VECTORS)} vectors in {VECTORS_DIR}"


def test_a_differing_vector_is_reported(replay: Replay) -> None:
    # The runner can fail: a wrong expectation for a real observation is a difference.
    file, stem, index, vector = next(v for v in VECTORS if v[3]["family"] == "retry_after")
    observed = observe(replay, stem, index, vector, session="mismatch")
    assert compare({"wait_ms": 123456789}, observed)[0].startswith("wait_ms: expected 123456789, observed ")
