"""Type stubs of ``surefoot._native``, the compiled half of surefoot (pyo3).

Import everything from :mod:`surefoot` (and :mod:`surefoot.testing`); this module is an
implementation detail. Times are seconds (``float``). Errors are the classes of
:mod:`surefoot.exceptions`.
"""

from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from os import PathLike
from types import GenericAlias
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, final, overload

from typing_extensions import Self, TypedDict, Unpack

__all__ = [
    "__version__",
    "RateLimit",
    "Client",
    "AsyncClient",
    "Response",
    "Page",
    "Paginator",
    "AsyncPaginator",
    "Specala",
    "AsyncSpecala",
    "Transcriptions",
    "AsyncTranscriptions",
    "Keys",
    "AsyncKeys",
    "PyAI",
    "RawAnswer",
    "RawTransport",
    "AsyncPyAI",
    "Jobs",
    "AsyncJobs",
    "Realtime",
    "AsyncRealtime",
    "RealtimeSession",
    "AsyncRealtimeSession",
    "AsyncSessionOpener",
    "Transcription",
    "KeyInfo",
    "CreatedKey",
    "Job",
    "JobResult",
    "Emulator",
    "PacingState",
    "mask_key",
    "reset_all_pacing",
    "Replay",
]

__version__: str

_T = TypeVar("_T")

_QueryValue = str | int | float | bool
_Params = Mapping[str, _QueryValue | Sequence[_QueryValue] | None]

class _ClientOptions(TypedDict, total=False):
    """Keyword options of every client constructor, each checked by the core's rule for it
    (the same ``InvalidRequestError`` message as Rust and C, wrong types and unknown names
    included; see ``tests/vectors/options.json``)."""

    max_retries: int
    """Retries after the first attempt (default 3; 0 disables retries; 0 to 4294967295)."""
    timeout: float | None
    """Timeout of one attempt in seconds (default 60; ``None``: no per-attempt timeout; 0,
    negative, NaN, infinite or over 365 days raise ``InvalidRequestError``)."""
    connect_timeout: float
    """Timeout of establishing a connection (default 10; more than 0; ``None`` raises)."""
    deadline: float | None
    """One total deadline per call: every attempt, backoff and pacing wait together
    (default ``None``: none; more than 0)."""
    max_retry_wait: float
    """The longest single wait accepted (default 60; 0: every wait fails at once); a longer
    ``Retry-After`` fails at once with ``retry_after`` set."""
    backoff: tuple[float, float] | None
    """``(base, cap)`` of the exponential backoff without ``Retry-After`` (default 1, 20)."""
    rate_limit: str | RateLimit | None
    """The key's rate limit: ``"500/min"``, ``"20/s"``, ``"20/s burst 5"`` or a
    :class:`RateLimit`; ``None``: the API's documented limits (Specala) or learning from
    429s."""
    pacing: bool
    """Client-side pacing (default on; 429s are retried either way)."""
    pacing_store: str | None
    """Where pacing state lives, so many processes and hosts on one key share one budget:
    ``"redis://host:6379/0"`` (``rediss://`` for TLS with ``tls_ca``, ``tls_cert``,
    ``tls_key``; ``redis+sentinel://s1:26379,s2:26379/service``, with
    ``sentinel_password`` and ``sentinel_user`` when the sentinels ask for them;
    ``redis+cluster://h1:7000,h2:7001/``; other options in the query: ``prefix``,
    ``timeout_ms``, ``fail=closed``, ``lease_ms``, ``secret``) or ``"memory"``; default: the
    ``SUREFOOT_PACING_STORE`` environment variable, else in-process. A malformed URL raises
    ``InvalidRequestError`` naming the problem (never the password)."""
    max_concurrent_sessions: int | None
    """PyAI: cap on realtime sessions held at once; extra ``open()`` calls wait (default
    ``None``: no cap; 0 raises ``InvalidRequestError``)."""
    allow_insecure_http: bool
    """Allow plain ``http://`` to hosts other than loopback."""
    headers: Mapping[str, str] | None
    """Headers sent with every request."""
    user_agent: str | None
    """The ``User-Agent`` (default ``surefoot/<version>``; empty or blank raises)."""
    ca_file: str | PathLike[str] | None
    """A PEM file of the certificate authorities HTTPS trusts, instead of the Mozilla roots
    surefoot carries (a private CA, or a TLS-inspecting proxy's). Read when the client is
    made: a missing file, one without a certificate or with one that does not parse raises
    ``InvalidRequestError`` naming ``ca_file`` and the file. A server certificate TLS
    refuses fails the call at once (``APIConnectionError``, not retried)."""
    max_response_bytes: int
    """The largest response body kept in memory (default 64 MiB; at least 1)."""
    prefetch: bool
    """Fetch the next page of a list while the current one is consumed."""
    paths: Mapping[str, str] | None
    """Per-endpoint path overrides for servers whose paths differ from surefoot's guesses,
    e.g. ``{"pyai.jobs": "/v2/jobs", "pyai.job": "/v2/jobs/{id}"}``. Names:
    ``specala.transcriptions``, ``specala.transcription``, ``specala.transcription_export``,
    ``specala.bulk_export``, ``specala.keys``, ``specala.key``, ``pyai.jobs``, ``pyai.job``,
    ``pyai.realtime_sessions``, ``pyai.realtime_session``; a path starts with ``/`` and has
    ``{id}`` where the default does (else ``InvalidRequestError``)."""
    surfaces: Mapping[str, str | RateLimit | None] | None
    """Rate-limit surfaces by path prefix, each paced by its own limiter per key whatever
    ``rate_limit`` says, e.g. ``{"/v1/keys": "180/min", "*": "500/min"}`` (``"*"``: every
    other path; ``None``: learned from the server). Replaces the API profile's surface of
    the same prefix."""
    error_shape: Mapping[str, str | Sequence[str]] | None
    """Where this API's error bodies carry their parts, replacing the profile's hints:
    ``{"code": "/errors/0/reason", "message": "/errors/0/text", "request_id": "/meta/trace",
    "request_id_header": "x-trace-id"}`` — JSON Pointers into the body (a list: tried in
    order) and a header name. What they do not find is decoded as usual; a bad part or
    pointer raises ``InvalidRequestError``."""
    fields: Mapping[str, str] | None
    """The server's names for the JSON members surefoot reads, e.g. ``{"created_at":
    "created", "data": "items"}``: read under surefoot's names too, at the top level of an
    answer and in its ``data`` items. Names: ``id``, ``data``, ``next_cursor``, ``title``,
    ``language``, ``duration_seconds``, ``created_at``, ``text``, ``status``, ``audio_url``,
    ``metadata``, ``name``, ``key``, ``format``, ``content``, ``agent_id`` (else
    ``InvalidRequestError``)."""

class _EmulatorConfig(TypedDict, total=False):
    port: int
    host: str
    rate_limit: str | float | None
    burst: int
    data_limit: str | None
    management_limit: str | None
    no_rate_limits: bool
    realtime_concurrency: int
    concurrency_retry_after: float
    retry_after_on_429: bool
    transcriptions_per_workspace: int
    job_timeline: tuple[float, float]
    latency: float
    window_kind: Literal["sliding", "fixed"]
    record_accepted: bool
    minimal: bool

def mask_key(key: str) -> str:
    """Masks an API key for display (``sk-…f00d``), like every surefoot surface."""

@final
class Replay:
    """The conformance vectors' scripted server (``tests/vectors/README.md``), in-process
    on loopback: ``url + "/v/<file stem>/<index>/<session>"`` serves one vector's script."""

    def __new__(cls, dir: str | PathLike[str]) -> Self: ...
    @property
    def url(self) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class RateLimit:
    """``requests`` per ``per`` seconds, with bursts of up to ``burst`` requests."""

    def __new__(cls, requests: int, per: float = 1.0, burst: int = 1) -> Self: ...
    @staticmethod
    def parse(text: str) -> RateLimit:
        """Parses ``"500/min"``, ``"20/s"``, ``"10/2s"``, ``"20/s burst 5"``."""
    @property
    def requests(self) -> int: ...
    @property
    def per(self) -> float: ...
    @property
    def burst(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class PacingState:
    """What a client's pacing knows for one surface of its key (``client.pacing_state()``)."""

    @property
    def surface(self) -> str:
        """``data`` / ``management`` (Specala), ``default`` / ``realtime`` (PyAI, generic)."""
    @property
    def limit(self) -> RateLimit | None:
        """The configured limit (yours, or the API's documented one)."""
    @property
    def learned(self) -> RateLimit | None:
        """The limit learned from the server, when none is configured."""
    @property
    def paused_for(self) -> float | None:
        """Seconds the pause in force still lasts."""
    @property
    def pause_code(self) -> str | None:
        """The stable code of the answer that set the pause (``daily_cap_exceeded``, …)."""
    @property
    def pause_status(self) -> int | None: ...
    @property
    def pause_message(self) -> str | None: ...
    @property
    def pause_request_id(self) -> str | None: ...

def reset_all_pacing() -> None:
    """Forgets every pause, schedule and learned limit of this process (configured limits
    stay). Use ``surefoot.testing.reset_pacing`` or its pytest fixture."""

@final
class Response:
    """A successful response, fully read."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> dict[str, str]:
        """Lower-case names; repeated headers joined with ``", "``."""
    @property
    def request_id(self) -> str | None: ...
    @property
    def attempts(self) -> int:
        """Attempts the call took (1 = no retry)."""
    @property
    def waited(self) -> float:
        """Seconds spent in backoff and pacing waits."""
    @property
    def is_replay(self) -> bool:
        """Whether the server replayed an earlier answer for the same idempotency key."""
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...

@final
class Page(Generic[_T]):
    """One page of a list (``Paginator.pages()``): its items and the next page's cursor."""

    @property
    def items(self) -> list[_T]: ...
    @property
    def next_cursor(self) -> str | None: ...
    def __len__(self) -> int: ...
    @classmethod
    def __class_getitem__(cls, item: Any) -> GenericAlias: ...

@final
class Paginator(Generic[_T]):
    """A lazy iterator over every item of a cursor-paginated list."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...
    @property
    def cursor(self) -> str | None:
        """The cursor of the next page after the last one fetched (``None`` before the first
        page and after the last): give it to ``list(cursor=...)`` to go on later."""
    def pages(self) -> Paginator[Page[_T]]:
        """The same walk as whole pages instead of items; only before the first item is
        taken (else ``InvalidRequestError``)."""
    @classmethod
    def __class_getitem__(cls, item: Any) -> GenericAlias: ...

@final
class AsyncPaginator(Generic[_T]):
    """An async iterator over every item of a cursor-paginated list."""

    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[_T]: ...
    @property
    def cursor(self) -> str | None:
        """The cursor of the next page after the last one fetched."""
    def pages(self) -> AsyncPaginator[Page[_T]]:
        """The same walk as whole pages; only before the first item is taken."""
    @classmethod
    def __class_getitem__(cls, item: Any) -> GenericAlias: ...

@final
class Client:
    """A client for any REST API with surefoot's conventions; share one between threads."""

    def __new__(
        cls, base_url: str, api_key: str | None = None, **options: Unpack[_ClientOptions]
    ) -> Self: ...
    def request(
        self,
        method: str,
        path: str,
        *,
        params: _Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Response: ...
    def get(
        self, path: str, *, params: _Params | None = None, headers: Mapping[str, str] | None = None
    ) -> Response: ...
    def post(
        self,
        path: str,
        *,
        json: Any = None,
        params: _Params | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Response: ...
    def delete(
        self, path: str, *, params: _Params | None = None, headers: Mapping[str, str] | None = None
    ) -> Response: ...
    def paginate(
        self, path: str, *, params: _Params | None = None, limit: int | None = None
    ) -> Paginator[dict[str, Any]]: ...
    def pacing_state(self) -> list[PacingState]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> None:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class AsyncClient:
    """The async twin of :class:`Client`."""

    def __new__(
        cls, base_url: str, api_key: str | None = None, **options: Unpack[_ClientOptions]
    ) -> Self: ...
    def request(
        self,
        method: str,
        path: str,
        *,
        params: _Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Awaitable[Response]: ...
    def get(
        self, path: str, *, params: _Params | None = None, headers: Mapping[str, str] | None = None
    ) -> Awaitable[Response]: ...
    def post(
        self,
        path: str,
        *,
        json: Any = None,
        params: _Params | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Awaitable[Response]: ...
    def delete(
        self, path: str, *, params: _Params | None = None, headers: Mapping[str, str] | None = None
    ) -> Awaitable[Response]: ...
    def paginate(
        self, path: str, *, params: _Params | None = None, limit: int | None = None
    ) -> AsyncPaginator[dict[str, Any]]: ...
    def pacing_state(self) -> Awaitable[list[PacingState]]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> Awaitable[None]:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(self, *_exc: object) -> Awaitable[None]: ...

# ----- Specala -----------------------------------------------------------------------------

@final
class Transcription:
    """A Specala transcription. Only ``id`` is required: every other attribute is ``None``
    when the server sent it missing, ``null`` or of another type."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def created_at(self) -> datetime | None:
        """Parsed from an RFC 3339 string or Unix seconds, aware, in UTC; ``None`` when
        missing or unreadable."""
    @property
    def created_at_raw(self) -> str | int | float | None:
        """As the server sent it (``None`` when missing or ``null``)."""
    @property
    def text(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]:
        """Every member the server sent, unknown ones included."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class KeyInfo:
    """A Specala API key as listed (no secret)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def created_at(self) -> datetime | None:
        """Parsed from an RFC 3339 string or Unix seconds, aware, in UTC; ``None`` when
        missing or unreadable."""
    @property
    def created_at_raw(self) -> str | int | float | None:
        """As the server sent it (``None`` when missing or ``null``)."""
    def to_dict(self) -> dict[str, Any]:
        """Every member the server sent, unknown ones included."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class CreatedKey:
    """A new Specala key; ``key`` is the secret, shown once (masked in ``repr``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def key(self) -> str | None: ...
    @property
    def created_at(self) -> datetime | None:
        """Parsed from an RFC 3339 string or Unix seconds, aware, in UTC; ``None`` when
        missing or unreadable."""
    @property
    def created_at_raw(self) -> str | int | float | None:
        """As the server sent it (``None`` when missing or ``null``)."""
    def to_dict(self) -> dict[str, Any]:
        """Every member the server sent, the secret included."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

_Format = Literal["md", "txt"]

@final
class Transcriptions:
    """``Specala.transcriptions``."""

    def list(self, limit: int | None = None, cursor: str | None = None) -> Paginator[Transcription]:
        """Every transcription, newest first, fetched lazily (``limit``: page size 1–100)."""
    def get(self, id: str) -> Transcription: ...
    def export(self, id: str, format: _Format = "md") -> str: ...
    def bulk_export(self, ids: Sequence[str], format: _Format = "md") -> dict[str, str]:
        """Any number of ids, in bulk requests of at most 100; ``{id: document}`` in order."""
    @overload
    def export_all(
        self,
        directory: None = None,
        format: _Format = "md",
        progress: Callable[[dict[str, Any]], object] | None = None,
    ) -> Paginator[tuple[str, str]]:
        """Every transcription as ``(id, document)``, lazily, in bulk requests of ≤ 100 ids;
        ``progress`` gets ``{"listed", "listing_done", "skipped", "to_fetch", "written"}``."""
    @overload
    def export_all(
        self,
        directory: str | PathLike[str],
        format: _Format = "md",
        progress: Callable[[dict[str, Any]], object] | None = None,
    ) -> _ExportReport:
        """Every transcription into ``directory`` (atomic files and a journal beside it); a
        re-run fetches only what is missing."""

@final
class Keys:
    """``Specala.keys``."""

    def list(self) -> list[KeyInfo]: ...
    def create(self, name: str) -> CreatedKey: ...
    def revoke(self, id: str) -> None: ...

@final
class Specala:
    """The Specala client (key from ``SPECALA_API_KEY`` when omitted)."""

    def __new__(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[_ClientOptions],
    ) -> Self: ...
    @property
    def transcriptions(self) -> Transcriptions: ...
    @property
    def keys(self) -> Keys: ...
    def pacing_state(self) -> list[PacingState]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> None:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class AsyncTranscriptions:
    """``AsyncSpecala.transcriptions``."""

    def list(
        self, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Transcription]: ...
    def get(self, id: str) -> Awaitable[Transcription]: ...
    def export(self, id: str, format: _Format = "md") -> Awaitable[str]: ...
    def bulk_export(
        self, ids: Sequence[str], format: _Format = "md"
    ) -> Awaitable[dict[str, str]]: ...
    @overload
    def export_all(
        self,
        directory: None = None,
        format: _Format = "md",
        progress: Callable[[dict[str, Any]], object] | None = None,
    ) -> AsyncPaginator[tuple[str, str]]: ...
    @overload
    def export_all(
        self,
        directory: str | PathLike[str],
        format: _Format = "md",
        progress: Callable[[dict[str, Any]], object] | None = None,
    ) -> Awaitable[_ExportReport]: ...

@final
class AsyncKeys:
    """``AsyncSpecala.keys``."""

    def list(self) -> Awaitable[list[KeyInfo]]: ...
    def create(self, name: str) -> Awaitable[CreatedKey]: ...
    def revoke(self, id: str) -> Awaitable[None]: ...

@final
class AsyncSpecala:
    """The async Specala client."""

    def __new__(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[_ClientOptions],
    ) -> Self: ...
    @property
    def transcriptions(self) -> AsyncTranscriptions: ...
    @property
    def keys(self) -> AsyncKeys: ...
    def pacing_state(self) -> Awaitable[list[PacingState]]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> Awaitable[None]:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(self, *_exc: object) -> Awaitable[None]: ...

# ----- PyAI --------------------------------------------------------------------------------

@final
class Job:
    """A PyAI transcription job. Only ``id`` is required: every other attribute is ``None``
    when the server sent it missing, ``null`` or of another type."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str | None:
        """``queued``, ``running``, ``succeeded`` or ``failed`` (or other text the server sent)."""
    @property
    def audio_url(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def metadata(self) -> Any: ...
    @property
    def created_at(self) -> datetime | None:
        """Parsed from an RFC 3339 string or Unix seconds, aware, in UTC; ``None`` when
        missing or unreadable."""
    @property
    def created_at_raw(self) -> str | int | float | None:
        """As the server sent it (``None`` when missing or ``null``)."""
    def to_dict(self) -> dict[str, Any]:
        """Every member the server sent, unknown ones included."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class _JobItem(TypedDict, total=False):
    audio_url: str
    language: str | None
    metadata: Mapping[str, Any] | None
    idempotency_key: str | None

_Item = str | _JobItem | Mapping[str, Any]
_Key = str | Callable[[Any], str | int] | None
_T_item = TypeVar("_T_item", covariant=True)

class _ListOf(Protocol[_T_item]):
    """A list of items (anything sized and iterable with ``copy()``: list, deque) — a
    protocol rather than ``list[...]`` so that ``list[str]`` fits (lists are invariant), and
    one a bare ``str`` does not fit (a str has no ``copy()``)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[_T_item]: ...
    def copy(self) -> Any: ...

# A list, tuple or iterator of items — never a bare ``str`` (which would be an iterable of
# characters: the call refuses it, and this type lets a type checker refuse it too).
_Items = _ListOf[_Item] | tuple[_Item, ...] | Iterator[_Item]

class _ExportReport(TypedDict):
    listed: int
    written: int
    skipped: int
    pages: int
    chunks: int
    requeued: int
    directory: str
    journal: str

@final
class JobResult:
    """The result of one item of ``jobs.create_many``: ``job`` when it exists (created or
    replayed), else ``error`` (the exception it failed with, or a ``not_done`` error when the
    run ended first — a ``NotDoneError`` saying why, and whether its outcome is unknown; safe
    to resubmit with the same ``idempotency_key``)."""

    @property
    def index(self) -> int: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def job(self) -> Job | None: ...
    @property
    def error(self) -> Exception | None: ...
    @property
    def ok(self) -> bool: ...
    @property
    def rounds(self) -> int: ...
    @property
    def same_as(self) -> int | None: ...
    @property
    def sent(self) -> bool: ...
    @property
    def outcome_unknown(self) -> bool:
        """Not done although its creation was sent: the server may hold the job
        (resubmitting with the same key replays it)."""
    @property
    def stopped_by(self) -> Exception | None:
        """For a not-done item: the exception that stopped the run, if one did."""

@final
class Jobs:
    """``PyAI.jobs``."""

    def create(
        self,
        audio_url: str,
        *,
        idempotency_key: str | None = None,
        language: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Job:
        """Creates a job exactly once (one idempotency key, generated unless given)."""
    def create_many(
        self,
        items: _Items,
        concurrency: int | None = None,
        key: _Key = None,
        ordered: bool = True,
        progress: Callable[[dict[str, Any]], object] | None = None,
        on_result: Callable[[JobResult], object] | None = None,
    ) -> list[JobResult]:
        """One job per item (a URL or ``{"audio_url", "language"?, "metadata"?,
        "idempotency_key"?}``), each exactly once: a stable idempotency key per item (its
        own ``idempotency_key``, else derived from its stable id given by ``key`` — a field
        name or a callable — else from its content), at most ``concurrency`` at a time
        (``None`` or 0: the default, 16; at most 256), transient trouble requeued with the
        same key. ``items`` is a list, tuple or iterator (a bare string is refused).
        ``progress`` gets ``{"total", "done", "failed", "not_done", "requeued",
        "submitted"}`` after each result; ``on_result`` gets each ``JobResult`` as it is
        delivered — in input order, or as each item completes with ``ordered=False`` (the
        returned list is in that order too)."""
    def get(self, id: str) -> Job: ...
    def list(self, limit: int | None = None, cursor: str | None = None) -> Paginator[Job]: ...

@final
class RealtimeSession:
    """An open realtime session holding a concurrency slot; a context manager."""

    @property
    def id(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class Realtime:
    """``PyAI.realtime``."""

    def open(self, agent_id: str) -> RealtimeSession: ...

@final
class PyAI:
    """The PyAI client (key from ``PYAI_API_KEY`` when omitted)."""

    def __new__(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[_ClientOptions],
    ) -> Self: ...
    @property
    def jobs(self) -> Jobs: ...
    @property
    def realtime(self) -> Realtime: ...
    def pacing_state(self) -> list[PacingState]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> None:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class AsyncRealtimeSession:
    """An open realtime session of the async client; an async context manager."""

    @property
    def id(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(self, *_exc: object) -> Awaitable[None]: ...

@final
class AsyncSessionOpener:
    """What ``AsyncPyAI.realtime.open()`` returns: await it, or ``async with`` it."""

    def __await__(self) -> Generator[Any, None, AsyncRealtimeSession]: ...
    def __aenter__(self) -> Awaitable[AsyncRealtimeSession]: ...
    def __aexit__(self, *_exc: object) -> Awaitable[None]: ...

@final
class AsyncRealtime:
    """``AsyncPyAI.realtime``."""

    def open(self, agent_id: str) -> AsyncSessionOpener: ...

@final
class AsyncJobs:
    """``AsyncPyAI.jobs``."""

    def create(
        self,
        audio_url: str,
        *,
        idempotency_key: str | None = None,
        language: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Awaitable[Job]: ...
    def create_many(
        self,
        items: _Items,
        concurrency: int | None = None,
        key: _Key = None,
        ordered: bool = True,
        progress: Callable[[dict[str, Any]], object] | None = None,
        on_result: Callable[[JobResult], object] | None = None,
    ) -> Awaitable[list[JobResult]]: ...
    def get(self, id: str) -> Awaitable[Job]: ...
    def list(self, limit: int | None = None, cursor: str | None = None) -> AsyncPaginator[Job]: ...

@final
class AsyncPyAI:
    """The async PyAI client."""

    def __new__(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[_ClientOptions],
    ) -> Self: ...
    @property
    def jobs(self) -> AsyncJobs: ...
    @property
    def realtime(self) -> AsyncRealtime: ...
    def pacing_state(self) -> Awaitable[list[PacingState]]:
        """What pacing knows for each surface of this client's key."""
    def describe_option(self, name: str) -> str:
        """The value in force for option ``name`` as text (``"2.5 s"``, ``"no cap"``, the key
        masked), the same as Rust and C; ``InvalidRequestError`` for an unknown name."""
    def reset_pacing(self) -> Awaitable[None]:
        """Lifts every pause and forgets learned limits of this client's key."""
    def close(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(self, *_exc: object) -> Awaitable[None]: ...

# ----- testing -----------------------------------------------------------------------------

_FaultKind = Literal[
    "status", "delay", "reset", "truncated", "malformed", "html", "drop_after_processing"
]

@final
class Emulator:
    """The emulator of Specala or PyAI, in-process on loopback; see :mod:`surefoot.testing`."""

    def __new__(
        cls, api: Literal["pyai", "specala"] = "pyai", **config: Unpack[_EmulatorConfig]
    ) -> Self: ...
    @property
    def api(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def keys(self) -> list[dict[str, Any]]:
        """The active keys (``id``, ``value`` — the secret —, ``plan``, ``scopes``…)."""
    def stats(self) -> dict[str, Any]: ...
    def reset_stats(self) -> None: ...
    def inject(
        self,
        route: str,
        kind: _FaultKind,
        *,
        count: int = 1,
        status: int | None = None,
        body: str | Mapping[str, Any] | Sequence[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        delay: float | None = None,
    ) -> None:
        """Injects a fault for the next ``count`` requests on ``route`` (0: until cleared)."""
    def faults(self) -> list[dict[str, Any]]: ...
    def clear_faults(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class RawTransport:
    """Requests built by another HTTP library sent through the core's send loop (what
    ``surefoot.httpx`` uses); options as ``Client``'s without ``base_url``/``api_key``, plus
    ``idempotency`` (``"auto"`` or ``"off"``) and ``key_header``."""

    def __new__(cls, **options: Any) -> Self: ...
    def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        timeout: float | None = None,
    ) -> RawAnswer: ...
    def send_async(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        timeout: float | None = None,
    ) -> Awaitable[RawAnswer]: ...
    def close(self) -> None: ...

@final
class RawAnswer:
    """The final HTTP answer of a raw call, whatever its status; the body chunk by chunk."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def waited(self) -> float: ...
    def read_chunk(self) -> bytes | None: ...
    def aread_chunk(self) -> Awaitable[bytes | None]: ...
    def close(self) -> None: ...
