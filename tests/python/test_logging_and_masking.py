"""Log records on the `surefoot` logger (never with the key) and key masking in repr and in
exception text."""

from __future__ import annotations

import logging

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY

MASK = "pya…0001"


def test_retries_are_logged_without_the_key(pyai_emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "status", status=503)
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    with caplog.at_level(logging.DEBUG, logger="surefoot"):
        assert list(client.jobs.list()) == []
    records = [r for r in caplog.records if r.name == "surefoot"]
    assert records, "no record on the surefoot logger"
    retry = [r for r in records if "retrying" in r.getMessage()]
    assert len(retry) == 1
    rec = retry[0]
    assert rec.levelno == logging.WARNING
    fields = getattr(rec, "surefoot")
    assert fields["status"] == "503" and fields["code"] == "server_error"
    assert fields["method"] == "GET" and fields["path"] == "/v1/transcription/jobs"
    assert "status=503" in rec.getMessage()
    assert any(r.levelno == logging.DEBUG for r in records)
    for r in caplog.records:
        assert PYAI_KEY not in r.getMessage()
        assert PYAI_KEY not in repr(r.__dict__)


def test_nothing_below_the_logger_level(pyai_emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    with caplog.at_level(logging.WARNING, logger="surefoot"):
        list(client.jobs.list())
    assert [r for r in caplog.records if r.name == "surefoot"] == []


def test_repr_masks_the_key(pyai_emu: Emulator, specala_emu: Emulator) -> None:
    for client in (
        surefoot.Client(pyai_emu.url, PYAI_KEY),
        surefoot.AsyncClient(pyai_emu.url, PYAI_KEY),
        surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url),
        surefoot.AsyncPyAI(PYAI_KEY, base_url=pyai_emu.url),
    ):
        text = repr(client)
        assert PYAI_KEY not in text and MASK in text, text
        assert pyai_emu.url in text
    for sclient in (
        surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url),
        surefoot.AsyncSpecala(SPECALA_KEY, base_url=specala_emu.url),
    ):
        assert SPECALA_KEY not in repr(sclient) and "spk…0001" in repr(sclient)
    assert surefoot.mask_key(PYAI_KEY) == MASK


def test_exception_text_masks_an_echoed_key(pyai_emu: Emulator) -> None:
    pyai_emu.inject(
        "GET /v1/transcription/jobs",
        "status",
        status=401,
        body={"error": {"message": f"Incorrect API key provided: {PYAI_KEY}", "type": "auth", "code": "unauthorized"}},
    )
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    with pytest.raises(surefoot.AuthenticationError) as info:
        list(client.jobs.list())
    err = info.value
    for text in (str(err), repr(err), err.message):
        assert PYAI_KEY not in text and MASK in text, text


def test_invalid_key_error_does_not_echo_it() -> None:
    bad = "sk-live-0123456789abcdef "
    with pytest.raises(surefoot.InvalidRequestError) as info:
        surefoot.Client("http://127.0.0.1:9", bad)
    assert bad.strip() not in str(info.value)
