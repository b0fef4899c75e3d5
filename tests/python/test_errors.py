"""Every error shape of both APIs → the right exception class, the stable code and the
attributes of the core's error model."""

from __future__ import annotations

from typing import Any, Callable, Type

import pytest

import surefoot
from surefoot import exceptions as exc
from surefoot.testing import Emulator

from conftest import (
    FAST,
    emulator,
    PYAI_BROKE_KEY,
    PYAI_BUDGET_KEY,
    PYAI_KEY,
    PYAI_QUOTA_KEY,
    PYAI_READONLY_KEY,
    PYAI_SANDBOX_KEY,
    PYAI_WEB_KEY,
    SPECALA_FREE_KEY,
    SPECALA_KEY,
    SPECALA_OTHER_WORKSPACE_KEY,
)

AUDIO = "https://example.com/a.wav"


def raises(cls: Type[BaseException], code: str, call: Callable[[], Any]) -> Any:
    with pytest.raises(cls) as info:
        call()
    err = info.value
    assert type(err) is cls, f"{type(err).__name__} is not {cls.__name__}: {err}"
    assert isinstance(err, surefoot.SurefootError)
    assert err.code == code, str(err)
    return err


def test_hierarchy() -> None:
    assert issubclass(surefoot.APIError, surefoot.SurefootError)
    assert issubclass(surefoot.APIStatusError, surefoot.APIError)
    for cls in (
        exc.BadRequestError,
        exc.AuthenticationError,
        exc.PaymentRequiredError,
        exc.PermissionDeniedError,
        exc.NotFoundError,
        exc.ConflictError,
        exc.UnprocessableEntityError,
        exc.RateLimitError,
        exc.InternalServerError,
    ):
        assert issubclass(cls, surefoot.APIStatusError)
    assert issubclass(exc.IdempotencyConflictError, exc.ConflictError)
    assert issubclass(exc.APIConnectionError, exc.APIError)
    assert issubclass(exc.APITimeoutError, exc.APIConnectionError)
    assert issubclass(exc.InvalidRequestError, surefoot.SurefootError)
    assert issubclass(exc.InvalidRequestError, ValueError)
    # The same classes from both modules.
    for name in exc.__all__:
        assert getattr(surefoot, name) is getattr(exc, name)


# ----- Specala -----------------------------------------------------------------------------


def test_specala_401_unknown_key(specala_emu: Emulator) -> None:
    client = surefoot.Specala("spk_unknown_9999", base_url=specala_emu.url, **FAST)
    err = raises(exc.AuthenticationError, "unauthorized", lambda: client.transcriptions.get("tr_alpha_000001"))
    assert err.status_code == 401
    assert err.kind == "authentication"
    assert err.message == "Invalid API key"
    assert err.attempts == 1 and not err.retryable
    assert err.body is not None and b"Invalid API key" in err.body


def test_specala_403_plan_without_api_access(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_FREE_KEY, base_url=specala_emu.url, **FAST)
    err = raises(exc.PermissionDeniedError, "api_access_denied", lambda: list(client.transcriptions.list()))
    assert err.status_code == 403 and err.kind == "permission"


def test_specala_404_missing_and_other_workspace(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    err = raises(exc.NotFoundError, "not_found", lambda: client.transcriptions.get("tr_alpha_999999"))
    assert err.status_code == 404 and err.request_id and err.request_id.startswith("req_")
    other = surefoot.Specala(SPECALA_OTHER_WORKSPACE_KEY, base_url=specala_emu.url, **FAST)
    raises(exc.NotFoundError, "not_found", lambda: other.transcriptions.get("tr_alpha_000001"))
    raises(exc.NotFoundError, "not_found", lambda: other.transcriptions.export("tr_alpha_000001"))


def test_specala_422_fastapi_validation_list(specala_emu: Emulator) -> None:
    client = surefoot.Client(specala_emu.url, SPECALA_KEY, **FAST)
    err = raises(
        exc.UnprocessableEntityError,
        "validation_error",
        lambda: client.post("/v1/transcriptions/export", json={"ids": [], "format": "md"}),
    )
    assert err.status_code == 422 and err.kind == "validation"
    assert "ids" in err.message


# ----- PyAI --------------------------------------------------------------------------------


def test_pyai_400_invalid_agent_id_problem_json(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    err = raises(exc.BadRequestError, "invalid_agent_id", lambda: client.realtime.open("a" * 65))
    assert err.status_code == 400 and err.request_id


def test_pyai_401_unknown_key(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI("pyai_sk_nobody_9999", base_url=pyai_emu.url, **FAST)
    err = raises(exc.AuthenticationError, "unauthorized", lambda: client.jobs.get("job_1"))
    assert err.status_code == 401 and "Incorrect API key" in err.message


@pytest.mark.parametrize(
    "key, code",
    [
        (PYAI_BROKE_KEY, "credit_exhausted"),
        (PYAI_QUOTA_KEY, "insufficient_quota"),
    ],
)
def test_pyai_402_billing(pyai_emu: Emulator, key: str, code: str) -> None:
    client = surefoot.PyAI(key, base_url=pyai_emu.url, **FAST)
    err = raises(exc.PaymentRequiredError, code, lambda: client.jobs.create(AUDIO))
    assert err.status_code == 402 and err.kind == "payment_required"
    assert err.attempts == 1, "payment errors are never retried"


def test_pyai_402_key_budget(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_BUDGET_KEY, base_url=pyai_emu.url, **FAST)
    for _ in range(3):
        client.jobs.create(AUDIO)
    err = raises(exc.PaymentRequiredError, "key_budget_exceeded", lambda: client.jobs.create(AUDIO))
    assert err.status_code == 402
    assert pyai_emu.stats()["jobs_created"] == 3


def test_pyai_403_scope_and_origin(pyai_emu: Emulator) -> None:
    readonly = surefoot.PyAI(PYAI_READONLY_KEY, base_url=pyai_emu.url, **FAST)
    raises(exc.PermissionDeniedError, "forbidden", lambda: readonly.jobs.create(AUDIO))
    web = surefoot.PyAI(PYAI_WEB_KEY, base_url=pyai_emu.url, **FAST)
    raises(exc.PermissionDeniedError, "origin_not_allowed", lambda: list(web.jobs.list()))
    # With the allowed origin the same key works.
    allowed = surefoot.PyAI(
        PYAI_WEB_KEY, base_url=pyai_emu.url, headers={"Origin": "https://app.example.com"}, **FAST
    )
    assert list(allowed.jobs.list()) == []


def test_pyai_409_idempotency_conflict(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    first = client.jobs.create(AUDIO, idempotency_key="order-42")
    again = client.jobs.create(AUDIO, idempotency_key="order-42")
    assert again == first
    err = raises(
        exc.IdempotencyConflictError,
        "idempotency_conflict",
        lambda: client.jobs.create("https://example.com/other.wav", idempotency_key="order-42"),
    )
    assert isinstance(err, exc.ConflictError) and err.status_code == 409
    stats = pyai_emu.stats()
    assert stats["jobs_created"] == 1 and stats["idempotent_replays"] == 1


def test_pyai_429_rate_limit_with_retry_after() -> None:
    with emulator("pyai", rate_limit=1.0, burst=1) as emu:
        client = surefoot.PyAI(PYAI_KEY, base_url=emu.url, max_retries=0, pacing=False, **FAST)
        list(client.jobs.list())
        err = raises(exc.RateLimitError, "rate_limit_exceeded", lambda: list(client.jobs.list()))
        assert err.status_code == 429 and err.kind == "rate_limited"
        assert err.retry_after is not None and 0 < err.retry_after <= 1.0
        assert err.retryable


def test_pyai_429_daily_cap_fails_at_once_with_the_wait() -> None:
    with emulator("pyai", no_rate_limits=True) as emu:
        client = surefoot.PyAI(PYAI_SANDBOX_KEY, base_url=emu.url, **FAST)
        for _ in range(20):
            list(client.jobs.list(limit=1))
        err = raises(exc.RateLimitError, "daily_cap_exceeded", lambda: list(client.jobs.list(limit=1)))
        assert err.status_code == 429
        # The wait is until the next UTC midnight: longer than max_retry_wait, so no sleep.
        assert err.retry_after is not None and err.retry_after > FAST["max_retry_wait"]
        assert err.attempts == 1
        assert emu.stats()["daily_cap_rejected"] == 1


def test_pyai_429_concurrency_limit(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, max_retries=0, **FAST)
    with client.realtime.open("agent-1"), client.realtime.open("agent-2"):
        err = raises(exc.RateLimitError, "concurrency_limit_exceeded", lambda: client.realtime.open("agent-3"))
        assert err.retry_after == 1.0
    # Both sessions were ended on exit: a new one opens.
    with client.realtime.open("agent-4") as session:
        assert session.agent_id == "agent-4" and not session.closed
    assert session.closed


# ----- transport and server faults ---------------------------------------------------------


def test_500_html_from_a_proxy(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs", "html", status=502, count=0)
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, max_retries=1, **FAST)
    err = raises(exc.InternalServerError, "server_error", lambda: list(client.jobs.list()))
    assert err.status_code == 502 and err.attempts == 2


def test_connection_refused() -> None:
    with emulator("pyai") as emu:
        url = emu.url
    client = surefoot.PyAI(PYAI_KEY, base_url=url, max_retries=1, **FAST)
    err = raises(exc.APIConnectionError, "connection_error", lambda: client.jobs.get("job_1"))
    assert err.status_code is None and err.kind == "connection"


def test_timeout(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs/*", "delay", delay=2.0, count=0)
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, max_retries=0, timeout=0.2)
    err = raises(exc.APITimeoutError, "timeout", lambda: client.jobs.get("job_1"))
    assert isinstance(err, exc.APIConnectionError)


def test_malformed_success_body(pyai_emu: Emulator) -> None:
    pyai_emu.inject("GET /v1/transcription/jobs/*", "malformed")
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    err = raises(exc.APIError, "invalid_response", lambda: client.jobs.get("job_1"))
    assert err.status_code == 200


def test_unknown_code_passes_through(pyai_emu: Emulator) -> None:
    pyai_emu.inject(
        "GET /v1/transcription/jobs",
        "status",
        status=418,
        body={"error": {"message": "I'm a teapot", "type": "teapot", "code": "teapot_error"}},
    )
    client = surefoot.Client(pyai_emu.url, PYAI_KEY, **FAST)
    # Any 4xx of kind validation is a BadRequestError (an APIStatusError): the kind picks it.
    err = raises(exc.BadRequestError, "teapot_error", lambda: client.get("/v1/transcription/jobs"))
    assert err.kind == "validation"
    assert err.status_code == 418 and err.message == "I'm a teapot"


def test_exceptions_pickle() -> None:
    import pickle

    err = exc.NotFoundError("not_found (HTTP 404): gone", code="not_found", status_code=404, message="gone")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is exc.NotFoundError and back.code == "not_found" and str(back) == str(err)
