"""The ``options`` vectors (tests/vectors/options.json) through the Python constructor: each
vector's value becomes one keyword of ``surefoot.Client(base_url, **{option: value})`` (a
rate limit given as parts becomes ``surefoot.RateLimit(**parts)``, a ``backoff`` pair a
tuple); a refusal must be a ``surefoot.InvalidRequestError`` with the vector's code and
message, an acceptance must read back the vector's meaning through
``client.describe_option``. Every vector runs: Python can express them all."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List

import pytest

import surefoot

VECTORS_FILE = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "options.json"
SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def load() -> List[Dict[str, Any]]:
    doc = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    vectors: List[Dict[str, Any]] = doc["vectors"]
    return vectors


VECTORS = load()


def value(v: Any) -> Any:
    """A vector's JSON value as a Python caller writes it."""
    if isinstance(v, dict):
        if set(v) == {"special"}:
            return SPECIAL[v["special"]]
        return {k: value(x) for k, x in v.items()}
    if isinstance(v, list):
        return tuple(value(x) for x in v)
    return v


def observe(option: str, raw: Any) -> Dict[str, Any]:
    given = value(raw)
    base_url = given if option == "base_url" else "http://127.0.0.1:9"
    kwargs: Dict[str, Any] = {} if option == "base_url" else {option: given}
    try:
        if option == "rate_limit" and isinstance(given, dict):
            kwargs[option] = surefoot.RateLimit(**given)
        client = surefoot.Client(base_url, **kwargs)
    except surefoot.InvalidRequestError as e:
        return {"accepted": False, "code": e.code, "message": e.message}
    with client:
        return {"accepted": True, "meaning": client.describe_option(option)}


def test_the_file_holds_only_option_vectors() -> None:
    assert len(VECTORS) >= 100
    names = [v["name"] for v in VECTORS]
    assert len(set(names)) == len(names)
    for v in VECTORS:
        assert v["family"] == "options"
        assert set(v) <= {"family", "name", "readme", "input", "expected"}, v["name"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_option_vector(vector: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # The default pacing store is the in-process one only without this variable.
    monkeypatch.delenv("SUREFOOT_PACING_STORE", raising=False)
    observed = observe(vector["input"]["option"], vector["input"]["value"])
    assert observed == vector["expected"]


def test_an_unknown_name_for_describe_option_is_refused() -> None:
    with surefoot.Client("http://127.0.0.1:9") as client:
        with pytest.raises(surefoot.InvalidRequestError, match='unknown option "nope"'):
            client.describe_option("nope")
