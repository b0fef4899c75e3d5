"""The connection settings of httpx's ``HTTPTransport`` and of requests (pool sizes, proxies,
TLS), as surefoot's transports and adapter take them: each is accepted when it describes
what surefoot's core does anyway, and otherwise refused with an
:class:`~surefoot.InvalidRequestError` naming the argument and saying why. The core sends
over its own connections (reqwest, rustls): it verifies certificates against the Mozilla
root store it carries, or the CA bundle given as ``ca_file`` (httpx's ``verify="ca.pem"``
means that too; without either, the bundle the library it stands in for would read from the
environment: ``SSL_CERT_FILE`` for httpx, ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` for
requests), presents no client certificate, keeps one pool per origin and
credential (idle connections closed after 60 s, as many as the paced calls need), and uses
the proxies of the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
``NO_PROXY``), as httpx and requests do by default."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from surefoot import exceptions as _exc
from surefoot._native import RawTransport

# The environment variables naming a CA bundle that httpx (with trust_env, its default) and
# requests read; surefoot's transports read the same when given no bundle.
HTTPX_CA_ENV = ("SSL_CERT_FILE",)
REQUESTS_CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

__all__ = ["HTTPX_CA_ENV", "REQUESTS_CA_ENV", "check_requests_adapter", "check_requests_send", "raw_transport", "split_httpx_settings"]

_TLS = (
    "surefoot verifies certificates against the Mozilla root store it carries, or the CA bundle "
    "given as ca_file"
)
_PROXY = "surefoot uses the proxies of the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY)"
_POOL = (
    "surefoot keeps its own connection pool per origin and credential, as large as the paced "
    "calls need (bound the calls with rate_limit)"
)

# httpx.HTTPTransport's arguments: (the values surefoot does anyway, why others are refused).
_HTTPX: Dict[str, Tuple[Callable[[Any], bool], str]] = {
    "verify": (lambda v: v is True, _TLS + ": verify=False or an SSLContext cannot be set (a CA bundle's path can)"),
    "cert": (lambda v: v is None, "surefoot presents no client certificate"),
    "trust_env": (lambda v: v is True, _PROXY + "; trust_env=False cannot be set"),
    "proxy": (lambda v: v is None, _PROXY + "; set those instead"),
    "http1": (lambda v: v is True, "surefoot always speaks HTTP/1.1 (and HTTP/2 when TLS negotiates it)"),
    "http2": (lambda v: isinstance(v, bool), "http2 takes a bool"),
    "limits": (lambda v: v is None, _POOL),
    "retries": (lambda v: v == 0, "surefoot retries itself: use max_retries"),
    "uds": (lambda v: v is None, "surefoot connects over TCP only"),
    "local_address": (lambda v: v is None, "surefoot binds no local address"),
    "socket_options": (lambda v: v is None, "surefoot sets its own socket options"),
}


def _refused(owner: str, name: str, value: Any, why: str) -> _exc.InvalidRequestError:
    text = f"{owner}: {name}={value!r} is not supported: {why}"
    return _exc.InvalidRequestError(text, code="invalid_request", kind="invalid_request")


def split_httpx_settings(owner: str, options: Dict[str, object]) -> Dict[str, object]:
    """``options`` without httpx's transport settings, each checked (see the module doc);
    what is left are surefoot's options."""
    rest: Dict[str, object] = {}
    verify = options.get("verify")
    if isinstance(verify, (str, os.PathLike)):
        # httpx's verify="ca.pem": the CA bundle surefoot trusts instead of its own roots.
        if options.get("ca_file") is not None:
            raise _refused(owner, "verify", verify, "give the CA bundle once: verify= or ca_file=")
        options = {k: v for k, v in options.items() if k != "verify"}
        rest["ca_file"] = verify
    for name, value in options.items():
        rule = _HTTPX.get(name)
        if rule is None:
            rest[name] = value
        elif not rule[0](value):
            raise _refused(owner, name, value, rule[1])
    return rest


def raw_transport(options: Dict[str, object], env: Tuple[str, ...]) -> RawTransport:
    """The core's transport for ``options``; without a ``ca_file``, the CA bundle named by
    the first variable of ``env`` that is set (as the library the transport stands in for
    reads it). A bundle from there that cannot be used raises ``InvalidRequestError``
    naming the variable."""
    found = None
    if options.get("ca_file") is None:
        found = next(((name, os.environ[name]) for name in env if os.environ.get(name)), None)
        if found is not None:
            options = {**options, "ca_file": found[1]}
    try:
        return RawTransport(**options)
    except _exc.InvalidRequestError as e:
        if found is None or not e.message.startswith("`ca_file`"):
            raise
        text = f"{found[0]} names a CA bundle surefoot cannot use: {e.message}"
        raise _exc.InvalidRequestError(text, code="invalid_request", kind="invalid_request") from e


def check_requests_adapter(owner: str, options: Dict[str, object]) -> Dict[str, object]:
    """``options`` without requests' ``HTTPAdapter`` settings (``pool_connections``,
    ``pool_maxsize``, ``pool_block``: refused; ``max_retries`` is surefoot's own option, an
    int: a urllib3 ``Retry`` is refused)."""
    rest = dict(options)
    for name in ("pool_connections", "pool_maxsize", "pool_block"):
        if name in rest:
            raise _refused(owner, name, rest[name], _POOL)
    retries = rest.get("max_retries")
    if retries is not None and not isinstance(retries, int):
        raise _refused(
            owner, "max_retries", retries, "max_retries is surefoot's retry count (an int); surefoot retries itself"
        )
    return rest


def check_requests_send(
    owner: str,
    url: str,
    verify: Any,
    cert: Any,
    proxies: Optional[Mapping[str, str]],
    ca_file: Optional[object] = None,
) -> None:
    """requests' per-request settings: ``verify`` must be ``True`` (the session's default),
    the adapter's ``ca_file``, or the bundle requests took from the environment
    (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``: the adapter's bundle too when it was given
    no ``ca_file``), ``cert`` ``None``, and the proxy selected for ``url`` the one of the
    environment (the one requests itself picks with ``trust_env``, the default; the core
    reads the same)."""
    from requests.utils import get_environ_proxies, select_proxy

    from_env = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    allowed = [os.fspath(p) for p in (from_env, ca_file) if isinstance(p, (str, os.PathLike))]
    given = os.fspath(verify) if isinstance(verify, (str, os.PathLike)) else None
    if verify is not True and given not in allowed:
        raise _refused(
            owner, "verify", verify, _TLS + ": verify=False cannot be set; give the adapter ca_file= for a CA bundle"
        )
    if cert is not None:
        raise _refused(owner, "cert", cert, "surefoot presents no client certificate")
    chosen = select_proxy(url, dict(proxies or {}))
    if chosen is not None and chosen != select_proxy(url, get_environ_proxies(url)):
        raise _refused(owner, "proxies", chosen, _PROXY + "; other proxies cannot be set")
