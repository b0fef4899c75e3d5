"""A requests adapter that sends every request through surefoot's core::

    import requests, surefoot.requests

    session = requests.Session()
    session.mount("https://api.example.com/", surefoot.requests.HTTPAdapter(pacing_store="redis://127.0.0.1:6379/0"))

Pacing per credential (``Authorization`` of any scheme, ``x-api-key``, ``api-key`` or
``key_header=``), retries honouring ``Retry-After``, the outage hold, the retry budget and the
deadline work as in :mod:`surefoot.httpx`, with the same keyword options. The final HTTP
answer comes back as a ``requests.Response`` whatever its status (``raise_for_status()``
works as usual); with ``stream=True`` its body is read chunk by chunk as it arrives.
Transport failures raise ``requests.ConnectionError`` / ``requests.ConnectTimeout`` /
``requests.ReadTimeout``. A call refused before anything was sent (the key paused longer
than ``max_retry_wait`` or the deadline allow) comes back as a synthesized answer, status 429
with ``x-surefoot-not-sent: true`` (see :mod:`surefoot.httpx`). The adapter asks for
uncompressed bodies (it sends no ``Accept-Encoding``): requests would not decode what it
hands over. Request bodies of any kind are read once; the same bytes go out on every
attempt. Cookies are not extracted into the session's jar.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any, Iterator, List, Mapping, Optional, Tuple, Union

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from surefoot import exceptions as _exc
from surefoot._native import RawAnswer
from surefoot._settings import REQUESTS_CA_ENV, check_requests_adapter, check_requests_send, raw_transport

__all__ = ["HTTPAdapter"]


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in body)


def _read_timeout(timeout: Union[None, float, Tuple[Optional[float], Optional[float]]]) -> Optional[float]:
    if isinstance(timeout, tuple):
        return timeout[1]
    return timeout


class _Body(io.RawIOBase):
    """The answer's body as the file-like ``Response.raw`` requests reads from."""

    def __init__(self, answer: RawAnswer, request: requests.PreparedRequest) -> None:
        self._answer = answer
        self._request = request
        self._buffer = b""
        self._done = False

    def _next(self) -> Optional[bytes]:
        if self._done:
            return None
        try:
            chunk = self._answer.read_chunk()
        except _exc.SurefootError as e:
            raise _transport_error(e, self._request) from e
        if chunk is None:
            self._done = True
        return chunk

    def stream(self, amt: int = 65536, decode_content: Optional[bool] = None) -> Iterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        while True:
            chunk = self._next()
            if chunk is None:
                return
            yield chunk

    def read(self, amt: Optional[int] = None, *args: Any, **kwargs: Any) -> bytes:
        while amt is None or len(self._buffer) < amt:
            chunk = self._next()
            if chunk is None:
                break
            self._buffer += chunk
        if amt is None:
            amt = len(self._buffer)
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._answer.close()
        super().close()


def _transport_error(err: _exc.SurefootError, request: requests.PreparedRequest) -> Exception:
    if isinstance(err, _exc.APITimeoutError):
        return requests.ReadTimeout(str(err), request=request)
    if isinstance(err, _exc.APIConnectionError):
        # The core words a connect that failed (nothing reached the server) this way.
        return requests.ConnectionError(str(err), request=request)
    return err


class HTTPAdapter(BaseAdapter):
    """A requests transport adapter over surefoot's core; options as ``surefoot.Client``'s.
    requests' own adapter settings are refused (``pool_connections``, ``pool_maxsize``,
    ``pool_block``; a urllib3 ``Retry`` as ``max_retries``, which is surefoot's retry count).
    Without ``ca_file``, HTTPS trusts the bundle ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``
    names, as requests does, else the Mozilla roots surefoot carries."""

    def __init__(self, **options: object) -> None:
        super().__init__()
        self._ca_file = options.get("ca_file")
        self._raw = raw_transport(check_requests_adapter("surefoot.requests.HTTPAdapter", options), REQUESTS_CA_ENV)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Union[None, float, Tuple[Optional[float], Optional[float]]] = None,
        verify: Union[bool, str] = True,
        cert: Any = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        """Sends ``request`` through surefoot's core and returns the final answer as a
        ``requests.Response`` (any status). ``timeout`` is honoured as the smaller of it and
        surefoot's own. ``verify`` must be ``True`` or the adapter's ``ca_file``, ``cert``
        ``None`` and the proxy for the URL the environment's (surefoot verifies TLS against
        its own roots or ``ca_file`` and uses the environment's proxies): anything else
        raises ``surefoot.InvalidRequestError`` naming the argument. A call refused before sending comes back as a 429 marked
        ``x-surefoot-not-sent: true``."""
        check_requests_send("surefoot.requests.HTTPAdapter", request.url or "", verify, cert, proxies, self._ca_file)
        headers: List[Tuple[bytes, bytes]] = [
            (k.encode("latin-1"), v.encode("latin-1") if isinstance(v, str) else bytes(v))
            for k, v in request.headers.items()
            if k.lower() != "accept-encoding"
        ]
        try:
            answer = self._raw.send(
                request.method or "GET", request.url or "", headers, _body(request.body), _read_timeout(timeout)
            )
        except _exc.SurefootError as e:
            if isinstance(e, _exc.RateLimitError) or (
                isinstance(e, _exc.APIStatusError) and e.status_code is not None and e.attempts == 0
            ):
                return self._not_sent(e, request)
            raise _transport_error(e, request) from e
        resp = requests.Response()
        resp.status_code = answer.status
        resp.headers = CaseInsensitiveDict(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in answer.headers}
        )
        resp.raw = _Body(answer, request)
        return self._finish(resp, request)

    def _finish(self, resp: requests.Response, request: requests.PreparedRequest) -> requests.Response:
        resp.encoding = get_encoding_from_headers(resp.headers)
        resp.reason = _reason(resp.status_code)
        resp.url = request.url or ""
        resp.request = request
        resp.connection = self  # type: ignore[assignment]  # typed as requests' own HTTPAdapter
        return resp

    def _not_sent(self, err: _exc.APIStatusError, request: requests.PreparedRequest) -> requests.Response:
        status = err.status_code or 429
        resp = requests.Response()
        resp.status_code = status
        headers = {"content-type": "application/json", "x-surefoot-not-sent": "true", "x-should-retry": "false"}
        if err.retry_after is not None:
            headers["retry-after"] = str(math.ceil(err.retry_after))
        resp.headers = CaseInsensitiveDict(headers)
        kind = "rate_limit_error" if status == 429 else "api_error"
        body = {"error": {"message": str(err), "type": kind, "code": err.code, "param": None, "not_sent": True}}
        resp.raw = io.BytesIO(json.dumps(body).encode())
        return self._finish(resp, request)

    def close(self) -> None:
        """Releases the adapter's connections."""
        self._raw.close()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
