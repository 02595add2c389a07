"""Real headless Chromium against corsight's middleware: a page on one loopback origin
fetch()es a Starlette app (ASGI, under uvicorn) and a Flask app (WSGI, under wsgiref) on
another, and we assert what the browser actually did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from corsight.asgi import CORSMiddleware as ASGICors
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.browser_page import blocked_by_cors, browser_fetch, page_app
from tests.servers import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser

def api_starlette() -> Starlette:
    async def api(req: Request) -> JSONResponse:
        return JSONResponse(
            {"method": req.method, "token": req.headers.get("x-token")},
            headers={"X-Total": "42", "X-Secret": "s"},
        )

    async def boom(req: Request) -> JSONResponse:
        raise RuntimeError("boom")

    return Starlette(
        routes=[Route("/api", api, methods=["GET", "PUT", "DELETE", "POST"]), Route("/boom", boom)]
    )


def api_flask() -> Flask:
    app = Flask(__name__)

    @app.route("/api", methods=["GET", "PUT", "DELETE", "POST"])
    def api() -> tuple[dict[str, Any], int, dict[str, str]]:
        return (
            {"method": request.method, "token": request.headers.get("x-token")},
            200,
            {"X-Total": "42", "X-Secret": "s"},
        )

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    return app


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    """Two page origins: the allowed front end and another site."""
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        yield allowed, other


def serve_api(kind: str, **settings: Any) -> Any:
    if kind == "starlette":
        return serve_asgi(ASGICors(api_starlette(), **settings))
    app = api_flask()
    app.wsgi_app = WSGICors(app.wsgi_app, **settings)  # type: ignore[method-assign]
    return serve_wsgi(app)


@pytest.fixture(params=["starlette", "flask"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


SETTINGS: dict[str, Any] = {
    "allow_methods": ["GET", "PUT", "POST"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "expose_headers": ["X-Total"],
}


def test_allowed_and_denied_origins(kind: str, pages: tuple[str, str], browser_context: Any) -> None:
    allowed, other = pages
    with serve_api(kind, allow_origins=[allowed], **SETTINGS) as api:
        ok = browser_fetch(browser_context, allowed, f"{api}/api")
        assert ok["ok"] and ok["status"] == 200 and '"GET"' in ok["body"]
        denied = browser_fetch(browser_context, other, f"{api}/api")
        assert blocked_by_cors(denied), denied


def test_preflighted_put_with_credentials_and_exposed_headers(
    kind: str, pages: tuple[str, str], browser_context: Any
) -> None:
    allowed, _ = pages
    with serve_api(kind, allow_origins=[allowed], **SETTINGS) as api:
        result = browser_fetch(
            browser_context,
            allowed,
            f"{api}/api",
            method="PUT",
            credentials="include",
            headers={"Content-Type": "application/json", "X-Token": "t1"},
            body="{}",
        )
    assert result["ok"], result
    assert '"PUT"' in result["body"] and '"t1"' in result["body"]
    assert result["headers"]["x-total"] == "42"  # exposed
    assert "x-secret" not in result["headers"]  # not exposed


@pytest.mark.parametrize(
    ("init", "why"),
    [
        ({"method": "DELETE"}, "method not allowed"),
        ({"method": "PUT", "headers": {"X-Other": "1"}}, "header not allowed"),
        ({"method": "PATCH"}, "PATCH not listed"),
    ],
)
def test_disallowed_preflights_are_blocked(
    kind: str, pages: tuple[str, str], browser_context: Any, init: dict[str, Any], why: str
) -> None:
    allowed, _ = pages
    with serve_api(kind, allow_origins=[allowed], **SETTINGS) as api:
        result = browser_fetch(browser_context, allowed, f"{api}/api", **init)
    assert blocked_by_cors(result), (why, result)


def test_lowercase_standard_method_is_uppercased_by_the_browser(
    kind: str, pages: tuple[str, str], browser_context: Any
) -> None:
    allowed, _ = pages
    with serve_api(kind, allow_origins=[allowed], **SETTINGS) as api:
        result = browser_fetch(browser_context, allowed, f"{api}/api", method="put")
    assert result["ok"], result
    assert '"PUT"' in result["body"]


def test_star_headers_work_with_credentials_and_authorization(
    kind: str, pages: tuple[str, str], browser_context: Any
) -> None:
    allowed, _ = pages
    with serve_api(
        kind, allow_origins=[allowed], allow_methods="*", allow_headers="*", allow_credentials=True
    ) as api:
        result = browser_fetch(
            browser_context,
            allowed,
            f"{api}/api",
            method="DELETE",
            credentials="include",
            headers={"Authorization": "Bearer x", "X-Token": "t2", "X-Anything": "y"},
        )
    assert result["ok"], result
    assert '"DELETE"' in result["body"]


def test_server_error_is_readable_not_a_cors_error(
    kind: str, pages: tuple[str, str], browser_context: Any
) -> None:
    allowed, _ = pages
    with serve_api(kind, allow_origins=[allowed], **SETTINGS) as api:
        result = browser_fetch(browser_context, allowed, f"{api}/boom", credentials="include")
    assert result["ok"], result
    assert result["status"] == 500


def test_wildcard_without_credentials(kind: str, pages: tuple[str, str], browser_context: Any) -> None:
    allowed, other = pages
    with serve_api(kind, allow_origins="*", allow_headers=["X-Token"]) as api:
        for page in (allowed, other):
            assert browser_fetch(browser_context, page, f"{api}/api", headers={"X-Token": "a"})["ok"]
        with_credentials = browser_fetch(browser_context, other, f"{api}/api", credentials="include")
        assert blocked_by_cors(with_credentials)
