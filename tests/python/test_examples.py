"""The examples in examples/python run (against the in-process emulator)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SPECALA_API_KEY", "PYAI_API_KEY")}
    done = subprocess.run(
        [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for key in ("spk_alpha_pro_0001", "pyai_sk_full_0001"):
        assert key not in done.stdout + done.stderr


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 3
