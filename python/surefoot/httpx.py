"""httpx transports that send every request through surefoot's core.

Put surefoot under any SDK that takes an ``httpx.Client`` (openai, anthropic and the other
Stainless-generated SDKs)::

    import httpx, openai, surefoot.httpx

    client = openai.OpenAI(
        max_retries=0,
        http_client=httpx.Client(
            transport=surefoot.httpx.HTTPTransport(pacing_store="redis://127.0.0.1:6379/0")
        ),
    )

Each request is paced under its credential's budget (``Authorization`` of any scheme,
``x-api-key`` or ``api-key``; ``key_header=`` names another; no credential: one anonymous
budget per host), shared by every process on the same ``pacing_store``; retried after
429/5xx honouring ``Retry-After`` (a POST without an ``Idempotency-Key`` only when it
provably never reached the server, or got a 429); held while the host is in an outage;
bounded by the retry budget and the ``deadline``. The keyword options are those of
``surefoot.Client`` (checked by the same rules), without ``base_url`` and ``api_key``, plus
``idempotency="auto"`` (add an ``Idempotency-Key`` to POSTs that lack one, so that they may
be retried after a dropped connection; off by default because only servers that honour the
header make that safe) and ``key_header``.

What the SDK sees:

- the final HTTP answer, whatever its status, with the server's headers and body (an error
  body is read to classify it, at most 64 KiB); a 2xx body streams chunk by chunk;
- transport failures as httpx's own exceptions: ``httpx.ConnectError`` (never reached the
  server), ``httpx.ReadError`` (the connection broke, also midway through a streamed body,
  which is never retried), ``httpx.ReadTimeout``;
- **a call refused before anything was sent** (the key is paused, by the server's earlier
  429 or the client-side limit, for longer than ``max_retry_wait`` or the deadline allow; or
  the host's outage lasted longer) as a synthesized answer: status 429 (or the held
  outage's status), headers ``x-surefoot-not-sent: true``, ``x-should-retry: false`` (the
  Stainless SDKs then do not retry it) and ``retry-after`` when known, and a JSON body
  ``{"error": {"message": "not sent: …", "type": "rate_limit_error", "code": …,
  "not_sent": true}}`` carrying the pause's cause. ``openai`` raises
  ``openai.RateLimitError``, ``anthropic`` ``anthropic.RateLimitError``.

The per-attempt timeout is the smaller of surefoot's ``timeout`` and the request's httpx
read timeout. Invalid options raise ``surefoot.InvalidRequestError``.
"""

from __future__ import annotations

import json
import math
from typing import AsyncIterator, Iterator, List, Optional, Tuple

import httpx

from surefoot import exceptions as _exc
from surefoot._native import RawAnswer, RawTransport

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]


def _timeout(request: httpx.Request) -> Optional[float]:
    phases = request.extensions.get("timeout") or {}
    read = phases.get("read")
    return float(read) if read is not None else None


def _headers(request: httpx.Request) -> List[Tuple[bytes, bytes]]:
    return [(k, v) for k, v in request.headers.raw]


def _transport_error(err: _exc.SurefootError, request: httpx.Request) -> Exception:
    """The httpx exception for a transport failure (the core's message kept)."""
    text = str(err)
    if isinstance(err, _exc.APITimeoutError):
        return httpx.ReadTimeout(text, request=request)
    if isinstance(err, _exc.APIConnectionError):
        # The core words a connect that failed (nothing reached the server) this way.
        if err.message.startswith("could not connect"):
            return httpx.ConnectError(text, request=request)
        return httpx.ReadError(text, request=request)
    return err


def _not_sent(err: _exc.APIStatusError, request: httpx.Request) -> httpx.Response:
    """The synthesized answer of a call refused before sending (see the module doc)."""
    status = err.status_code or 429
    headers = {"content-type": "application/json", "x-surefoot-not-sent": "true", "x-should-retry": "false"}
    if err.retry_after is not None:
        headers["retry-after"] = str(math.ceil(err.retry_after))
    if err.request_id:
        headers["x-request-id"] = err.request_id
    kind = "rate_limit_error" if status == 429 else "api_error"
    body = {"error": {"message": str(err), "type": kind, "code": err.code, "param": None, "not_sent": True}}
    return httpx.Response(status, headers=headers, content=json.dumps(body).encode(), request=request)


def _refused(err: _exc.SurefootError, request: httpx.Request) -> Optional[httpx.Response]:
    if isinstance(err, _exc.RateLimitError) or (
        isinstance(err, _exc.APIStatusError) and err.status_code is not None and err.attempts == 0
    ):
        return _not_sent(err, request)
    return None


def _response(answer: RawAnswer, stream: httpx.SyncByteStream | httpx.AsyncByteStream, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        answer.status,
        headers=answer.headers,
        stream=stream,
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, answer: RawAnswer, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._answer.read_chunk()
            except _exc.SurefootError as e:
                raise _transport_error(e, self._request) from e
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._answer.close()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, answer: RawAnswer, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            try:
                chunk = await self._answer.aread_chunk()
            except _exc.SurefootError as e:
                raise _transport_error(e, self._request) from e
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        self._answer.close()


class HTTPTransport(httpx.BaseTransport):
    """A sync httpx transport over surefoot's core; options as ``surefoot.Client``'s."""

    def __init__(self, **options: object) -> None:
        self._raw = RawTransport(**options)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        try:
            answer = self._raw.send(request.method, str(request.url), _headers(request), body, _timeout(request))
        except _exc.SurefootError as e:
            refused = _refused(e, request)
            if refused is not None:
                return refused
            raise _transport_error(e, request) from e
        return _response(answer, _SyncStream(answer, request), request)

    def close(self) -> None:
        self._raw.close()


class AsyncHTTPTransport(httpx.AsyncBaseTransport):
    """An asyncio httpx transport over surefoot's core; cancelling a request aborts it."""

    def __init__(self, **options: object) -> None:
        self._raw = RawTransport(**options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            answer = await self._raw.send_async(
                request.method, str(request.url), _headers(request), body, _timeout(request)
            )
        except _exc.SurefootError as e:
            refused = _refused(e, request)
            if refused is not None:
                return refused
            raise _transport_error(e, request) from e
        return _response(answer, _AsyncStream(answer, request), request)

    async def aclose(self) -> None:
        self._raw.close()
