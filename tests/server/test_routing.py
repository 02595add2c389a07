"""Per-route policies and dynamic (callback) origins."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from corsight import Policy, PolicyError
from corsight.asgi import CORSMiddleware as ASGICors
from corsight.engine import DecisionKind, Engine
from corsight.routing import Router
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.servers import serve_asgi, serve_wsgi

API = Policy(["https://app.example.com"], allow_credentials=True)
PUBLIC = Policy("*")
ADMIN = Policy(["https://admin.example.com"])


def router() -> Router:
    return Router(
        {
            "/api": API,
            "/api/admin/": ADMIN,
            "/public/**": PUBLIC,
            "/files/*.json": PUBLIC,
            re.compile(r"/v[0-9]+/items"): API,
            "/api/internal/": None,
        }
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api", API),
        ("/api/", API),
        ("/api/users/1", API),
        ("/api/admin/users", ADMIN),  # the longest literal prefix wins
        ("/api/admin", API),  # '/api/admin/' covers what is under it, not itself
        ("/api/internal/x", None),  # explicitly exempted
        ("/apiary", None),  # a prefix is a whole path segment
        ("/API/users", None),  # no case folding
        ("/api+admin/x", None),  # no '+' to space
        ("/public/a/b/c.txt", PUBLIC),
        ("/files/a.json", PUBLIC),
        ("/files/a/b.json", None),  # '*' stays within a segment
        ("/v2/items", API),
        ("/v2/items/1", None),  # regexes match the whole path
        ("/other", None),
    ],
)
def test_policy_by_path(path: str, expected: Policy | None) -> None:
    assert router().policy_for(path) is expected


def test_dot_segments_are_not_resolved() -> None:
    # '/public/../api/admin/x' is not under '/api/admin/': the framework gets the same path.
    assert router().policy_for("/public/../api/admin/x") is PUBLIC
    assert Router({"/api/admin/": ADMIN}).policy_for("/api/../api/admin/x") is None


def test_default_policy_and_bad_routes() -> None:
    assert Router({"/api/": API}, default=PUBLIC).policy_for("/x") is PUBLIC
    with pytest.raises(PolicyError, match="write a path starting with '/'"):
        Router({"api/": API})
    with pytest.raises(PolicyError, match=r"not a corsight\.Policy"):
        Router({"/api/": {"allow_origins": ["*"]}})  # type: ignore[dict-item]


def test_one_engine_per_policy() -> None:
    assert len(router().engines) == 3


def test_middleware_applies_the_route_policy_over_real_servers() -> None:
    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    for serve, middleware in (
        (serve_wsgi, WSGICors(wsgi_app, router())),
        (serve_asgi, ASGICors(asgi_app, router())),
    ):
        with serve(middleware) as url:
            admin = httpx.get(f"{url}/api/admin/x", headers={"Origin": "https://admin.example.com"})
            assert admin.headers["access-control-allow-origin"] == "https://admin.example.com"
            app_on_admin = httpx.get(f"{url}/api/admin/x", headers={"Origin": "https://app.example.com"})
            assert "access-control-allow-origin" not in app_on_admin.headers
            public = httpx.get(f"{url}/public/x", headers={"Origin": "https://any.example"})
            assert public.headers["access-control-allow-origin"] == "*"
            untouched = httpx.get(f"{url}/other", headers={"Origin": "https://app.example.com"})
            assert "vary" not in untouched.headers and untouched.text == "/other"
            preflight = httpx.options(
                f"{url}/api/x",
                headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
            )
            assert preflight.status_code == 204


# -- dynamic origins -----------------------------------------------------------------------


def test_sync_callback_decides_and_is_cached() -> None:
    calls: list[str] = []

    def known(origin: str) -> bool:
        calls.append(origin)
        return origin.endswith(".customer.example")

    engine = Engine(Policy(["https://app.example.com"], allow_origin_callback=known, allow_credentials=True))
    assert engine.decide(method="GET", origin="https://a.customer.example").kind is DecisionKind.ACTUAL_ALLOWED
    assert engine.decide(method="GET", origin="https://a.customer.example").kind is DecisionKind.ACTUAL_ALLOWED
    assert (
        engine.decide(method="OPTIONS", origin="https://a.customer.example", request_method="POST").kind
        is DecisionKind.PREFLIGHT_ALLOWED
    )
    assert engine.decide(method="GET", origin="https://evil.example").kind is DecisionKind.ACTUAL_DENIED
    assert engine.decide(method="GET", origin="https://app.example.com").kind is DecisionKind.ACTUAL_ALLOWED
    # Listed origins never reach the callback; null and non-canonical values never do either.
    assert engine.decide(method="GET", origin="null").kind is DecisionKind.ACTUAL_DENIED
    assert engine.decide(method="GET", origin="https://x.customer.example\r\nX: y").kind is DecisionKind.ACTUAL_DENIED
    assert calls == ["https://a.customer.example", "https://evil.example"]


def test_callback_cache_is_bounded_and_expires() -> None:
    calls: list[str] = []

    def allow(origin: str) -> bool:
        calls.append(origin)
        return True

    bounded = Engine(Policy(allow_origin_callback=allow, origin_cache_size=10, origin_cache_ttl=3600))
    for i in range(100):
        bounded.decide(method="GET", origin=f"https://h{i}.example")
    assert 0 < len(bounded.origin_callback._answers) <= 10  # type: ignore[union-attr]
    bounded.decide(method="GET", origin="https://h99.example")
    assert calls.count("https://h99.example") == 1  # remembered
    bounded.decide(method="GET", origin="https://h0.example")
    assert calls.count("https://h0.example") == 2  # evicted by the bound: asked again

    calls.clear()
    expiring = Engine(Policy(allow_origin_callback=allow, origin_cache_size=10, origin_cache_ttl=0))
    expiring.decide(method="GET", origin="https://h1.example")
    expiring.decide(method="GET", origin="https://h1.example")
    assert calls.count("https://h1.example") == 2  # ttl 0: asked again


def test_callback_answers_expire_on_the_clock_the_engine_is_given() -> None:
    """The time to live is measured on the injected clock, not read from the system."""
    calls: list[str] = []
    now = [1000.0]

    def allow(origin: str) -> bool:
        calls.append(origin)
        return True

    engine = Engine(Policy(allow_origin_callback=allow, origin_cache_ttl=60), clock=lambda: now[0])
    engine.decide(method="GET", origin="https://h1.example")
    now[0] += 59.9
    engine.decide(method="GET", origin="https://h1.example")
    assert calls == ["https://h1.example"]  # still within its 60 s
    now[0] += 0.1
    engine.decide(method="GET", origin="https://h1.example")
    assert calls == ["https://h1.example"] * 2  # expired at exactly 60 s of that clock


def test_async_callback_through_asgi() -> None:
    async def known(origin: str) -> bool:
        await asyncio.sleep(0)
        return origin == "https://tenant.example"

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    policy = Policy(allow_origin_callback=known)
    with serve_asgi(ASGICors(app, policy=policy)) as url:
        ok = httpx.get(url, headers={"Origin": "https://tenant.example"})
        assert ok.headers["access-control-allow-origin"] == "https://tenant.example"
        denied = httpx.get(url, headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in denied.headers
    with pytest.raises(TypeError, match="WSGI app cannot await"):
        WSGICors(lambda e, s: [], policy=policy)


def test_bad_callback_settings() -> None:
    with pytest.raises(PolicyError, match="not callable"):
        Policy(allow_origin_callback="yes")  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="origin_cache_size"):
        Policy(allow_origin_callback=bool, origin_cache_size=-1)
