"""surefoot's pytest plugin: registered by the wheel (entry point ``pytest11``), so the
fixtures below are there in every test suite that has surefoot installed — no import,
no ``conftest.py``.

- ``surefoot_pyai_emulator`` / ``surefoot_specala_emulator``: a fresh in-process emulator
  of the API on a free loopback port (:class:`surefoot.testing.Emulator`), closed after the
  test. Its ``url`` is the base URL to give a client; ``inject(route, kind, ...)`` injects
  faults (``"status"``, ``"delay"``, ``"reset"``, ``"truncated"``, ``"malformed"``,
  ``"html"``, ``"drop_after_processing"``), ``stats()`` counts what the server saw, and
  ``keys`` lists its fixture keys (PyAI ``pyai_sk_full_0001``, Specala
  ``spk_alpha_pro_0001``, …). Configure it with the ``surefoot_emulator`` marker, whose
  keywords are the emulator's: ``@pytest.mark.surefoot_emulator(rate_limit="5/s",
  minimal=True)``.
- ``surefoot_isolated_pacing``: the process's pacing state (pauses, learned limits) is
  forgotten before and after the test. The emulator fixtures do the same, so a 429 with
  ``Retry-After: 3600`` in one test never slows the next.

Example::

    import surefoot

    def test_created_once_through_a_dropped_connection(surefoot_pyai_emulator):
        emu = surefoot_pyai_emulator
        client = surefoot.PyAI("pyai_sk_full_0001", base_url=emu.url)
        emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
        client.jobs.create("https://example.com/a.wav")
        assert emu.stats()["jobs_created"] == 1
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from surefoot.testing import Emulator, reset_pacing, surefoot_isolated_pacing

__all__ = ["surefoot_pyai_emulator", "surefoot_specala_emulator", "surefoot_isolated_pacing"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "surefoot_emulator(**config): configuration of the surefoot_pyai_emulator / "
        "surefoot_specala_emulator fixtures (the keywords of surefoot.testing.Emulator)",
    )


def _config(request: pytest.FixtureRequest) -> Dict[str, Any]:
    config: Dict[str, Any] = {}
    # The closest marker wins: function over class over module.
    for marker in reversed(list(request.node.iter_markers("surefoot_emulator"))):
        config.update(marker.kwargs)
    return config


def _emulator(api: str, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    reset_pacing()
    emu = Emulator(api=api, **_config(request))  # type: ignore[arg-type]
    try:
        yield emu
    finally:
        emu.close()
        reset_pacing()


@pytest.fixture
def surefoot_pyai_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A fresh PyAI emulator on a free loopback port, closed after the test."""
    yield from _emulator("pyai", request)


@pytest.fixture
def surefoot_specala_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A fresh Specala emulator on a free loopback port, closed after the test."""
    yield from _emulator("specala", request)
