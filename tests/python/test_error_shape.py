"""Error-shape hints: a third API whose error bodies are neither Specala's ``detail`` nor
PyAI's envelope or problem+json, served over loopback by the emulator's faults; the generic
client given ``error_shape=`` decodes them into that API's code, message and request id."""

from __future__ import annotations

import pytest

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY

QUOTA = {"errors": [{"reason": "quota_exceeded", "text": "Monthly quota used up."}], "meta": {"trace": "tr-77"}}
CONFLICT = {"fault": {"num": 1007, "faultstring": "Name already taken."}}
SHAPE = {
    "code": ["/errors/0/reason", "/fault/num"],
    "message": ["/errors/0/text", "/fault/faultstring"],
    "request_id": "/meta/trace",
}


def test_a_third_apis_error_bodies_decode_with_the_shape_given(pyai_emu: Emulator) -> None:
    opts = {**FAST, "max_retries": 0}
    with surefoot.Client(pyai_emu.url, PYAI_KEY, error_shape=SHAPE, **opts) as shaped, surefoot.Client(
        pyai_emu.url, PYAI_KEY, **opts
    ) as plain:
        pyai_emu.inject("*", "status", count=2, status=402, body=QUOTA)
        with pytest.raises(surefoot.SurefootError) as info:
            shaped.get("/v1/things/1")
        e = info.value
        assert (e.status_code, e.code, e.message) == (402, "quota_exceeded", "Monthly quota used up.")
        assert e.request_id == "tr-77"
        assert isinstance(e, surefoot.PaymentRequiredError)
        with pytest.raises(surefoot.SurefootError) as info:
            plain.get("/v1/things/1")
        assert info.value.code == "payment_required", "without the shape: the status's code"

        pyai_emu.inject("*", "status", count=1, status=409, body=CONFLICT)
        with pytest.raises(surefoot.SurefootError) as info:
            shaped.get("/v1/things/2")
        assert (info.value.code, info.value.message) == ("1007", "Name already taken.")
        assert (info.value.request_id or "").startswith("req_"), "no trace: the header's id"


def test_bad_hints_are_refused_before_anything_is_sent(pyai_emu: Emulator) -> None:
    with pytest.raises(surefoot.InvalidRequestError, match="JSON Pointer"):
        surefoot.Client(pyai_emu.url, PYAI_KEY, error_shape={"code": "errors.0.reason"})
    with pytest.raises(surefoot.InvalidRequestError, match="unknown part"):
        surefoot.Client(pyai_emu.url, PYAI_KEY, error_shape={"kode": "/x"})
    with pytest.raises(surefoot.InvalidRequestError, match="error_shape"):
        surefoot.Client(pyai_emu.url, PYAI_KEY, error_shape={"code": 7})  # type: ignore[dict-item]
