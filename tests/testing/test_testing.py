"""corsight.testing: the browser model driven by a test client's answers, for every kind of
client, with failure messages that show Chrome's console text and the fix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from corsight.asgi import CORSMiddleware as ASGICors
from corsight.testing import CorsAssertions, assert_cors_allowed, assert_cors_blocked, cors_fetch
from corsight.wsgi import CORSMiddleware as WSGICors

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
SETTINGS: dict[str, Any] = {
    "allow_origins": [APP],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "expose_headers": ["X-Total"],
}


def asgi_app() -> Any:
    async def api(request: Request) -> JSONResponse:
        return JSONResponse({"method": request.method}, headers={"X-Total": "1", "X-Secret": "s"})

    return ASGICors(Starlette(routes=[Route("/api", api, methods=["GET", "PUT"])]), **SETTINGS)


def wsgi_app() -> Any:
    app = Flask(__name__)

    @app.route("/api", methods=["GET", "PUT"])
    def api() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"X-Total": "1", "X-Secret": "s"}

    app.wsgi_app = WSGICors(app.wsgi_app, **SETTINGS)  # type: ignore[method-assign]
    return app


def clients() -> list[tuple[str, Any]]:
    flask_app = wsgi_app()
    return [
        ("asgi app", asgi_app()),
        ("starlette TestClient", TestClient(asgi_app())),
        ("wsgi app", flask_app),
        ("flask test client", flask_app.test_client()),
        (
            "httpx over WSGI",
            httpx.Client(transport=httpx.WSGITransport(app=flask_app), base_url="http://api.test"),
        ),
    ]


@pytest.mark.parametrize(("kind", "client"), clients(), ids=[k for k, _ in clients()])
def test_every_kind_of_client(kind: str, client: Any) -> None:
    result = assert_cors_allowed(
        client, "/api", origin=APP, method="PUT", headers={"X-Token": "t"},
        credentials="include", readable_headers=["X-Total"],
    )  # fmt: skip
    assert result.preflighted and "x-secret" not in result.exposed_headers
    assert_cors_allowed(client, "/api", origin=APP)
    assert not assert_cors_allowed(client, "/api", origin=APP).preflighted
    assert_cors_blocked(client, "/api", origin=EVIL)
    assert_cors_blocked(client, "/api", origin=APP, method="DELETE")
    assert_cors_blocked(client, "/api", origin=APP, method="PUT", headers={"X-Other": "1"})


def test_blocked_failure_shows_chrome_console_and_fix() -> None:
    with pytest.raises(AssertionError) as info:
        assert_cors_allowed(asgi_app(), "/api", origin=EVIL, method="PUT", headers={"X-Token": "t"})
    text = str(info.value)
    assert "expected the browser to allow this request" in text
    assert (
        "Access to fetch at 'http://testserver/api' from origin 'https://evil.example.net' has been "
        "blocked by CORS policy: Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource." in text
    )
    assert "→ preflight OPTIONS http://testserver/api" in text
    assert "HTTP 403 from a CORS middleware" in text
    assert "the preflight response needs Access-Control-Allow-Origin: https://evil.example.net" in text


def test_allowed_failure_shows_what_the_page_can_read() -> None:
    with pytest.raises(AssertionError) as info:
        assert_cors_blocked(asgi_app(), "/api", origin=APP, credentials="include")
    text = str(info.value)
    assert (
        "expected the browser to block this request, but a page of https://app.example.com can read" in text
    )
    assert "< access-control-allow-origin: https://app.example.com" in text


def test_unreadable_header_is_reported_with_the_fix() -> None:
    with pytest.raises(AssertionError, match=r"script cannot read X-Secret.*list X-Secret in expose_headers"):
        assert_cors_allowed(asgi_app(), "/api", origin=APP, readable_headers=["X-Secret"])


def test_credentials_need_allow_credentials() -> None:
    async def api(request: Request) -> JSONResponse:
        return JSONResponse({})

    app = ASGICors(Starlette(routes=[Route("/api", api)]), allow_origins=[APP])
    assert_cors_allowed(app, "/api", origin=APP)
    result = assert_cors_blocked(app, "/api", origin=APP, credentials="include")
    assert result.chrome is not None and "Access-Control-Allow-Credentials" in result.chrome


def test_fetch_that_would_throw_is_reported() -> None:
    with pytest.raises(AssertionError, match="fetch\\(\\) would throw"):
        cors_fetch(asgi_app(), "/api", origin=APP, method="GET", body="x")


def test_not_a_client() -> None:
    with pytest.raises(TypeError, match="not a test client or an app"):
        cors_fetch(42, "/api", origin=APP)


def test_same_origin_page_needs_no_cors() -> None:
    result = cors_fetch(asgi_app(), "/api", origin="http://testserver")
    assert result.allowed and not result.verdict.cors_applies


def test_pytest_plugin_fixture(cors: CorsAssertions) -> None:
    app = asgi_app()
    cors.allowed(app, "/api", origin=APP, method="PUT", headers={"X-Token": "t"})
    cors.blocked(app, "/api", origin=EVIL)
    assert cors.fetch(app, "/api", origin=APP).allowed


def test_plugin_is_registered_by_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("corsight")
    assert plugin is not None and plugin.__name__ == "corsight.testing"
