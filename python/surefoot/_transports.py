"""The httpx transports of :mod:`surefoot.httpx` and :mod:`surefoot.httpx2`, written once
for either package (``httpx`` and its successor ``httpx2``, which openai 3 and anthropic 2
use, have the same transport API): :func:`transports` builds the two classes on the
package given. See :mod:`surefoot.httpx` for what they do."""

from __future__ import annotations

import json
import math
from types import ModuleType
from typing import Any, AsyncIterator, Iterator, List, Optional, Tuple

from surefoot import exceptions as _exc
from surefoot._native import RawAnswer
from surefoot._settings import HTTPX_CA_ENV, raw_transport, split_httpx_settings

__all__ = ["transports"]


def _timeout(request: Any) -> Optional[float]:
    """The request's httpx read timeout (the smaller of it and surefoot's applies)."""
    phases = request.extensions.get("timeout") or {}
    read = phases.get("read")
    return float(read) if read is not None else None


def _headers(request: Any) -> List[Tuple[bytes, bytes]]:
    return [(k, v) for k, v in request.headers.raw]


def _transport_error(h: ModuleType, err: _exc.SurefootError, request: Any) -> Exception:
    """The httpx exception for a transport failure (the core's message kept)."""
    text = str(err)
    if isinstance(err, _exc.APITimeoutError):
        return h.ReadTimeout(text, request=request)  # type: ignore[no-any-return]
    if isinstance(err, _exc.APIConnectionError):
        # The core words a connect that failed (nothing reached the server) this way.
        if err.message.startswith("could not connect"):
            return h.ConnectError(text, request=request)  # type: ignore[no-any-return]
        return h.ReadError(text, request=request)  # type: ignore[no-any-return]
    return err


def _refused(h: ModuleType, err: _exc.SurefootError, request: Any) -> Any:
    """The synthesized answer of a call refused before sending (see :mod:`surefoot.httpx`),
    or ``None`` for any other error."""
    if not isinstance(err, _exc.APIStatusError) or not (
        isinstance(err, _exc.RateLimitError) or (err.status_code is not None and err.attempts == 0)
    ):
        return None
    status = err.status_code or 429
    headers = {"content-type": "application/json", "x-surefoot-not-sent": "true", "x-should-retry": "false"}
    if err.retry_after is not None:
        headers["retry-after"] = str(math.ceil(err.retry_after))
    if err.request_id:
        headers["x-request-id"] = err.request_id
    kind = "rate_limit_error" if status == 429 else "api_error"
    body = {"error": {"message": str(err), "type": kind, "code": err.code, "param": None, "not_sent": True}}
    return h.Response(status, headers=headers, content=json.dumps(body).encode(), request=request)


def _answer(h: ModuleType, answer: RawAnswer, stream: Any, request: Any) -> Any:
    return h.Response(
        answer.status,
        headers=answer.headers,
        stream=stream,
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


def transports(h: ModuleType) -> Tuple[type, type]:
    """``(HTTPTransport, AsyncHTTPTransport)`` on the httpx-like package ``h``."""

    class _SyncStream(h.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, answer: RawAnswer, request: Any) -> None:
            self._answer = answer
            self._request = request

        def __iter__(self) -> Iterator[bytes]:
            while True:
                try:
                    chunk = self._answer.read_chunk()
                except _exc.SurefootError as e:
                    raise _transport_error(h, e, self._request) from e
                if chunk is None:
                    return
                yield chunk

        def close(self) -> None:
            self._answer.close()

    class _AsyncStream(h.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, answer: RawAnswer, request: Any) -> None:
            self._answer = answer
            self._request = request

        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                try:
                    chunk = await self._answer.aread_chunk()
                except _exc.SurefootError as e:
                    raise _transport_error(h, e, self._request) from e
                if chunk is None:
                    return
                yield chunk

        async def aclose(self) -> None:
            self._answer.close()

    class HTTPTransport(h.BaseTransport):  # type: ignore[name-defined,misc]
        """A sync httpx transport over surefoot's core; options as ``surefoot.Client``'s.
        httpx's own transport settings (``verify``, ``cert``, ``proxy``, ``limits``, …) are
        accepted where they describe what surefoot does, refused otherwise. Without
        ``verify="ca.pem"`` or ``ca_file``, HTTPS trusts the bundle ``SSL_CERT_FILE`` names,
        as httpx does, else the Mozilla roots surefoot carries."""

        def __init__(self, **options: object) -> None:
            owner = f"surefoot.{h.__name__}.HTTPTransport"
            self._raw = raw_transport(split_httpx_settings(owner, options), HTTPX_CA_ENV)

        def handle_request(self, request: Any) -> Any:
            body = request.read()
            try:
                answer = self._raw.send(request.method, str(request.url), _headers(request), body, _timeout(request))
            except _exc.SurefootError as e:
                refused = _refused(h, e, request)
                if refused is not None:
                    return refused
                raise _transport_error(h, e, request) from e
            return _answer(h, answer, _SyncStream(answer, request), request)

        def close(self) -> None:
            self._raw.close()

    class AsyncHTTPTransport(h.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        """An asyncio httpx transport over surefoot's core; cancelling a request aborts it.
        httpx's transport settings are checked as ``HTTPTransport``'s."""

        def __init__(self, **options: object) -> None:
            owner = f"surefoot.{h.__name__}.AsyncHTTPTransport"
            self._raw = raw_transport(split_httpx_settings(owner, options), HTTPX_CA_ENV)

        async def handle_async_request(self, request: Any) -> Any:
            body = await request.aread()
            try:
                answer = await self._raw.send_async(
                    request.method, str(request.url), _headers(request), body, _timeout(request)
                )
            except _exc.SurefootError as e:
                refused = _refused(h, e, request)
                if refused is not None:
                    return refused
                raise _transport_error(h, e, request) from e
            return _answer(h, answer, _AsyncStream(answer, request), request)

        async def aclose(self) -> None:
            self._raw.close()

    for cls in (HTTPTransport, AsyncHTTPTransport):
        cls.__module__ = "surefoot." + h.__name__
    return HTTPTransport, AsyncHTTPTransport
