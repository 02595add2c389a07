"""The documented FastAPI, Starlette, Flask and aiohttp examples work as the docs say: through
the test helpers, and in real Chromium for FastAPI and Starlette. Litestar and Quart are
checked when installed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from corsight.testing import assert_cors_allowed, assert_cors_blocked
from tests.browser_page import blocked_by_cors, browser_fetch, page_app
from tests.servers import serve_asgi, serve_wsgi

APP = "http://localhost:5173"
EVIL = "https://evil.example.net"


def check_example(client: Any) -> None:
    result = assert_cors_allowed(
        client, "/api/items", origin=APP, method="PUT", headers={"X-Token": "t"}, credentials="include"
    )
    assert result.preflighted
    assert_cors_allowed(client, "/api/items", origin=APP, credentials="include")
    assert_cors_blocked(client, "/api/items", origin=EVIL, method="PUT", headers={"X-Token": "t"})
    assert_cors_blocked(client, "/api/items", origin=APP, method="DELETE")


@pytest.mark.parametrize("name", ["fastapi_app", "starlette_app"])
def test_asgi_examples(name: str) -> None:
    module = importlib.import_module(f"examples.{name}")
    check_example(TestClient(module.app))
    check_example(module.app)  # the bare ASGI app too


@pytest.mark.parametrize("name", ["litestar_app", "quart_app"])
def test_litestar_and_quart_examples(name: str) -> None:
    check_example(importlib.import_module(f"examples.{name}").app)


def test_flask_example() -> None:
    from examples.flask_app import app

    check_example(app.test_client())
    assert_cors_allowed(app.test_client(), "/widget", origin=EVIL)


def test_fastapi_errors_keep_cors_headers() -> None:
    from fastapi import FastAPI, HTTPException

    from corsight.asgi import CORSMiddleware

    api = FastAPI()

    @api.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "no")

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app = CORSMiddleware(api, allow_origins=[APP], allow_credentials=True)
    client = TestClient(app, raise_server_exceptions=False)
    for path, status in (("/missing", 404), ("/boom", 500)):
        assert client.get(path, headers={"Origin": APP}).status_code == status
        assert_cors_allowed(client, path, origin=APP, credentials="include")


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        yield allowed, other


@pytest.mark.browser
@pytest.mark.parametrize("name", ["fastapi_app", "starlette_app"])
def test_examples_in_chromium(name: str, pages: tuple[str, str], browser_context: Any) -> None:
    allowed, other = pages
    app = importlib.import_module(f"examples.{name}").make_app([allowed])
    init = {"method": "PUT", "credentials": "include", "headers": {"X-Token": "t1"}}
    with serve_asgi(app) as api:
        ok = browser_fetch(browser_context, allowed, f"{api}/api/items", **init)
        assert ok["ok"] and ok["status"] == 200, ok
        assert '"token":"t1"' in ok["body"]
        assert blocked_by_cors(browser_fetch(browser_context, other, f"{api}/api/items", **init))
