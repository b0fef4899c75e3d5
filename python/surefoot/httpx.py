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

openai 3 and anthropic 2 are built on ``httpx2`` (httpx's successor): give them an
``httpx2.Client`` with :mod:`surefoot.httpx2`'s transports, the same classes built on
``httpx2`` (anthropic refuses an ``httpx.Client``; openai 3 still accepts one).

The per-attempt timeout is the smaller of surefoot's ``timeout`` and the request's httpx
read timeout. Invalid options raise ``surefoot.InvalidRequestError``.
"""

from __future__ import annotations

import httpx

from surefoot._transports import transports

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]

HTTPTransport, AsyncHTTPTransport = transports(httpx)
