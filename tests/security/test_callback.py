"""Guards the class "an origin callback's answer is trusted for its truthiness" (issue 11,
finding 2): a coroutine, a string or any other truthy object admitted every origin.

A callback's answer counts only when it is exactly ``True`` or ``False``. Where the adapter can
await (ASGI, aiohttp), an awaitable answer is awaited whatever the callback looks like: ``async
def``, ``functools.lru_cache`` around one, a lambda around one, a decorator without
``functools.wraps``, an async ``__call__``, ``functools.partial``; also with the answer cache
off (``origin_cache_size=0`` or ``origin_cache_ttl=0``). WSGI refuses at start-up a callback
that looks async, and denies with one logged error an awaitable it is handed at request time.
Any other answer, or a raise, is a denial and one error on the ``corsight.origin_callback`` logger.
Real uvicorn, wsgiref and aiohttp servers on loopback.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from corsight import Policy
from corsight.aiohttp import cors_middleware
from corsight.asgi import CORSMiddleware as ASGICors
from corsight.asgi import decide_awaiting
from corsight.engine import DecisionKind, Engine
from corsight.routing import Router
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.servers import free_port, serve_asgi, serve_wsgi

TENANT = "https://tenant.example.net"
OTHER = "https://evil.example.net"
LOGGER = "corsight.origin_callback"


async def known(origin: str) -> bool:
    await asyncio.sleep(0)
    return origin == TENANT


def without_wraps(function: Callable[[str], Any]) -> Callable[[str], Any]:
    def wrapper(origin: str) -> Any:
        return function(origin)

    return wrapper


class AsyncCheck:
    async def __call__(self, origin: str) -> bool:
        return await known(origin)


#: Each builds a fresh callback (an lru_cache must not carry answers from one test to another).
ASYNC_SHAPES: dict[str, Callable[[], Any]] = {
    "async-def": lambda: known,
    "lru_cache": lambda: functools.lru_cache(maxsize=None)(known),
    "lambda": lambda: lambda origin: known(origin),
    "no-wraps-decorator": lambda: without_wraps(known),
    "async-call": AsyncCheck,
    "partial": lambda: functools.partial(known),
}
#: The ones nothing can tell from a plain function without calling them.
HIDDEN = ("lambda", "no-wraps-decorator")
CACHES: dict[str, dict[str, Any]] = {
    "cached": {},
    "size-0": {"origin_cache_size": 0},
    "ttl-0": {"origin_cache_ttl": 0},
}


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def ok_wsgi(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def acao(response: httpx.Response) -> str | None:
    return response.headers.get("access-control-allow-origin")


def preflight(client: httpx.Client, path: str, origin: str) -> httpx.Response:
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "PUT"})


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]


@pytest.fixture
def no_stray_coroutines() -> Iterator[None]:
    """Fails when a coroutine was created and dropped unawaited (and unclosed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


# -- ASGI: every shape of async callback is awaited ------------------------------------------


def test_asgi_awaits_every_shape_of_async_callback(caplog: pytest.LogCaptureFixture) -> None:
    routes = {
        f"/{shape}/{cache}": Policy(
            ["https://app.example.net"], allow_origin_callback=make(), allow_credentials=True, allow_methods=["PUT"], **settings
        )
        for shape, make in ASYNC_SHAPES.items()
        for cache, settings in CACHES.items()
    }  # fmt: skip
    with serve_asgi(ASGICors(ok_app, policy=Router(routes))) as url, httpx.Client(base_url=url) as client:
        for path in routes:
            for _ in range(3):  # again: from the cache, or (cache off) asked again
                assert acao(client.get(path, headers={"Origin": TENANT})) == TENANT, path
                assert acao(preflight(client, path, TENANT)) == TENANT, path
                assert acao(client.get(path, headers={"Origin": OTHER})) is None, path
                assert preflight(client, path, OTHER).status_code == 403, path
    assert not errors(caplog)


def test_asgi_denies_what_is_not_true_or_false(caplog: pytest.LogCaptureFixture) -> None:
    async def says(answer: object) -> object:
        return answer

    def raises(origin: str) -> bool:
        raise LookupError("the tenant database is down")

    async def araises(origin: str) -> bool:
        raise LookupError("the tenant database is down")

    answers: dict[str, Callable[[str], Any]] = {
        "none": lambda origin: None,
        "one": lambda origin: 1,
        "string": lambda origin: "yes",
        "list": lambda origin: [origin],
        "object": lambda origin: object(),
        "async-string": lambda origin: says("yes"),
        "async-none": lambda origin: says(None),
        "async-coroutine": lambda origin: says(says(True)),
        "raises": raises,
        "async-raises": araises,
    }
    routes = {
        f"/{name}": Policy(allow_origin_callback=cb, allow_credentials=True) for name, cb in answers.items()
    }
    with serve_asgi(ASGICors(ok_app, policy=Router(routes))) as url, httpx.Client(base_url=url) as client:
        for path in routes:
            caplog.clear()
            response = client.get(path, headers={"Origin": TENANT})
            assert response.status_code == 200 and acao(response) is None, path
            assert len(errors(caplog)) == 1, (path, caplog.records)


# -- WSGI: refused at start-up when it looks async, denied and logged when it does not --------


@pytest.mark.parametrize("shape", [s for s in ASYNC_SHAPES if s not in HIDDEN])
def test_wsgi_refuses_a_callback_that_looks_async(shape: str) -> None:
    with pytest.raises(TypeError, match="WSGI app cannot await"):
        WSGICors(ok_wsgi, allow_origin_callback=ASYNC_SHAPES[shape]())


@pytest.mark.parametrize("cache", CACHES)
@pytest.mark.parametrize("shape", HIDDEN)
def test_wsgi_denies_an_awaitable_answer_loudly(
    shape: str, cache: str, caplog: pytest.LogCaptureFixture, no_stray_coroutines: None
) -> None:
    app = WSGICors(
        ok_wsgi, allow_origin_callback=ASYNC_SHAPES[shape](), allow_credentials=True, **CACHES[cache]
    )
    with serve_wsgi(app) as url, httpx.Client(base_url=url) as client:
        for origin in (TENANT, OTHER, TENANT):
            caplog.clear()
            assert acao(client.get("/", headers={"Origin": origin})) is None
            assert preflight(client, "/", origin).status_code == 403
            logged = errors(caplog)
            assert len(logged) == 2 and all("cannot await" in r.getMessage() for r in logged)


@pytest.mark.parametrize("answer", [None, 1, "yes", "False", [True], object()])
def test_wsgi_denies_what_is_not_true_or_false(answer: object, caplog: pytest.LogCaptureFixture) -> None:
    app = WSGICors(ok_wsgi, allow_origin_callback=lambda origin: answer, allow_credentials=True)
    with serve_wsgi(app) as url, httpx.Client(base_url=url) as client:
        assert acao(client.get("/", headers={"Origin": TENANT})) is None
    assert len(errors(caplog)) == 1


def test_wsgi_still_works_with_a_plain_callback(caplog: pytest.LogCaptureFixture) -> None:
    for settings in CACHES.values():
        app = WSGICors(ok_wsgi, allow_origin_callback=lambda origin: origin == TENANT, **settings)
        with serve_wsgi(app) as url, httpx.Client(base_url=url) as client:
            for _ in range(2):
                assert acao(client.get("/", headers={"Origin": TENANT})) == TENANT
                assert acao(client.get("/", headers={"Origin": OTHER})) is None
    assert not errors(caplog)


# -- aiohttp (always awaits) and the engine itself --------------------------------------------


def test_aiohttp_awaits_hidden_async_callbacks(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def run() -> None:
        for shape in ("lambda", "lru_cache", "no-wraps-decorator"):
            app = web.Application(
                middlewares=[
                    cors_middleware(allow_origin_callback=ASYNC_SHAPES[shape](), origin_cache_size=0)
                ]
            )
            app.router.add_get("/", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    for _ in range(2):
                        allowed = await client.get("/", headers={"Origin": TENANT})
                        assert acao(allowed) == TENANT, shape
                        assert acao(await client.get("/", headers={"Origin": OTHER})) is None, shape
            finally:
                await runner.cleanup()

    asyncio.run(run())
    assert not errors(caplog)


def test_engine_decide_never_admits_on_an_awaitable(no_stray_coroutines: None) -> None:
    for shape in HIDDEN:
        engine = Engine(Policy(allow_origin_callback=ASYNC_SHAPES[shape](), allow_credentials=True))
        assert engine.has_callback and not engine.is_async
        assert engine.decide(method="GET", origin=TENANT).kind is DecisionKind.ACTUAL_DENIED
        assert asyncio.run(decide_awaiting(engine, method="GET", origin=TENANT)).kind is DecisionKind.ACTUAL_ALLOWED
