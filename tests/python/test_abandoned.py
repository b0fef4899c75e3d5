"""Abandoned calls release their connection: against a server that accepts and never
answers, calls that pass their deadline (sync) and calls cancelled by ``asyncio.wait_for``
(async) close their sockets — the server sees every one of them closed."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Iterator, List, Tuple

import pytest

import surefoot

KEY = "sk-abandoned-0123456789"


class Silent:
    """Accepts, reads, never answers; counts the sockets the client closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(100)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.closed = 0
        self.lock = threading.Lock()
        self.conns: List[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.closed += 1
                return

    def counts(self, want: int) -> Tuple[int, int]:
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with self.lock:
                if self.closed >= want:
                    break
            time.sleep(0.05)
        with self.lock:
            return self.accepted, self.closed

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    s = Silent()
    yield s
    s.close()


def test_sync_calls_past_their_deadline_close_their_connections(silent: Silent) -> None:
    client = surefoot.Client(silent.url, KEY, max_retries=0, deadline=0.2)
    errors: List[str] = []

    def one() -> None:
        try:
            client.get("/v1/slow")
        except surefoot.APITimeoutError as e:
            errors.append(e.code)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["timeout"] * 20
    assert silent.counts(20) == (20, 20)


def test_async_calls_cancelled_close_their_connections(silent: Silent) -> None:
    async def main() -> int:
        client = surefoot.AsyncClient(silent.url, KEY, max_retries=0)
        cancelled = 0

        async def one() -> None:
            nonlocal cancelled
            try:
                await asyncio.wait_for(client.get("/v1/slow"), 0.2)
            except asyncio.TimeoutError:
                cancelled += 1

        await asyncio.gather(*[one() for _ in range(20)])
        return cancelled

    assert asyncio.run(main()) == 20
    assert silent.counts(20) == (20, 20)
