"""ASGI and WSGI middleware over real loopback servers (uvicorn, wsgiref), plus direct calls
where what matters is what the server itself receives (exceptions, non-HTTP scopes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from flask import Flask
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from corsight import Policy
from corsight.asgi import CORSMiddleware as ASGICors
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.servers import serve_asgi, serve_wsgi

APP = "http://app.test:3000"
SETTINGS: dict[str, Any] = {
    "allow_origins": [APP],
    "allow_methods": ["GET", "POST", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "expose_headers": ["X-Total"],
}


def starlette_app() -> Starlette:
    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello", headers={"Vary": "Accept-Encoding", "X-Total": "3"})

    async def boom(request: Any) -> PlainTextResponse:
        raise RuntimeError("boom")

    return Starlette(routes=[Route("/hello", hello, methods=["GET", "PUT"]), Route("/boom", boom)])


def flask_app() -> Flask:
    app = Flask(__name__)

    @app.route("/hello", methods=["GET", "PUT"])
    def hello() -> tuple[str, int, dict[str, str]]:
        return "hello", 200, {"Vary": "Accept-Encoding", "X-Total": "3"}

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    return app


@pytest.fixture(params=["asgi", "wsgi"])
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "asgi":
        with serve_asgi(ASGICors(starlette_app(), **SETTINGS)) as url:
            yield url
    else:
        app = flask_app()
        app.wsgi_app = WSGICors(app.wsgi_app, **SETTINGS)  # type: ignore[method-assign]
        with serve_wsgi(app) as url:
            yield url


def test_allowed_simple_request(base_url: str) -> None:
    response = httpx.get(f"{base_url}/hello", headers={"Origin": APP})
    assert response.text == "hello"
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "x-total"
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_denied_origin_reaches_app_without_cors_headers(base_url: str) -> None:
    response = httpx.get(f"{base_url}/hello", headers={"Origin": "http://evil.test"})
    assert response.text == "hello"
    assert not [h for h in response.headers if h.startswith("access-control-")]
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_request_without_origin_still_varies(base_url: str) -> None:
    response = httpx.get(f"{base_url}/hello")
    assert response.headers["vary"] == "Accept-Encoding, Origin"
    assert "access-control-allow-origin" not in response.headers


def test_preflight_answered_by_middleware(base_url: str) -> None:
    response = httpx.options(
        f"{base_url}/hello",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == APP
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert "x-token" in response.headers["access-control-allow-headers"]
    assert response.headers["vary"] == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def test_denied_preflight(base_url: str) -> None:
    response = httpx.options(
        f"{base_url}/hello",
        headers={"Origin": APP, "Access-Control-Request-Method": "DELETE"},
    )
    assert response.status_code == 403
    assert not [h for h in response.headers if h.startswith("access-control-")]
    assert response.text == "CORS preflight denied: method not allowed\n"


def test_unhandled_exception_is_a_500_with_cors_headers(base_url: str) -> None:
    response = httpx.get(f"{base_url}/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"


def test_app_set_cors_headers_are_replaced_not_duplicated() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Access-Control-Allow-Origin", "*"), ("Vary", "Cookie")])
        return [b"ok"]

    with serve_wsgi(WSGICors(app, **SETTINGS)) as url:
        response = httpx.get(url, headers={"Origin": APP})
    assert response.headers.get_list("access-control-allow-origin") == [APP]
    assert response.headers["vary"] == "Cookie, Origin"


# -- direct calls: what the server receives -----------------------------------------------


def run_async(coroutine: Any) -> Any:
    """Run a coroutine on a thread of its own: Playwright's sync API (session fixture) may
    already run an event loop on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_asgi(app: Any, scope: dict[str, Any]) -> tuple[list[dict[str, Any]], BaseException | None]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        run_async(app(scope, receive, send))
    except Exception as exc:
        return sent, exc
    return sent, None


def http_scope(path: str = "/", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": headers or [], "query_string": b""}


def test_asgi_exception_propagates_after_the_500() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    sent, error = run_asgi(ASGICors(raw_app, **SETTINGS), http_scope(headers=[(b"origin", APP.encode())]))
    assert isinstance(error, RuntimeError)
    assert sent[0]["status"] == 500
    assert (b"access-control-allow-origin", APP.encode()) in sent[0]["headers"]
    assert sent[1]["body"] == b"Internal Server Error"


def test_asgi_exception_after_response_started_is_not_answered_twice() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("late")

    sent, error = run_asgi(ASGICors(raw_app, **SETTINGS), http_scope(headers=[(b"origin", APP.encode())]))
    assert isinstance(error, RuntimeError)
    assert [m["type"] for m in sent] == ["http.response.start"]


@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
def test_asgi_non_http_scopes_pass_through_untouched(scope_type: str) -> None:
    seen: list[Any] = []

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, send))

    scope = {"type": scope_type, "headers": [(b"origin", b"http://evil.test")]}
    middleware = ASGICors(raw_app, **SETTINGS)

    async def send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {}

    run_async(middleware(scope, receive, send))
    assert seen == [(scope, send)]


def test_asgi_several_origin_headers_are_denied() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    headers = [(b"origin", APP.encode()), (b"origin", APP.encode())]
    sent, error = run_asgi(ASGICors(raw_app, **SETTINGS), http_scope(headers=headers))
    assert error is None
    assert not [n for n, _ in sent[0]["headers"] if n.startswith(b"access-control-")]


def test_wsgi_exception_propagates_after_the_500() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    statuses: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}
    body = WSGICors(app, **SETTINGS)(environ, lambda s, h, e=None: statuses.append((s, h)))
    iterator = iter(body)
    assert next(iterator) == b"Internal Server Error"
    with pytest.raises(RuntimeError, match="boom"):
        next(iterator)
    status, headers = statuses[0]
    assert status == "500 Internal Server Error"
    assert ("Access-Control-Allow-Origin", APP) in headers


def test_policy_or_settings_not_both() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        pass

    with pytest.raises(TypeError, match="not both"):
        ASGICors(raw_app, policy=Policy([APP]), allow_credentials=True)
    assert ASGICors(raw_app, policy=Policy([APP])).policy == Policy([APP])


def test_starlette_keyword_arguments_are_accepted_as_is() -> None:
    """Switching from Starlette is changing the import: the same call works."""
    kwargs = {
        "allow_origins": [APP],
        "allow_origin_regex": r"https://[a-z]+\.example\.org",
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "allow_credentials": True,
        "expose_headers": ["X-Total"],
        "max_age": 600,
        "allow_private_network": False,
    }
    StarletteCORS(starlette_app(), **kwargs)
    middleware = ASGICors(starlette_app(), **kwargs)
    assert middleware.policy.allows_origin("https://www.example.org")


def test_with_cors_headers_merges_vary_and_replaces_cors_headers_from_any_iterable() -> None:
    from corsight.asgi import with_cors_headers
    from corsight.engine import Engine

    decision = Engine(Policy([APP])).decide(method="GET", origin=APP)
    app_headers = ((b"vary", b"Accept-Encoding"), (b"access-control-allow-origin", b"*"), (b"x-a", b"1"))
    merged = with_cors_headers(iter(app_headers), decision)
    assert (b"x-a", b"1") in merged
    assert [v for n, v in merged if n == b"access-control-allow-origin"] == [APP.encode()]
    assert [v for n, v in merged if n == b"vary"] == [b"Accept-Encoding, Origin"]
    assert with_cors_headers((h for h in [(b"x-a", b"1")]), decision)[0] == (b"x-a", b"1")


def test_wsgi_exception_after_start_response_replaces_the_unsent_response() -> None:
    """An app that started its response and then raised: the 500 with CORS headers replaces
    it (start_response with exc_info), or the exception goes on if headers were sent."""

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise RuntimeError("late")

    with serve_wsgi(WSGICors(app, **SETTINGS)) as url:
        response = httpx.get(url, headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP
