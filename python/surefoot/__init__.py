"""surefoot: an HTTP API client that gets it right when the server pushes back.

One Rust core — stable error codes, retries honouring ``Retry-After``, idempotency keys,
cursor pagination, client-side pacing under per-key rate limits — behind typed Python
clients::

    import surefoot

    specala = surefoot.Specala()              # key from SPECALA_API_KEY
    for t in specala.transcriptions.list(limit=100):
        print(t.id, t.title)

    pyai = surefoot.PyAI(max_retry_wait=30.0)  # key from PYAI_API_KEY
    job = pyai.jobs.create("https://example.com/a.wav")   # exactly once, even if retried

Many processes on one key (gunicorn or Celery workers, a ``multiprocessing`` pool, several
hosts) share one budget through Redis: ``surefoot.PyAI(pacing_store="redis://host:6379/0")``
on any constructor, or ``SUREFOOT_PACING_STORE=redis://host:6379/0`` in the environment.
A Redis that does not answer never fails a call: each process paces locally at its share.

Every method has an async twin on ``AsyncClient``, ``AsyncSpecala`` and ``AsyncPyAI``.
Errors are :mod:`surefoot.exceptions`; branch on ``err.code``. Times are seconds
(``float``). Log records go to the ``surefoot`` logger.
"""

import logging as _logging

from surefoot._native import (
    AsyncClient,
    AsyncPaginator,
    AsyncPyAI,
    AsyncRealtimeSession,
    AsyncSpecala,
    Client,
    CreatedKey,
    Job,
    JobResult,
    KeyInfo,
    PacingState,
    Paginator,
    PyAI,
    RateLimit,
    RealtimeSession,
    Response,
    Specala,
    Transcription,
    __version__,
    mask_key,
)
from surefoot.exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IdempotencyConflictError,
    InternalServerError,
    InvalidRequestError,
    NotDoneError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    SurefootError,
    UnprocessableEntityError,
)

# A library adds no handler of its own: records reach the application's handlers, and
# nothing is printed when logging is not configured.
_logging.getLogger("surefoot").addHandler(_logging.NullHandler())

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "Specala",
    "AsyncSpecala",
    "PyAI",
    "AsyncPyAI",
    "Response",
    "RateLimit",
    "PacingState",
    "Paginator",
    "AsyncPaginator",
    "Transcription",
    "KeyInfo",
    "CreatedKey",
    "Job",
    "JobResult",
    "RealtimeSession",
    "AsyncRealtimeSession",
    "mask_key",
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
