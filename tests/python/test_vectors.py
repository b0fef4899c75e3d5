"""The shared conformance vectors (tests/vectors/*.json) through the Python binding: one test
per vector of every file (adding a file or a vector needs no change here), each passed alone as
JSON to ``surefoot._native.conformance_check``, which runs it through the core and compares it
with its ``expected``, exactly as the Rust and C runners do. A failure names the file and the
vector and shows the difference and what the core observed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from surefoot._native import conformance_check

VECTORS_DIR = Path(__file__).resolve().parent.parent / "vectors"
MIN_VECTORS = 150


def load_vectors() -> List[Tuple[str, Dict[str, Any]]]:
    """Every vector, in file order, as (file name, vector)."""
    out: List[Tuple[str, Dict[str, Any]]] = []
    for path in sorted(VECTORS_DIR.glob("*.json")):
        if path.name == "options.json":  # run by test_options_vectors.py
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        out.extend((path.name, vector) for vector in doc["vectors"])
    return out


VECTORS = load_vectors()


def check(vector: Dict[str, Any]) -> Dict[str, Any]:
    verdict: Dict[str, Any] = json.loads(conformance_check(json.dumps(vector)))
    return verdict


@pytest.mark.parametrize(
    "file,vector",
    [pytest.param(file, vector, id=str(vector.get("name"))) for file, vector in VECTORS],
)
def test_vector(file: str, vector: Dict[str, Any]) -> None:
    verdict = check(vector)
    assert verdict["ok"] is True, (
        f"{file}: {vector.get('name')}: {verdict['diff']}\n"
        f"    observed: {json.dumps(verdict['observed'], ensure_ascii=False)}"
    )


def test_there_are_at_least_150_vectors() -> None:
    assert len(VECTORS) >= MIN_VECTORS, f"only {len(VECTORS)} vectors in {VECTORS_DIR}"


def test_a_differing_vector_is_reported() -> None:
    # The runner can fail: a wrong expectation comes back with ok false and the difference.
    verdict = check(
        {
            "family": "retry_after",
            "name": "python: a mismatch",
            "input": {"headers": [["Retry-After", "3"]]},
            "expected": {"wait_ms": 4000},
        }
    )
    assert verdict["ok"] is False
    assert verdict["name"] == "python: a mismatch"
    assert verdict["observed"] == {"wait_ms": 3000}
    assert "expected 4000, observed 3000" in verdict["diff"]
