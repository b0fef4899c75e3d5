"""Fixtures: the in-process emulators (a fresh one per test, on port 0) and fast client options."""

from __future__ import annotations

import contextlib
import signal
from typing import Any, Dict, Iterator, Set

import pytest

from surefoot.testing import Emulator

SPECALA_KEY = "spk_alpha_pro_0001"
SPECALA_OTHER_WORKSPACE_KEY = "spk_beta_pro_0002"
SPECALA_FREE_KEY = "spk_alpha_free_0003"

PYAI_KEY = "pyai_sk_full_0001"
PYAI_READONLY_KEY = "pyai_sk_readonly_0002"
PYAI_WEB_KEY = "pyai_pk_web_0003"
PYAI_SANDBOX_KEY = "pyai_sk_sandbox_0004"
PYAI_BUDGET_KEY = "pyai_sk_budget_0005"
PYAI_BROKE_KEY = "pyai_sk_broke_0006"
PYAI_QUOTA_KEY = "pyai_sk_quota_0007"

#: Client options that keep the suite fast: short backoffs, bounded waits.
FAST: Dict[str, Any] = {"backoff": (0.01, 0.05), "max_retry_wait": 5.0, "timeout": 10.0}


# A runner started in the background by a non-interactive shell (`make test &`) inherits
# SIGINT ignored, and Python then installs no KeyboardInterrupt handler: the Ctrl-C tests
# need the handler an interactive run has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_SEEN_URLS: Set[str] = set()


@contextlib.contextmanager
def emulator(api: str, **config: Any) -> Iterator[Emulator]:
    """An emulator on port 0 whose URL no earlier test used.

    Client-side pacing state is shared by every client of the process with the same key and
    base URL (by design); a test that paused a key (a 429 with a long Retry-After) must not
    slow down a later test whose emulator got the same port back from the OS.
    """
    held = []
    try:
        while True:
            emu = Emulator(api=api, **config)  # type: ignore[arg-type]
            if emu.url not in _SEEN_URLS:
                break
            held.append(emu)  # keep the port taken so the next bind gets another one
        _SEEN_URLS.add(emu.url)
    finally:
        for old in held:
            old.close()
    with emu:
        yield emu


@pytest.fixture
def specala_emu() -> Iterator[Emulator]:
    with emulator("specala", transcriptions_per_workspace=250) as emu:
        yield emu


@pytest.fixture
def pyai_emu() -> Iterator[Emulator]:
    with emulator("pyai") as emu:
        yield emu
