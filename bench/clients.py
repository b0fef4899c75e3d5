"""The Python side of `make bench`: one benchmark client run per process, driven by run.py.

Usage: ``python clients.py '<spec as JSON>'``. The process imports only the library it
measures, sets up (clients built, ids generated, connections warmed), prints ``ready``,
waits for one line on stdin, runs the measured part and prints one JSON line: wall and
CPU time of the measured part, calls that succeeded and failed, peak and starting RSS,
and ``time.monotonic()`` timestamps (CLOCK_MONOTONIC, comparable with the driver's).

Clients (``spec["client"]``):

- ``surefoot``          surefoot's typed clients (sync; ``surefoot-async`` for asyncio)
- ``requests``          requests + urllib3 ``Retry(total=5, backoff_factor=0.5,
                        status_forcelist=[429, 500, 502, 503, 504], allowed_methods=None)``,
                        which honours ``Retry-After``
- ``httpx-tenacity``    httpx + tenacity: ``stop_after_attempt(6)``,
                        ``wait_random_exponential(multiplier=0.5, max=8)`` (full jitter),
                        retrying 408/429/5xx and transport errors; ignores Retry-After
- ``openai-style``      httpx with openai-python's retry policy written out: 2 retries,
                        0.5 s doubling to 8 s with up to 25 % jitter, ``retry-after-ms`` /
                        ``Retry-After`` honoured when 0 < wait <= 60 s
- ``urllib3``           a bare urllib3 PoolManager (overhead only)
- ``httpx``             bare httpx (overhead; ``httpx-async`` for asyncio)
- ``aiohttp``           bare aiohttp (overhead, asyncio)
- ``pyreqwest``         pyreqwest, a Rust-backed client on reqwest (sync; ``pyreqwest-async``)
- ``surefoot-create-many``  ``pyai.jobs.create_many`` (create_many; ``-learn``: no limit given)
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from typing import Any, Callable

RETRYABLE = (408, 429, 500, 502, 503, 504)


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGESIZE") // 1024


def hwm_kb() -> int:
    """Peak RSS of this process image (VmHWM). Not ``ru_maxrss``: Linux carries that over
    ``execve`` from the forking parent, so it would report the driver's size."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def wait_for_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def ids(n: int, workspace_size: int) -> list[str]:
    return [f"tr_alpha_{i % workspace_size:06d}" for i in range(n)]


# ----- peers' retry policies ---------------------------------------------------------------


class RetryableStatus(Exception):
    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def requests_session(pool: int) -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=5,
        backoff_factor=0.5,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=None,  # POST too: every request here is idempotent or keyed
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=pool))
    return s


def tenacity_wrap(fn: Callable[[], Any]) -> Callable[[], Any]:
    import httpx
    from tenacity import (
        retry,
        retry_if_exception_type,
        stop_after_attempt,
        wait_random_exponential,
    )

    @retry(
        stop=stop_after_attempt(6),
        wait=wait_random_exponential(multiplier=0.5, max=8),
        retry=retry_if_exception_type((RetryableStatus, httpx.TransportError)),
        reraise=True,
    )
    def call() -> Any:
        r = fn()
        if r.status_code in RETRYABLE:
            raise RetryableStatus(r)
        return r

    return call


def openai_style(fn: Callable[[], Any], max_retries: int = 2) -> Any:
    """openai-python's ``_retry_request`` policy, written out for plain httpx."""
    import httpx

    retries = 0
    while True:
        try:
            r = fn()
        except httpx.TransportError:
            if retries >= max_retries:
                raise
            r = None
        if r is not None:
            should = r.headers.get("x-should-retry")
            if should == "false" or (
                should != "true" and not (r.status_code in (408, 409, 429) or r.status_code >= 500)
            ):
                return r
            if retries >= max_retries:
                return r
        wait = None
        if r is not None:
            try:
                ms = r.headers.get("retry-after-ms")
                wait = float(ms) / 1000 if ms else float(r.headers.get("retry-after", ""))
            except ValueError:
                wait = None
        if wait is None or not (0 < wait <= 60):
            wait = min(0.5 * 2.0**retries, 8.0) * (1 - 0.25 * random.random())
        time.sleep(wait)
        retries += 1


# ----- the calls each benchmark makes ------------------------------------------------------


def make_sync_call(spec: dict[str, Any], client: str, pool: int, kind: str) -> Callable[[int], bool]:
    """``call(i) -> ok`` for ``kind``: ``job`` (POST a PyAI job), ``get_job`` (GET one job),
    ``get_tr`` (GET a Specala transcription), ``export`` (single Specala export)."""
    url, key = spec["url"], spec["key"]
    auth = {"Authorization": f"Bearer {key}"}
    workspace = ids(spec.get("n", 0) or 1, spec.get("workspace_size", 3000))
    job_id = spec.get("job_id")

    def target(i: int) -> tuple[str, str, Any]:
        if kind == "job":
            return "POST", f"{url}/v1/transcription/jobs", {"audio_url": f"https://example.com/bench/{i}.wav"}
        if kind == "get_job":
            return "GET", f"{url}/v1/transcription/jobs/{job_id}", None
        if kind == "get_tr":
            return "GET", f"{url}/v1/transcriptions/{workspace[i]}", None
        return "GET", f"{url}/v1/transcriptions/{workspace[i]}/export?format=md", None

    def idem(method: str) -> dict[str, str]:
        return {**auth, "Idempotency-Key": str(uuid.uuid4())} if method == "POST" else auth

    if client in ("surefoot", "surefoot-learn"):
        import surefoot

        rate = spec.get("rate") if client == "surefoot" else None
        opts: dict[str, Any] = {}
        if rate:
            opts["rate_limit"] = surefoot.RateLimit(rate["requests"], rate["per"], rate["burst"])
        if kind in ("job", "get_job"):
            pyai = surefoot.PyAI(api_key=key, base_url=url, **opts)

            def call(i: int) -> bool:
                try:
                    if kind == "job":
                        pyai.jobs.create(f"https://example.com/bench/{i}.wav")
                    else:
                        pyai.jobs.get(job_id)
                    return True
                except surefoot.SurefootError:
                    return False

            return call
        specala = surefoot.Specala(api_key=key, base_url=url, **opts)

        def call(i: int) -> bool:
            try:
                if kind == "get_tr":
                    specala.transcriptions.get(workspace[i])
                else:
                    specala.transcriptions.export(workspace[i], "md")
                return True
            except surefoot.SurefootError:
                return False

        return call

    decode = (lambda r: r.text) if kind == "export" else (lambda r: r.json())

    if client == "requests":
        s = requests_session(pool)

        def call(i: int) -> bool:
            method, u, body = target(i)
            try:
                r = s.request(method, u, json=body, headers=idem(method), timeout=60)
            except Exception:
                return False
            if r.status_code >= 400:
                return False
            decode(r)
            return True

        return call

    if client == "urllib3":
        import urllib3

        http = urllib3.PoolManager(maxsize=pool, retries=False)

        def call(i: int) -> bool:
            method, u, body = target(i)
            try:
                r = http.request(method, u, json=body, headers=idem(method), timeout=60)
            except Exception:
                return False
            if r.status >= 400:
                return False
            json.loads(r.data)
            return True

        return call

    if client == "pyreqwest":
        from datetime import timedelta

        from pyreqwest.client import SyncClientBuilder

        prc = SyncClientBuilder().max_connections(pool).timeout(timedelta(seconds=60)).build()

        def call(i: int) -> bool:
            method, u, body = target(i)
            req = prc.request(method, u).headers(idem(method))
            if body is not None:
                req = req.body_json(body)
            try:
                r = req.build().send()
            except Exception:
                return False
            if r.status >= 400:
                return False
            r.json()
            return True

        return call

    import httpx

    hc = httpx.Client(
        timeout=60,
        limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
    )

    def send(i: int) -> Any:
        method, u, body = target(i)
        return hc.request(method, u, json=body, headers=idem(method))

    if client == "httpx":

        def call(i: int) -> bool:
            try:
                r = send(i)
            except Exception:
                return False
            if r.status_code >= 400:
                return False
            decode(r)
            return True

        return call

    if client == "httpx-tenacity":

        def call(i: int) -> bool:
            method, u, body = target(i)
            h = idem(method)  # one key for every attempt
            try:
                r = tenacity_wrap(lambda: hc.request(method, u, json=body, headers=h))()
            except Exception:
                return False
            if r.status_code >= 400:
                return False
            decode(r)
            return True

        return call

    if client == "openai-style":

        def call(i: int) -> bool:
            method, u, body = target(i)
            h = idem(method)
            try:
                r = openai_style(lambda: hc.request(method, u, json=body, headers=h))
            except Exception:
                return False
            if r.status_code >= 400:
                return False
            decode(r)
            return True

        return call

    raise SystemExit(f"unknown client {client}")


def thread_pool(n: int, workers: int, call: Callable[[int], bool]) -> tuple[int, int, float]:
    """``n`` calls on ``workers`` threads pulling from one counter."""
    counter = iter(range(n))
    lock = threading.Lock()
    totals = [0, 0, 0.0]

    def worker() -> None:
        ok = failed = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            if call(i):
                ok += 1
            else:
                failed += 1
        with lock:
            totals[0] += ok
            totals[1] += failed
            totals[2] = max(totals[2], time.monotonic())

    if workers == 1:
        worker()
    else:
        threads = [threading.Thread(target=worker) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return int(totals[0]), int(totals[1]), totals[2]


# ----- async ------------------------------------------------------------------------------


async def async_overhead(spec: dict[str, Any], client: str) -> tuple[int, int, float, float, float, int]:
    import asyncio

    url, key, job_id = spec["url"], spec["key"], spec["job_id"]
    workers, n = spec["concurrency"], spec["n"]
    target = f"{url}/v1/transcription/jobs/{job_id}"
    auth = {"Authorization": f"Bearer {key}"}
    closers = []

    if client == "surefoot-async":
        import surefoot

        pyai = surefoot.AsyncPyAI(api_key=key, base_url=url)

        async def call() -> bool:
            try:
                await pyai.jobs.get(job_id)
                return True
            except surefoot.SurefootError:
                return False

    elif client == "httpx-async":
        import httpx

        hc = httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
        )
        closers.append(hc.aclose)

        async def call() -> bool:
            try:
                r = await hc.get(target, headers=auth)
            except Exception:
                return False
            if r.status_code >= 400:
                return False
            r.json()
            return True

    elif client == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers))
        closers.append(session.close)

        async def call() -> bool:
            try:
                async with session.get(target, headers=auth) as r:
                    if r.status >= 400:
                        return False
                    await r.json()
                    return True
            except Exception:
                return False

    elif client == "pyreqwest-async":
        from datetime import timedelta

        from pyreqwest.client import ClientBuilder

        prc = ClientBuilder().max_connections(workers).timeout(timedelta(seconds=60)).build()
        closers.append(prc.close)

        async def call() -> bool:
            try:
                r = await prc.get(target).headers(auth).build().send()
                if r.status >= 400:
                    return False
                await r.json()
                return True
            except Exception:
                return False

    else:
        raise SystemExit(f"unknown async client {client}")

    async def run(count: int) -> tuple[int, int, float]:
        remaining = [count]
        totals = [0, 0, 0.0]

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                if await call():
                    totals[0] += 1
                else:
                    totals[1] += 1
            totals[2] = max(totals[2], time.monotonic())

        await asyncio.gather(*(worker() for _ in range(workers)))
        return int(totals[0]), int(totals[1]), totals[2]

    await run(spec.get("warmup", 0))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, wait_for_go)
    rss_before = rss_kb()
    t0, c0 = time.monotonic(), cpu()
    ok, failed, last = await run(n)
    for close in closers:
        await close()
    return ok, failed, last, t0, c0, rss_before


# ----- benchmarks -------------------------------------------------------------------------


def main() -> None:
    spec = json.loads(sys.argv[1])
    bench, client = spec["bench"], spec["client"]
    n, workers = spec.get("n", 0), spec.get("concurrency", 1)
    extra: dict[str, Any] = {}

    if bench == "overhead" and client in ("surefoot-async", "httpx-async", "aiohttp", "pyreqwest-async"):
        import asyncio

        ok, failed, last, t0, c0, rss_before = asyncio.run(async_overhead(spec, client))
    elif bench == "overhead":
        call = make_sync_call(spec, client, workers, "get_job")
        thread_pool(spec.get("warmup", 0), workers, call)
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        ok, failed, last = thread_pool(n, workers, call)
    elif bench == "goodput":
        call = make_sync_call(spec, client, workers, "job" if spec["api"] == "pyai" else "get_tr")
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        ok, failed, last = thread_pool(n, workers, call)
    elif bench == "create_many" and client.startswith("surefoot-create-many"):
        import surefoot

        r = spec["rate"]
        opts: dict[str, Any] = {}
        if client == "surefoot-create-many":
            opts["rate_limit"] = surefoot.RateLimit(r["requests"], r["per"], r["burst"])
        pyai = surefoot.PyAI(api_key=spec["key"], base_url=spec["url"], **opts)
        urls = [f"https://example.com/bench/{i}.wav" for i in range(n)]
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        results = pyai.jobs.create_many(urls, concurrency=workers)
        ok = sum(1 for res in results if res.ok)
        failed = n - ok
        last = time.monotonic()
        extra["rounds_max"] = max((res.rounds for res in results), default=0)
        extra["errors"] = sorted({type(res.error).__name__ for res in results if res.error})
    elif bench == "create_many":
        # A thread pool over single creations, like goodput's PyAI run.
        call = make_sync_call(spec, client, workers, "job")
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        ok, failed, last = thread_pool(n, workers, call)
    elif bench == "bulk":
        if client == "surefoot" and spec["mode"] == "bulk":
            import surefoot

            r = spec["rate"]
            specala = surefoot.Specala(
                api_key=spec["key"],
                base_url=spec["url"],
                rate_limit=surefoot.RateLimit(r["requests"], r["per"], r["burst"]),
            )
            all_ids = ids(n, spec.get("workspace_size", 3000))
            wait_for_go()
            rss_before = rss_kb()
            t0, c0 = time.monotonic(), cpu()
            try:
                docs = specala.transcriptions.bulk_export(all_ids, "md")
                ok, failed = len(docs), 0
                extra["bytes"] = sum(len(d) for d in docs.values())
            except surefoot.SurefootError as e:
                print(f"bulk export failed: {e}", file=sys.stderr)
                ok, failed = 0, n
            last = time.monotonic()
        else:
            call = make_sync_call(spec, client, 1, "export")
            wait_for_go()
            rss_before = rss_kb()
            t0, c0 = time.monotonic(), cpu()
            ok, failed, last = thread_pool(n, 1, call)
    elif bench == "paginate":
        ok, failed, last, t0, c0, rss_before, extra = paginate(spec, client)
    elif bench == "outage":
        clients = spec["clients"]
        items = spec["items"]
        calls = [make_sync_call(spec, client, 1, "get_job") for _ in range(clients)]
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        totals = [0, 0, 0.0]
        lock = threading.Lock()

        def one(call: Callable[[int], bool]) -> None:
            o = f = 0
            for i in range(items):
                if call(i):
                    o += 1
                else:
                    f += 1
            with lock:
                totals[0] += o
                totals[1] += f
                totals[2] = max(totals[2], time.monotonic())

        threads = [threading.Thread(target=one, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok, failed, last = int(totals[0]), int(totals[1]), totals[2]
    else:
        raise SystemExit(f"unknown benchmark {bench}")

    t1, c1 = time.monotonic(), cpu()
    out = {
        "wall_s": t1 - t0,
        "cpu_s": c1 - c0,
        "ok": ok,
        "failed": failed,
        "t_start": t0,
        "t_end": t1,
        "last_done": last,
        "rss_before_kb": rss_before,
        "maxrss_kb": hwm_kb(),
        **extra,
    }
    print(json.dumps(out), flush=True)
    os._exit(0)  # skip interpreter teardown (threads of the peers' pools)


def paginate(spec: dict[str, Any], client: str) -> tuple[Any, ...]:
    """Walks every item; ``surefoot`` with ``prefetch`` on or off, or ``openai-style``:
    the loop openai-python's SyncCursorPage runs (fetch a page, yield its items, fetch the
    next with the cursor) over httpx with its retry policy."""
    url, key = spec["url"], spec["key"]
    count = chars = 0
    if client == "surefoot":
        import surefoot

        specala = surefoot.Specala(
            api_key=key, base_url=url, pacing=False, prefetch=bool(spec["prefetch"])
        )
        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        for t in specala.transcriptions.list(limit=100):
            count += 1
            chars += len(t.title)
    else:
        import httpx

        hc = httpx.Client(timeout=60)
        auth = {"Authorization": f"Bearer {key}"}

        def pages():  # type: ignore[no-untyped-def]
            cursor = None
            while True:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                r = openai_style(lambda: hc.get(f"{url}/v1/transcriptions", params=params, headers=auth))
                r.raise_for_status()
                page = r.json()
                yield page["data"]
                cursor = page.get("next_cursor")
                if not cursor:
                    return

        wait_for_go()
        rss_before = rss_kb()
        t0, c0 = time.monotonic(), cpu()
        for page in pages():
            for t in page:
                count += 1
                chars += len(t["title"])
    return count, 0, time.monotonic(), t0, c0, rss_before, {"items": count, "chars": chars}


if __name__ == "__main__":
    main()
