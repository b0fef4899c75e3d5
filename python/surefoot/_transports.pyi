"""Stubs of ``surefoot._transports`` (the classes it builds are typed in ``surefoot.httpx``
and ``surefoot.httpx2``)."""

from types import ModuleType

__all__ = ["transports"]

def transports(h: ModuleType) -> tuple[type, type]: ...
