"""The exceptions surefoot raises.

Every failure is a :class:`SurefootError` carrying the core's error model: a stable
``code`` (the same string in Rust, C and Python — branch on it), ``kind``,
``message``, ``status_code``, ``request_id``, ``retry_after`` (seconds), ``attempts``,
``waited`` (seconds), ``retryable``, ``stop_reason`` (why retrying stopped), the raw ``body``
and ``idempotency_key`` (the key a job creation was sent with: after ``invalid_response``,
retrying with it is safe). The class follows the kind::

    SurefootError
    ├── APIError
    │   ├── APIStatusError                 an HTTP error answer
    │   │   ├── BadRequestError            400 and every other 4xx of kind validation (413…)
    │   │   ├── AuthenticationError        401
    │   │   ├── PaymentRequiredError       402 (credit, budget, quota — never retried)
    │   │   ├── PermissionDeniedError      403
    │   │   ├── NotFoundError              404
    │   │   ├── ConflictError              409
    │   │   │   └── IdempotencyConflictError
    │   │   ├── UnprocessableEntityError   422
    │   │   ├── RateLimitError             429 (or the client-side limiter refusing a long wait)
    │   │   └── InternalServerError        >= 500
    │   └── APIConnectionError             no answer (connect, reset, TLS)
    │       └── APITimeoutError            attempt timeout, deadline, 408
    ├── NotDoneError                       a bulk item the run did not finish (kind not_done)
    └── InvalidRequestError (also ValueError)  refused before anything was sent

The text of an exception never contains the API key (it is masked like ``sk-…f00d``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

__all__ = [
    "SurefootError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "IdempotencyConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "InvalidRequestError",
    "NotDoneError",
]


class SurefootError(Exception):
    """Base class of every surefoot error."""

    code: str
    """The stable, machine-readable code (``rate_limit_exceeded``, ``not_found``, …)."""
    message: str
    """The human-readable message (do not branch on it)."""
    kind: str
    """The broad category: ``authentication``, ``permission``, ``not_found``, ``validation``,
    ``conflict``, ``payment_required``, ``rate_limited``, ``server``, ``connection``,
    ``timeout`` or ``invalid_request``."""
    status_code: Optional[int]
    """The HTTP status, if an answer arrived."""
    request_id: Optional[str]
    """The server's request id, for support tickets."""
    idempotency_key: Optional[str]
    """The idempotency key the failed request was sent with (job creation always has one),
    or ``None``. Sending the same request again with this key is safe: the server replays
    its first answer instead of acting twice — notably after ``invalid_response``, where
    the server answered 2xx (and may have created the job) but the answer was unreadable."""
    retry_after: Optional[float]
    """Seconds the server asked to wait (or the wait that was refused as too long)."""
    attempts: int
    """Attempts made (0 when refused before sending)."""
    waited: float
    """Seconds spent in backoff and pacing waits."""
    retryable: bool
    """Whether the failure is worth retrying later."""
    stop_reason: Optional[str]
    """Why the client stopped retrying: ``not_retryable``, ``retries_exhausted``,
    ``not_idempotent``, ``wait_exceeds_max_retry_wait``, ``wait_exceeds_deadline``,
    ``retry_budget_exhausted`` (too many calls to the host failed lately), ``held_too_long``
    (the host stayed in an outage as long as the call could wait), or ``None``."""
    body: Optional[bytes]
    """The raw response body (capped)."""

    def __init__(
        self,
        text: str = "",
        *,
        code: str = "error",
        message: Optional[str] = None,
        kind: str = "",
        status_code: Optional[int] = None,
        request_id: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        retry_after: Optional[float] = None,
        attempts: int = 0,
        waited: float = 0.0,
        body: Optional[bytes] = None,
        retryable: bool = False,
        stop_reason: Optional[str] = None,
    ) -> None:
        text = text or message or code
        super().__init__(text)
        self.code = code
        self.message = text if message is None else message
        self.kind = kind
        self.status_code = status_code
        self.request_id = request_id
        self.idempotency_key = idempotency_key
        self.retry_after = retry_after
        self.attempts = attempts
        self.waited = waited
        self.body = body
        self.retryable = retryable
        self.stop_reason = stop_reason

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.code

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status_code={self.status_code!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self._fields()))

    def _fields(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "kind": self.kind,
            "status_code": self.status_code,
            "request_id": self.request_id,
            "idempotency_key": self.idempotency_key,
            "retry_after": self.retry_after,
            "attempts": self.attempts,
            "waited": self.waited,
            "body": self.body,
            "retryable": self.retryable,
            "stop_reason": self.stop_reason,
        }


def _rebuild(cls: Any, text: str, fields: Dict[str, Any]) -> SurefootError:
    err: SurefootError = cls(text, **fields)
    return err


class APIError(SurefootError):
    """The API (or the way to it) failed: an error answer, no answer, or an answer that could
    not be understood (``code == "invalid_response"``)."""


class APIStatusError(APIError):
    """The server answered with an error status (``status_code`` is set, except for a
    :class:`RateLimitError` raised by the client-side limiter)."""


class BadRequestError(APIStatusError):
    """400, and any other 4xx of kind ``validation`` (413, 414…): the request needs fixing."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid, expired or revoked key."""


class PaymentRequiredError(APIStatusError):
    """402 (or a quota/credit/budget code on any status): add credit or upgrade."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this (scope, plan, origin)."""


class NotFoundError(APIStatusError):
    """404: no such resource (for this key or workspace)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state."""


class IdempotencyConflictError(ConflictError):
    """409 ``idempotency_conflict``: an idempotency key reused with a different body."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but is invalid."""


class RateLimitError(APIStatusError):
    """429: rate, concurrency or daily-cap limit. ``retry_after`` tells how long to wait."""


class InternalServerError(APIStatusError):
    """>= 500: the server failed (already retried)."""


class APIConnectionError(APIError):
    """No answer: the connection could not be made or was lost."""


class APITimeoutError(APIConnectionError):
    """An attempt timed out, the total deadline passed, or the server answered 408."""


class InvalidRequestError(SurefootError, ValueError):
    """Refused on the client side before anything was sent (a ``limit`` of 0, a key with
    trailing whitespace, plain HTTP to a remote host…). Also a :class:`ValueError`."""


class NotDoneError(SurefootError):
    """A bulk item the run did not finish (kind and code ``not_done``): the run stopped on
    an error about the key or the service (that error is ``__cause__``, and the result's
    ``stopped_by``), or was cancelled, interrupted or past its deadline. The message says
    whether its creation was sent (its outcome then unknown). Resubmitting the item with its
    ``idempotency_key`` is safe: the server replays a job it already holds."""
