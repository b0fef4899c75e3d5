"""The guide's Python examples run as written (docs/guide/*.md, every page, new ones too).

- A self-contained example (one that starts an ``Emulator``) runs in a fresh interpreter
  and exits 0; every ``except`` clause in it is instrumented, and the example must reach
  each one with the exception class it names — an example that claims to raise, raises.
- A pytest file (a block defining ``test_`` functions) passes under pytest itself, with the
  fixtures of surefoot's pytest plugin and no import of them.
- Any other block is a fragment of a program (a loop over a client built elsewhere); a
  fragment may not catch exceptions, since nothing would show that it raises.
- The CLI page's exit codes are the ones the CLI prints.
"""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
from typing import Dict, List, Tuple

import pytest

import surefoot

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
MARK = "__surefoot_docs_handled__"


def python_blocks() -> List[Tuple[str, int, str]]:
    """(page, index, code) of every ```python block of the guide."""
    out = []
    for page in sorted(GUIDE.glob("*.md")):
        for i, code in enumerate(re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)):
            out.append((page.name, i, code))
    return out


def is_pytest_file(code: str) -> bool:
    return re.search(r"^def test_", code, re.M) is not None


def is_self_contained(code: str) -> bool:
    return "from surefoot.testing import Emulator" in code and not is_pytest_file(code)


def handlers(code: str) -> List[str]:
    """The class named by each ``except`` clause, in source order."""
    names = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ExceptHandler):
            names.append(ast.unparse(node.type) if node.type is not None else "BaseException")
    return names


def instrumented(code: str) -> str:
    """The code with a line at the top of every ``except`` body printing which clause ran
    and the class of the exception it caught."""
    tree = ast.parse(code)
    for n, node in enumerate(h for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)):
        name = node.name or "_surefoot_exc"
        node.name = name
        probe = ast.parse(f"print({MARK!r}, {n}, type({name}).__name__)").body[0]
        node.body.insert(0, probe)
    return ast.unparse(ast.fix_missing_locations(tree))


SELF_CONTAINED = [b for b in python_blocks() if is_self_contained(b[2])]
PYTEST_FILES = [b for b in python_blocks() if is_pytest_file(b[2])]
FRAGMENTS = [b for b in python_blocks() if not is_self_contained(b[2]) and not is_pytest_file(b[2])]


def test_the_guide_has_runnable_examples() -> None:
    pages = {page for page, _, _ in SELF_CONTAINED}
    assert {"emulator.md", "errors.md", "retries.md", "testing.md"} <= pages, pages
    assert sum(1 for _, _, code in SELF_CONTAINED if handlers(code)) >= 2
    assert PYTEST_FILES, "the testing page has a pytest file"


@pytest.mark.parametrize("page,index,code", SELF_CONTAINED, ids=[f"{p}#{i}" for p, i, _ in SELF_CONTAINED])
def test_a_self_contained_example_runs_and_raises_what_it_catches(page: str, index: int, code: str) -> None:
    out = subprocess.run([sys.executable, "-c", instrumented(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{page} example {index} failed:\n{out.stderr}"
    reached: Dict[int, str] = {}
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            _, clause, cls = line.split()
            reached[int(clause)] = cls
    for n, named in enumerate(handlers(code)):
        assert n in reached, f"{page} example {index}: `except {named}` is never reached"
        caught = reached[n]
        expected = eval(named, {"surefoot": surefoot, **vars(surefoot)})  # the class the clause names
        got = getattr(surefoot, caught, None) or getattr(surefoot.exceptions, caught, None)
        assert got is not None and issubclass(got, expected), (
            f"{page} example {index}: `except {named}` caught {caught}"
        )


def test_the_emulator_page_prints_its_faults() -> None:
    (code,) = [c for p, _, c in SELF_CONTAINED if p == "emulator.md"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "drop_after_processing" in out.stdout


def test_the_retries_example_fails_at_once_with_the_daily_cap() -> None:
    (code,) = [c for p, _, c in SELF_CONTAINED if p == "retries.md"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:3] == ["daily_cap_exceeded", "retry", "after"], out.stdout
    assert 3590 <= float(out.stdout.split()[3]) <= 3600, out.stdout


def test_fragments_do_not_claim_to_raise() -> None:
    for page, index, code in FRAGMENTS:
        assert not re.search(r"^\s*except\b", code, re.M), (
            f"{page} example {index} catches an exception but is not self-contained "
            "(start an Emulator in it, so the tests can show it raises)"
        )


def test_the_testing_page_is_a_passing_test_file(pytester: pytest.Pytester) -> None:
    for i, (_, _, code) in enumerate(PYTEST_FILES):
        pytester.makepyfile(**{f"test_guide_{i}": code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 2 and not outcomes.get("failed"), result.stdout.str()


def test_the_cli_page_lists_the_exit_codes_the_cli_prints() -> None:
    source = (ROOT / "crates" / "surefoot-cli" / "src" / "exit.rs").read_text()
    m = re.search(r'pub const EXIT_CODES_HELP: &str = "\\\n(.*?)";', source, re.S)
    assert m, "EXIT_CODES_HELP not found in crates/surefoot-cli/src/exit.rs"
    page = (GUIDE / "cli.md").read_text()
    for line in m.group(1).splitlines():
        assert line in page, f"docs/guide/cli.md lacks the exit-code line {line!r}"


def test_the_readme_python_example_runs_against_the_emulator() -> None:
    from surefoot.testing import Emulator

    (code,) = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    assert "http://127.0.0.1:8080" in code
    with Emulator(api="pyai") as emu:
        script = instrumented(code.replace("http://127.0.0.1:8080", emu.url))
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert emu.stats()["jobs_created"] == 1
    assert f"{MARK} 0 NotFoundError" in out.stdout, out.stdout


def test_the_readme_c_example_compiles_against_the_header(tmp_path: pathlib.Path) -> None:
    import shutil

    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed (make test installs gcc)"
    (code,) = re.findall(r"^```c\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    src = tmp_path / "readme.c"
    src.write_text(code)
    out = subprocess.run(
        [cc, "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", f"-I{ROOT / 'include'}", "-fsyntax-only", str(src)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
