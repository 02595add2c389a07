"""corsight.aiohttp: the middleware answers preflights itself (also where no OPTIONS route
exists), keeps CORS headers on HTTPExceptions and unhandled errors, and works in Chromium."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from corsight import Policy
from corsight.aiohttp import cors_middleware, setup
from corsight.routing import Router
from corsight.testing import assert_cors_allowed, assert_cors_blocked
from tests.browser_page import blocked_by_cors, browser_fetch, page_app
from tests.servers import serve_aiohttp, serve_wsgi

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
SETTINGS: dict[str, Any] = {
    "allow_origins": [APP],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "expose_headers": ["X-Total"],
}


async def items(request: web.Request) -> web.Response:
    return web.json_response(
        {"method": request.method, "token": request.headers.get("X-Token")},
        headers={"X-Total": "3", "Vary": "Accept-Encoding"},
    )


async def missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(text="nothing")


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("boom")


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"chunk")
    return response


def make_app(*middlewares: Any) -> web.Application:
    app = web.Application(middlewares=list(middlewares))
    app.router.add_route("GET", "/api/items", items)
    app.router.add_route("PUT", "/api/items", items)
    app.router.add_get("/api/missing", missing)
    app.router.add_get("/api/boom", boom)
    app.router.add_get("/api/stream", stream)
    app.router.add_get("/public", items)
    return app


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with serve_aiohttp(make_app(cors_middleware(**SETTINGS))) as base, httpx.Client(base_url=base) as client:
        yield client


def test_preflight_without_options_route_and_credentials(api: httpx.Client) -> None:
    result = assert_cors_allowed(
        api, "/api/items", origin=APP, method="PUT", headers={"X-Token": "t"},
        credentials="include", readable_headers=["X-Total"],
    )  # fmt: skip
    assert result.preflighted
    assert_cors_blocked(api, "/api/items", origin=EVIL, method="PUT", headers={"X-Token": "t"})
    assert_cors_blocked(api, "/api/items", origin=APP, method="DELETE")
    response = api.get("/api/items", headers={"Origin": APP})
    assert response.headers["vary"] == "Accept-Encoding, Origin"
    preflight = api.options("/nowhere", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == APP


def test_errors_keep_their_cors_headers(api: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    for path, status in (("/api/missing", 404), ("/api/boom", 500), ("/no/route", 404)):
        response = api.get(path, headers={"Origin": APP})
        assert response.status_code == status, path
        assert response.headers["access-control-allow-origin"] == APP
        assert_cors_allowed(api, path, origin=APP, credentials="include")


def test_denied_origin_gets_no_cors_headers(api: httpx.Client) -> None:
    response = api.get("/api/items", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_setup_covers_streamed_responses_and_routers() -> None:
    app = make_app()
    setup(app, Router({"/api/": Policy([APP])}))
    with serve_aiohttp(app) as base, httpx.Client(base_url=base) as client:
        assert_cors_allowed(client, "/api/stream", origin=APP)
        assert_cors_blocked(client, "/public", origin=APP)
    plain = make_app(cors_middleware(policy=Policy([APP])))
    with serve_aiohttp(plain) as base, httpx.Client(base_url=base) as client:
        assert_cors_blocked(client, "/api/stream", origin=APP)  # streamed before the middleware saw it


def test_async_origin_callback() -> None:
    async def allowed(origin: str) -> bool:
        await asyncio.sleep(0)
        return origin.endswith(".tenants.example.org")

    app = make_app(cors_middleware(allow_origin_callback=allowed))
    with serve_aiohttp(app) as base, httpx.Client(base_url=base) as client:
        assert_cors_allowed(client, "/api/items", origin="https://a.tenants.example.org")
        assert_cors_blocked(client, "/api/items", origin=APP)


@pytest.mark.browser
def test_aiohttp_in_chromium(browser_context: Any) -> None:
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        app = make_app(cors_middleware(**{**SETTINGS, "allow_origins": [allowed]}))
        init = {"method": "PUT", "credentials": "include", "headers": {"X-Token": "t1"}}
        with serve_aiohttp(app) as api:
            ok = browser_fetch(browser_context, allowed, f"{api}/api/items", **init)
            assert ok["ok"] and ok["status"] == 200, ok
            assert '"token": "t1"' in ok["body"] and ok["headers"]["x-total"] == "3"
            denied = browser_fetch(browser_context, other, f"{api}/api/items", **init)
            assert blocked_by_cors(denied), denied
