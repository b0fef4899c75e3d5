"""The guide's self-contained Python examples run as written (docs/guide/*.md): the
emulator page's script, and the testing page's pytest file through pytest itself. The
other pages show fragments of a program (a loop over a client built elsewhere)."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
from typing import List

import pytest

pytest_plugins = ["pytester"]

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "guide"


def blocks(page: str) -> List[str]:
    text = (GUIDE / page).read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_emulator_page_runs() -> None:
    (code,) = blocks("emulator.md")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "drop_after_processing" in out.stdout


def test_the_testing_page_is_a_passing_test_file(pytester: pytest.Pytester) -> None:
    files = [b for b in blocks("testing.md") if "def test_" in b]
    assert files, "the testing page has a test file"
    for i, code in enumerate(files):
        pytester.makepyfile(**{f"test_guide_{i}": code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 2 and not outcomes.get("failed"), result.stdout.str()
