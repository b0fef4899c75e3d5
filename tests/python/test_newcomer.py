"""What a newcomer trips on (issue 22), each over loopback against the emulator: bulk results
that say what the server holds, bulk input and options by the core's one rule, argument
errors that name the argument, a 413 raising the class its kind picks, rates that read like
``≈36/s``, log lines and messages that read well, and the bulk guide's Python examples
running as written."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_BUDGET_KEY, PYAI_KEY

ROOT = Path(__file__).resolve().parents[2]
JOBS = "POST /v1/transcription/jobs"


def urls(n: int, tag: str = "nc") -> List[str]:
    return [f"https://example.com/{tag}/{i}.wav" for i in range(n)]


# ----- bulk results that tell the truth --------------------------------------------------


@pytest.mark.parametrize("concurrency", [None, 2, 1])
def test_a_stopped_run_reports_what_the_server_holds(pyai_emu: Emulator, concurrency: Any) -> None:
    client = surefoot.PyAI(PYAI_BUDGET_KEY, base_url=pyai_emu.url, **FAST)
    results = client.jobs.create_many(urls(5), concurrency=concurrency)
    assert pyai_emu.stats()["jobs_created"] == 3
    assert sum(r.ok for r in results) == 3, "every job the server created is reported done"
    for r in results:
        if r.ok:
            continue
        err = r.error
        assert isinstance(err, surefoot.SurefootError)
        if err.kind == "not_done":
            assert isinstance(err, surefoot.NotDoneError)
            assert not isinstance(err, surefoot.APITimeoutError)
            assert "key_budget_exceeded (HTTP 402)" in str(err)
            assert isinstance(r.stopped_by, surefoot.PaymentRequiredError)
            assert err.__cause__ is r.stopped_by
            assert not r.outcome_unknown
        else:
            assert isinstance(err, surefoot.PaymentRequiredError)
    # The same items again: the three jobs are replayed, nothing new is created.
    again = client.jobs.create_many(urls(5))
    assert pyai_emu.stats()["jobs_created"] == 3
    for a, b in zip(results, again):
        if a.ok:
            assert a.job is not None and b.job is not None and a.job.id == b.job.id


def test_items_whose_creation_went_unanswered_are_done_on_resubmission(pyai_emu: Emulator) -> None:
    # Every creation is processed but answered too late for the client: the outcome of
    # each is unknown to the run, and resubmitting the same items replays the jobs.
    pyai_emu.inject(JOBS, "delay", count=0, delay=1.0)
    slow = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, timeout=0.2, max_retries=0, backoff=(0.01, 0.05))
    first = slow.jobs.create_many(urls(3, "cut"))
    assert all(not r.ok and r.sent for r in first)
    pyai_emu.clear_faults()
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    again = client.jobs.create_many(urls(3, "cut"))
    assert all(r.ok for r in again), [r.error for r in again]
    assert [r.idempotency_key for r in again] == [r.idempotency_key for r in first]
    assert pyai_emu.stats()["jobs_created"] == 3, "one job per item, however the first run ended"


def test_a_bare_string_is_refused_naming_the_argument(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    with pytest.raises(TypeError, match="`items` must be a list"):
        client.jobs.create_many("https://e.com/a.wav")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`items`"):
        client.jobs.create_many(b"https://e.com/a.wav")  # type: ignore[arg-type]
    assert pyai_emu.stats()["total_requests"] == 0, "nothing was sent"


def test_mypy_refuses_a_bare_string_where_items_go(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    src = tmp_path / "bad.py"
    src.write_text(
        "import surefoot\n"
        "c = surefoot.PyAI('k', base_url='http://127.0.0.1:1')\n"
        "c.jobs.create_many('https://e.com/a.wav')\n"
        "c.jobs.create_many(['https://e.com/a.wav'])\n"
        "c.jobs.create_many(u for u in ['https://e.com/a.wav'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(src)],
        capture_output=True,
        text=True,
    )
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "bad.py:3:" in errors[0], out.stdout


# ----- bulk rules, once in the core ------------------------------------------------------


def test_bulk_options_follow_the_core_rule(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    assert all(r.ok for r in client.jobs.create_many(urls(2, "zero"), concurrency=0))
    for bad in (-1, 257, 2**70):
        with pytest.raises(surefoot.InvalidRequestError, match=r"`concurrency` must be 0 \(the default, 16\) or 1 to 256"):
            client.jobs.create_many(urls(2, "bad"), concurrency=bad)
    with pytest.raises(TypeError, match="`concurrency` must be an int"):
        client.jobs.create_many(urls(2, "bad"), concurrency="8")  # type: ignore[arg-type]
    assert pyai_emu.stats()["jobs_created"] == 2


def test_an_explicit_key_beats_the_stable_id(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    items = [
        {"audio_url": "https://e.com/k1.wav"},
        {"audio_url": "https://e.com/k2.wav", "idempotency_key": "mine-2"},
    ]
    results = client.jobs.create_many(items, key=lambda item: str(item["audio_url"]))
    assert results[1].idempotency_key == "mine-2", "the item's own key wins over key="
    assert results[0].idempotency_key.startswith("sf-")
    with pytest.raises(surefoot.InvalidRequestError, match="`idempotency_key` must be 1 to 255"):
        client.jobs.create_many([{"audio_url": "https://e.com/x.wav", "idempotency_key": "has space"}])


# ----- errors that name the argument ------------------------------------------------------


def test_a_413_raises_the_class_its_kind_picks(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    pyai_emu.inject(JOBS, "status", status=413, body={"error": {"message": "too large", "type": "invalid_request_error", "code": "payload_too_large"}})
    with pytest.raises(surefoot.BadRequestError) as info:
        client.jobs.create("https://e.com/big.wav")
    assert info.value.kind == "validation" and info.value.status_code == 413


def test_connection_errors_name_the_host_and_tiny_deadlines_read_well() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = surefoot.PyAI(PYAI_KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(surefoot.APIConnectionError, match=f"127.0.0.1:{port}"):
        client.jobs.get("job_1")


def test_a_tiny_deadline_is_not_zero_seconds(pyai_emu: Emulator) -> None:
    # The answer is held back 50 ms: a loopback answer can come within the timer's
    # millisecond, and an answer that is there when the deadline is checked is taken.
    pyai_emu.inject("GET /v1/transcription/jobs/*", "delay", delay=0.05, count=0)
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, deadline=0.0001, max_retries=0)
    with pytest.raises(surefoot.APITimeoutError) as info:
        client.jobs.get("job_1")
    assert "0.0s" not in str(info.value)
    assert re.search(r"\d+(µs|ms)", str(info.value)), str(info.value)


# ----- display and logging ---------------------------------------------------------------


def test_rates_read_as_a_rate_in_reprs(pyai_emu: Emulator) -> None:
    limit = surefoot.RateLimit(requests=1, per=0.027741216)
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, rate_limit=limit, **FAST)
    text = repr(client.pacing_state())
    assert "≈36/s" in text, text
    assert "0.0277" not in text


def test_retry_log_lines_do_not_repeat_the_logger_name(pyai_emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    pyai_emu.inject(JOBS, "status", status=503)
    with caplog.at_level(logging.WARNING, logger="surefoot"):
        client.jobs.create("https://e.com/log.wav")
    retry = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert retry, caplog.records
    assert not retry[0].getMessage().startswith("surefoot:"), retry[0].getMessage()


# ----- surefoot.testing ---------------------------------------------------------------------


def test_testing_imports_with_star_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "from surefoot.testing import *\n"
        "assert Emulator and reset_pacing\n"
        "import surefoot.testing as t; assert 'no import' in t.__doc__\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_fixture_has_a_docstring_for_pytest_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x(): pass\n")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    text = out.stdout
    at = text.index("surefoot_isolated_pacing")
    assert "no docstring available" not in text[at : at + 300], text[at : at + 300]


# ----- the bulk guide's Python examples run as written -----------------------------------


def python_blocks(page: Path) -> List[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_bulk_guide_python_examples_run(pyai_emu: Emulator, specala_emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(ROOT / "docs" / "guide" / "bulk.md")
    assert len(blocks) >= 2
    monkeypatch.setenv("PYAI_BASE_URL", pyai_emu.url)
    monkeypatch.setenv("PYAI_API_KEY", PYAI_KEY)
    monkeypatch.setenv("SPECALA_BASE_URL", specala_emu.url)
    monkeypatch.setenv("SPECALA_API_KEY", "spk_alpha_pro_0001")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "docs/guide/bulk.md", "exec"), {"__name__": "__bulk_doc__"})
    assert pyai_emu.stats()["jobs_created"] > 0
    assert any(tmp_path.rglob("*.md")), "the export wrote documents"


# ----- Python arguments, reprs and the paginator -------------------------------------------


def test_argument_errors_name_the_argument_and_the_range(pyai_emu: Emulator) -> None:
    with pytest.raises(TypeError, match="`api_key` must be a str, not int"):
        surefoot.PyAI(123, base_url=pyai_emu.url)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`base_url` must be a str"):
        surefoot.Client(123, PYAI_KEY)  # type: ignore[arg-type]
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    with pytest.raises(TypeError, match="`id` must be a str, not int"):
        client.jobs.get(123)  # type: ignore[arg-type]
    for limit in (2**70, -(2**70), 0):
        with pytest.raises(surefoot.InvalidRequestError, match="limit must be between 1 and 100"):
            next(iter(client.jobs.list(limit=limit)))
    with pytest.raises(TypeError, match="`limit` must be an int"):
        client.jobs.list(limit=1.5)  # type: ignore[arg-type]


def test_emulator_options_name_the_option_and_the_range() -> None:
    # Before: `Emulator(port=-1)` raised pyo3's bare OverflowError.
    with pytest.raises(ValueError, match="port must be an integer from 0 to 65535 \\(got -1\\)"):
        Emulator("pyai", port=-1)
    with pytest.raises(ValueError, match="burst must be an integer from 0 to 4294967295"):
        Emulator("pyai", burst=2**40)
    not_an_int: Any = "80"
    with pytest.raises(TypeError, match="port must be an int \\(got str\\)"):
        Emulator("pyai", port=not_an_int)


def test_leniency_is_even_for_keys_and_base_urls(pyai_emu: Emulator) -> None:
    with pytest.raises(surefoot.InvalidRequestError, match="base URL has leading or trailing whitespace"):
        surefoot.PyAI(PYAI_KEY, base_url=" " + pyai_emu.url)
    with pytest.raises(surefoot.InvalidRequestError, match="API key has trailing whitespace"):
        surefoot.PyAI(PYAI_KEY + " ", base_url=pyai_emu.url)
    with pytest.raises(surefoot.InvalidRequestError, match="API key contains whitespace"):
        surefoot.PyAI("pyai_sk full_0001", base_url=pyai_emu.url)


def test_reprs_of_the_endpoint_groups(pyai_emu: Emulator, specala_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url)
    assert repr(client.jobs).startswith("<PyAI(") and repr(client.jobs).endswith(".jobs>")
    assert PYAI_KEY not in repr(client.jobs)
    specala = surefoot.Specala("spk_alpha_pro_0001", base_url=specala_emu.url)
    assert repr(specala.transcriptions).endswith(".transcriptions>")


def test_the_paginator_gives_pages_and_the_cursor(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    for url in urls(5, "pages"):
        client.jobs.create(url)
    pages = list(client.jobs.list(limit=2).pages())
    assert [len(p) for p in pages] == [2, 2, 1]
    assert pages[0].next_cursor is not None and pages[-1].next_cursor is None
    assert all(isinstance(j, surefoot.Job) for p in pages for j in p.items)
    # The cursor of a walk resumes it where it left off.
    walk = client.jobs.list(limit=2)
    first = [next(walk), next(walk)]
    assert walk.cursor == pages[0].next_cursor
    rest = list(client.jobs.list(limit=2, cursor=walk.cursor))
    assert [j.id for j in first + rest] == [j.id for p in pages for j in p.items]
    with pytest.raises(surefoot.InvalidRequestError, match="pages"):
        walk.pages()
