"""Guards the class "reading the CORS request headers costs more than linear time".

Every adapter reads Origin, Access-Control-Request-Method, -Headers and -Private-Network. A
header sent in many lines must cost time linear in the request and constant per line once the
4 KiB bound is passed (the ASGI adapter once joined lines by string concatenation: quadratic,
seconds of blocked event loop for a few MB), and the bound must not change a decision: a value
past it is denied, a repeated Origin or method never matches, a list split over lines under
the bound reads as one.

Timings compare n and 2n in one run (ratio, never absolute time): linear is about 2, the
quadratic join about 4. ASGI and aiohttp get the lines one by one; WSGI servers (and so
Flask and Django under WSGI) hand over one value already joined, which must cost the same
whatever its length past the bound. Servers are real (uvicorn, aiohttp) where the
request crosses a socket; the ratios are also taken in-process, on the adapters alone,
where nothing else blurs them.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from corsight import Policy
from corsight.aiohttp import cors_middleware
from corsight.asgi import CORSMiddleware as ASGICors
from corsight.asgi import cors_request
from corsight.engine import MAX_REQUEST_HEADERS_LENGTH, Decision, Engine
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.servers import serve_aiohttp, serve_asgi

APP = "https://app.example.com"
SETTINGS: dict[str, Any] = {
    "allow_origins": [APP],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "allow_private_network": True,
}
POLICY = Policy(**SETTINGS)
ANY = Policy("*", allow_methods=["*"], allow_headers=["*"])  # reflects what is asked
ACRM = b"access-control-request-method"
ACRH = b"access-control-request-headers"
PNA = b"access-control-request-private-network"
#: One line of requested headers, all allowed: 100 bytes, so 2,000 lines are far past the bound.
LINE = b"x-token, " * 11 + b"x-token"
#: An origin of 100 bytes, so that repeating it costs enough to tell linear from quadratic.
LONG_ORIGIN = b"https://" + b"a" * 80 + b".example.com"
LINEAR = 3.0  # most n -> 2n may grow: linear is ~2, the quadratic join ~4


# -- timing helpers --------------------------------------------------------------------------


def growth(work: Callable[[int], Callable[[], object]], n: int, repeat: int = 5) -> float:
    """How much longer ``work(2n)`` takes than ``work(n)``: best of ``repeat``, interleaved."""
    small, big = work(n), work(2 * n)
    best = {small: float("inf"), big: float("inf")}
    for _ in range(repeat):
        for run in (small, big):
            start = time.perf_counter()
            run()
            best[run] = min(best[run], time.perf_counter() - start)
    return best[big] / max(best[small], 1e-9)


def run_now(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (the middleware answering a preflight) without a loop."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise AssertionError("the middleware waited for something")


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def asgi_answer(
    middleware: Any, headers: list[tuple[bytes, bytes]], method: str = "OPTIONS"
) -> dict[str, Any]:
    """The response start the ASGI middleware sends for a request with these header lines."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/api", "root_path": "", "headers": headers}
    run_now(middleware(scope, _receive, send))
    return sent[0]


def preflight(*extra: tuple[bytes, bytes], origin: bytes = APP.encode()) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"api.example.com"), (b"origin", origin), (ACRM, b"PUT"), *extra]


# -- ASGI: the adapter alone -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "base"),
    [
        pytest.param(ACRH, LINE, preflight(), id="request-headers"),
        pytest.param(b"origin", LONG_ORIGIN, preflight(), id="origin"),
        pytest.param(ACRM, b"PUT", preflight(), id="request-method"),
        pytest.param(PNA, b"true", preflight(), id="private-network"),
        pytest.param(b"origin", LONG_ORIGIN, [(b"host", b"api.example.com")], id="origin-actual-request"),
    ],
)
def test_asgi_repeated_lines_cost_linear_time(name: bytes, line: bytes, base: list[Any]) -> None:
    middleware = ASGICors(_app, policy=POLICY)
    method = "OPTIONS" if (ACRM, b"PUT") in base else "GET"

    def work(n: int) -> Callable[[], object]:
        headers = [*base, *[(name, line)] * n]
        return lambda: asgi_answer(middleware, headers, method)

    assert growth(work, 2_000) < LINEAR


def test_asgi_value_past_the_bound_is_denied_and_under_it_unchanged() -> None:
    middleware = ASGICors(_app, policy=POLICY)
    status = lambda headers: asgi_answer(middleware, headers)["status"]  # noqa: E731
    # A list split over lines reads as one (RFC 9110), as long as it is within the bound...
    assert status(preflight((ACRH, b"x-token"), (ACRH, b"X-Token"))) == 204
    assert status(preflight(*[(ACRH, LINE)] * (MAX_REQUEST_HEADERS_LENGTH // (len(LINE) + 1)))) == 204
    assert status(preflight((ACRH, b"x-token"), (ACRH, b"x-other"))) == 403  # every line is read
    # ...and past it, however it is cut into lines, it is denied like one long line.
    for lines in (1, 2, 50, 4_000):
        size = MAX_REQUEST_HEADERS_LENGTH // lines + 1
        assert status(preflight(*[(ACRH, b"," * size)] * lines)) == 403, lines
    # A repeated Origin or method never matches, even the allowed one twice.
    assert status(preflight((b"origin", APP.encode()))) == 403
    assert status(preflight((ACRM, b"PUT"))) == 403
    assert status(preflight(*[(ACRM, b"PUT")] * 3_000)) == 403
    actual = asgi_answer(middleware, [(b"origin", APP.encode())] * 3_000, "GET")
    assert not [n for n, _ in actual["headers"] if n.startswith(b"access-control-")]
    # The private-network flag is a presence: many lines are one request for it.
    many = asgi_answer(middleware, preflight(*[(PNA, b"true")] * 3_000))
    assert (b"access-control-allow-private-network", b"true") in many["headers"]


def test_asgi_joined_value_stays_bounded() -> None:
    origin, method, requested, _ = cors_request(
        [(b"origin", b"x" * 100_000), (b"origin", b"y" * 100_000)]
        + [(ACRM, b"PUT")] * 10_000
        + [(ACRH, b"x-token")] * 100_000
    )
    bound = 2 * MAX_REQUEST_HEADERS_LENGTH + 4  # two lines cut past the bound, and a separator
    assert origin is not None and len(origin) <= bound and ", " in origin
    assert method is not None and len(method) <= bound
    assert requested is not None and MAX_REQUEST_HEADERS_LENGTH < len(requested) <= bound


def test_uvicorn_with_repeated_lines() -> None:
    """The same through a real uvicorn (httptools takes heads of any size): the answers are as
    designed, and the time grows linearly with the number of lines."""
    with (
        serve_asgi(ASGICors(_app, policy=POLICY), http="httptools") as url,
        httpx.Client(base_url=url) as client,
    ):

        def ask(*extra: tuple[str, str], origin: str = APP) -> httpx.Response:
            head = [("Origin", origin), ("Access-Control-Request-Method", "PUT"), *extra]
            return client.options("/api", headers=head)

        assert (
            ask(
                ("Access-Control-Request-Headers", "x-token"), ("Access-Control-Request-Headers", "x-token")
            ).status_code
            == 204
        )
        assert ask(*[("Access-Control-Request-Headers", LINE.decode())] * 2_000).status_code == 403
        assert ask(("Origin", APP)).status_code == 403
        assert ask(("Access-Control-Request-Method", "PUT")).status_code == 403

        def work(n: int) -> Callable[[], object]:
            lines = [("Access-Control-Request-Headers", LINE.decode())] * n
            return lambda: ask(*lines)

        assert growth(work, 2_000, repeat=3) < LINEAR


# -- aiohttp ---------------------------------------------------------------------------------


async def _aiohttp_ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def test_aiohttp_with_repeated_lines() -> None:
    app = web.Application(middlewares=[cors_middleware(POLICY)])
    app.router.add_get("/api", _aiohttp_ok)
    # aiohttp allows 128 header lines by default: raised here so the bound, not aiohttp, is tested.
    with serve_aiohttp(app, max_headers=20_000) as url, httpx.Client(base_url=url) as client:

        def ask(*extra: tuple[str, str], origin: str = APP) -> httpx.Response:
            head = [("Origin", origin), ("Access-Control-Request-Method", "PUT"), *extra]
            return client.options("/api", headers=head)

        both = ask(
            ("Access-Control-Request-Headers", "x-token"), ("Access-Control-Request-Headers", "x-token")
        )
        assert both.status_code == 204
        # Every line is read (the adapter used to read only the first).
        assert (
            ask(
                ("Access-Control-Request-Headers", "x-token"), ("Access-Control-Request-Headers", "x-other")
            ).status_code
            == 403
        )
        assert ask(*[("Access-Control-Request-Headers", LINE.decode())] * 2_000).status_code == 403
        assert ask(("Origin", APP)).status_code == 403
        assert ask(("Access-Control-Request-Method", "PUT")).status_code == 403  # used to read the first

        def work(n: int) -> Callable[[], object]:
            lines = [("Access-Control-Request-Headers", LINE.decode())] * n
            return lambda: ask(*lines)

        assert growth(work, 2_000, repeat=3) < LINEAR


# -- the bound never changes a decision -----------------------------------------------------

_NAMES = st.sampled_from([b"origin", ACRM, ACRH, PNA, b"x-other"])
_PIECES = st.sampled_from(
    [
        b"x-token",
        b"X-Token",
        b"x-other",
        b",",
        b", ",
        b" ",
        b"",
        APP.encode(),
        b"https://evil.example",
        b"PUT",
        b"\xff",
    ]
)
_VALUES = st.builds(lambda piece, times: piece * times, _PIECES, st.integers(0, 3) | st.integers(0, 900))
_LINES = st.lists(st.tuples(_NAMES, _VALUES), max_size=12)


def whole(lines: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None, str | None, bool]:
    """The engine's inputs from every line, unbounded: what the bound must never change."""

    lines = list(lines)

    def joined(name: bytes, separator: str) -> str | None:
        values = [value.decode("latin-1") for n, value in lines if n == name]
        return separator.join(values) if values else None

    return (joined(b"origin", ", "), joined(ACRM, ", "), joined(ACRH, ","), any(n == PNA for n, _ in lines))


def outcome(decision: Decision) -> tuple[Any, ...]:
    return decision.kind, decision.status, decision.reason, decision.headers, decision.vary


def decide(engine: Engine, method: str, read: tuple[str | None, str | None, str | None, bool]) -> Decision:
    """The engine's decision on what an adapter read: Origin, the method, the headers, the flag."""
    origin, request_method, request_headers, private_network = read
    return engine.decide(
        method=method,
        origin=origin,
        request_method=request_method,
        request_headers=request_headers,
        request_private_network=private_network,
    )


@pytest.mark.parametrize("policy", [POLICY, ANY], ids=["listed", "any"])
@settings(max_examples=300, deadline=None)
@given(lines=_LINES, method=st.sampled_from(["OPTIONS", "GET"]))
def test_bounded_reading_decides_as_reading_everything(
    policy: Policy, lines: list[tuple[bytes, bytes]], method: str
) -> None:
    from corsight.aiohttp import _header  # the aiohttp adapter's reading, on aiohttp's own multidict

    engine = Engine(policy)
    expected = outcome(decide(engine, method, whole(lines)))
    assert outcome(decide(engine, method, cors_request(lines))) == expected
    headers = CIMultiDictProxy(CIMultiDict((n.decode(), v.decode("latin-1")) for n, v in lines))
    read = (
        _header(headers, "Origin", ", "),
        _header(headers, "Access-Control-Request-Method", ", "),
        _header(headers, "Access-Control-Request-Headers", ","),
        "Access-Control-Request-Private-Network" in headers,
    )
    assert outcome(decide(engine, method, read)) == expected


# -- WSGI, Flask, Django: one value per header, joined by the server -----------------------------


def wsgi_environ(**headers: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/api/items", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }  # fmt: skip
    environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    return environ


def wsgi_status(app: Any, environ: dict[str, Any]) -> str:
    seen: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: seen.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return seen[0]


def _wsgi_apps() -> dict[str, Any]:
    import django
    from flask import Flask

    from corsight.flask import CORS

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
    django.setup()
    from django.core.wsgi import get_wsgi_application

    flask = Flask(__name__)
    flask.add_url_rule("/api/items", "items", lambda: "ok", methods=["GET", "PUT"])
    CORS(flask, policy=POLICY)

    def bare(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    return {"wsgi": WSGICors(bare, policy=POLICY), "flask": flask.wsgi_app, "django": get_wsgi_application()}


@pytest.mark.parametrize("adapter", ["wsgi", "flask", "django"])
def test_wsgi_adapters_cost_no_more_past_the_bound(adapter: str) -> None:
    app = _wsgi_apps()[adapter]
    origin = {"origin": APP, "access_control_request_method": "PUT"}
    assert wsgi_status(app, wsgi_environ(**origin, access_control_request_headers="x-token,X-Token"))[:3] in (
        "200",
        "204",
    )
    # What a server makes of repeated lines (joined by ","): denied past the bound, and a
    # repeated Origin or method never matches.
    for joined in (
        {**origin, "access_control_request_headers": "x-token," * 1_000},
        {**origin, "origin": f"{APP},{APP}"},
        {**origin, "access_control_request_method": "PUT,PUT"},
    ):
        assert not wsgi_status(app, wsgi_environ(**joined)).startswith("2"), joined

    def work(n: int) -> Callable[[], object]:
        environ = wsgi_environ(**origin, access_control_request_headers="x-token," * n)
        return lambda: wsgi_status(app, dict(environ))

    assert growth(work, 100_000) < LINEAR  # 800 KB -> 1.6 MB of one value


def test_django_asgi_with_repeated_lines() -> None:
    """Under ASGI, Django joins the lines into META itself; the whole path stays linear."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
    django.setup()
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
    loop = asyncio.new_event_loop()

    def status(headers: list[tuple[bytes, bytes]]) -> int:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        body_sent = False

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return await _receive()
            await asyncio.Event().wait()  # the client stays connected until Django answers
            raise AssertionError("unreachable")

        scope = {
            "type": "http", "method": "OPTIONS", "path": "/api/items", "root_path": "",
            "query_string": b"", "headers": [(b"host", b"127.0.0.1"), *headers],
        }  # fmt: skip
        loop.run_until_complete(application(scope, receive, send))
        return int(sent[0]["status"])

    try:
        assert status(preflight((ACRH, b"x-token"), (ACRH, b"x-token"))) == 204
        assert status(preflight(*[(ACRH, LINE)] * 2_000)) == 403
        assert status(preflight((b"origin", APP.encode()))) == 403

        def work(n: int) -> Callable[[], object]:
            headers = preflight(*[(ACRH, LINE)] * n)
            return lambda: status(headers)

        assert growth(work, 2_000, repeat=3) < LINEAR
    finally:
        loop.close()
