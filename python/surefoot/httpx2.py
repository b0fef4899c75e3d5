"""The transports of :mod:`surefoot.httpx` built on ``httpx2`` (httpx's successor, which
openai 3 and anthropic 2 use)::

    import anthropic, httpx2, surefoot.httpx2

    client = anthropic.Anthropic(
        max_retries=0,
        http_client=httpx2.Client(transport=surefoot.httpx2.HTTPTransport(pacing_store="redis://127.0.0.1:6379/0")),
    )

Everything :mod:`surefoot.httpx` says holds, with ``httpx2``'s exceptions.
"""

from __future__ import annotations

import httpx2

from surefoot._transports import transports

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]

HTTPTransport, AsyncHTTPTransport = transports(httpx2)
