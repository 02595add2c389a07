"""Class guarded: **repeated request header lines cost the proxy quadratic time** (issue 11,
finding 4, the proxy's part).

The proxy reads ``Origin``, ``Access-Control-Request-Method``, ``-Headers`` and
``-Private-Network`` (through :func:`corsight.asgi.cors_request`, bounded while collecting),
and for forwarding ``X-Forwarded-For``, ``Content-Length``/``Transfer-Encoding`` and
``Connection``: each in one pass, joining lists once, so the cost is linear in the request and
the values kept stop growing at the bounds. Timing-class tests: the same request with n and
2n repeated lines, run in one process, must take about twice as long, not four times (the
ratio, not an absolute time, on a shared machine). The app is the real ``ProxyApp``, called
in-process so that no server's head bound hides the cost.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corsight.proxy import ProxyConfig, create_app
from tests.servers import free_port

PAGE = b"http://page.test"
Headers = list[tuple[bytes, bytes]]


def call(app: Any, method: str, headers: Headers) -> int:
    """One request through the ASGI app; the status it answered."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": "/x", "raw_path": b"/x", "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8080)}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.get_event_loop().run_until_complete(app(scope, receive, send))
    return int(sent[0]["status"])


def timings(app: Any, method: str, small: Headers, large: Headers) -> tuple[float, float]:
    """The best of five runs of each request, interleaved, in CPU time of this process (time
    spent waiting while other processes run is not the cost measured), with the garbage
    collector paused (its full passes grow with the heap, which is not the cost measured either)."""
    best = [float("inf"), float("inf")]
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            for i, headers in enumerate((small, large)):
                started = time.process_time()
                call(app, method, headers)
                best[i] = min(best[i], time.process_time() - started)
    finally:
        gc.enable()
    return best[0], best[1]


@pytest.fixture()
def loop() -> Any:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


def upstream_app(tmp: Path) -> Any:
    """Upstream mode to a closed loopback port: every request is read whole, then refused fast."""
    config = ProxyConfig(allow_origins=[PAGE.decode()], upstream=f"http://127.0.0.1:{free_port()}",
                         access_log=str(tmp / "access.jsonl"))  # fmt: skip
    return create_app(config)


CASES: dict[str, tuple[str, Callable[[int], Headers]]] = {
    "Origin lines": ("GET", lambda n: [(b"origin", b"http://%s%06d.test" % (b"a" * 60, i)) for i in range(n)]),
    "Access-Control-Request-Headers lines": ("OPTIONS", lambda n: [
        (b"origin", PAGE), (b"access-control-request-method", b"PUT"),
        *[(b"access-control-request-headers", b"x-%s%06d" % (b"h" * 60, i)) for i in range(n)]]),
    "Access-Control-Request-Method lines": ("OPTIONS", lambda n: [
        (b"origin", PAGE), *[(b"access-control-request-method", b"PUT") for _ in range(n)]]),
    "Access-Control-Request-Private-Network lines": ("OPTIONS", lambda n: [
        (b"origin", PAGE), (b"access-control-request-method", b"PUT"),
        *[(b"access-control-request-private-network", b"true") for _ in range(n)]]),
    "X-Forwarded-For lines": ("GET", lambda n: [
        (b"origin", PAGE), *[(b"x-forwarded-for", b"203.0.113.%d, 2001:db8::%x, 198.51.100.7" % (i % 250, i))
                             for i in range(n)]]),
    "Connection lines": ("GET", lambda n: [(b"origin", PAGE), *[(b"connection", b"x-a%d" % i) for i in range(n)]]),
    "Content-Length lines": ("POST", lambda n: [(b"origin", PAGE), *[(b"content-length", b"0") for _ in range(n)]]),
}  # fmt: skip
N = 8000


@pytest.mark.parametrize("case", CASES)
def test_repeated_lines_cost_linear_time(loop: Any, tmp_path: Path, case: str) -> None:
    method, make = CASES[case]
    app = upstream_app(tmp_path)
    call(app, method, make(10))  # warm up
    for _ in range(3):  # the lowest of three attempts: a quadratic cost is ~4 in every one
        small, large = timings(app, method, make(N), make(2 * N))
        if large / small < 3.0:
            break
    loop.run_until_complete(app.aclose())
    assert large / small < 3.0, f"{case}: {N} lines {small * 1000:.1f} ms, {2 * N} lines {large * 1000:.1f} ms"


def test_the_values_kept_stop_growing_at_the_bound(loop: Any, tmp_path: Path) -> None:
    app = upstream_app(tmp_path)
    assert call(app, "GET", CASES["Origin lines"][1](2 * N)) == 403
    loop.run_until_complete(app.aclose())
    record = json.loads((tmp_path / "access.jsonl").read_text().splitlines()[-1])
    assert len(record["origin"]) < 8192  # 2N lines sent: about 1.3 MB of origins
