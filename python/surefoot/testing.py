"""Offline testing: the emulator of Specala and PyAI, in-process, and pacing isolation.

``Emulator(api="pyai", **config)`` starts surefoot's Rust emulator on loopback (a free port
by default) with the APIs' documented keys, limits and error shapes, and stops it on
``close()`` or when the ``with`` block ends::

    from surefoot import PyAI
    from surefoot.testing import Emulator

    with Emulator(api="pyai") as emu:
        client = PyAI("pyai_sk_full_0001", base_url=emu.url)
        emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
        job = client.jobs.create("https://example.com/a.wav")   # retried, created once
        assert emu.stats()["jobs_created"] == 1

Configuration keywords: ``port``, ``host``, ``rate_limit`` (PyAI: ``"50/s"`` or requests
per second; ``None`` disables it) with ``burst``, ``data_limit`` / ``management_limit``
(Specala: ``"500/min"``; ``None`` disables), ``no_rate_limits``, ``realtime_concurrency``,
``concurrency_retry_after``, ``retry_after_on_429``, ``transcriptions_per_workspace``,
``job_timeline`` (``(queued, running)`` seconds), ``latency``, ``window_kind``
(``"sliding"`` / ``"fixed"``), ``record_accepted``, ``minimal`` (answer in the minimal
form: only ids sure, Specala items ``id`` and ``title``, PyAI list items ``id`` and
``status``, Unix-second ``created_at``, unknown members, no ``next_cursor`` on the last
page).

Default keys — Specala: ``spk_alpha_pro_0001``, ``spk_beta_pro_0002`` (another
workspace), ``spk_alpha_free_0003`` (no API access). PyAI: ``pyai_sk_full_0001``,
``pyai_sk_readonly_0002``, ``pyai_pk_web_0003`` (publishable, origin-bound, 100/day),
``pyai_sk_sandbox_0004`` (20/day), ``pyai_sk_budget_0005`` (3 jobs), ``pyai_sk_broke_0006``
(no credit), ``pyai_sk_quota_0007`` (quota used up). ``Emulator.keys`` lists them.

Pacing state is process-wide: every client on one key shares one pause, so a test that
hits a daily cap (``Retry-After: 3600``) would fail every later test on that key for an
hour. ``reset_pacing()`` forgets every pause, schedule and learned limit of the process
(configured limits stay); the ``surefoot_isolated_pacing`` pytest fixture calls it before
and after a test. The fixture needs no import: surefoot's pytest plugin (registered by the
wheel's ``pytest11`` entry point) provides it in every test suite. Ask for it per test
(``def test_x(surefoot_isolated_pacing): ...``) or for every test in a ``conftest.py``::

    @pytest.fixture(autouse=True)
    def _isolated(surefoot_isolated_pacing):
        yield

One client's state is reset with ``client.reset_pacing()`` and read with
``client.pacing_state()``. This module imports without pytest (the fixture then does not
exist, and ``from surefoot.testing import *`` brings ``Emulator`` and ``reset_pacing``).
"""

from typing import Iterator

from surefoot._native import Emulator, reset_all_pacing

__all__ = ["Emulator", "reset_pacing"]


def reset_pacing() -> None:
    """Forgets every pause, schedule and learned limit of this process (configured limits
    stay). State in a shared pacing store (Redis) is left alone: reset it per client with
    ``client.reset_pacing()``."""
    reset_all_pacing()


def _isolated() -> Iterator[None]:
    """The test runs with the process's pacing state (pauses, schedules, learned limits)
    forgotten before and after it (surefoot.testing.reset_pacing)."""
    reset_pacing()
    yield
    reset_pacing()


try:
    import pytest as _pytest
except ImportError:  # pytest is optional: the fixture exists only where pytest does.
    pass
else:
    surefoot_isolated_pacing = _pytest.fixture(_isolated, name="surefoot_isolated_pacing")
    """A pytest fixture: the test runs with the process's pacing state forgotten before
    and after it."""
    __all__.append("surefoot_isolated_pacing")
