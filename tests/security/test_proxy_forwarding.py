"""Class guarded: **client-written forwarding headers reach the upstream as if the proxy had
set them** (issue 11, finding 9, fifth bullet).

``X-Forwarded-*``, ``Forwarded``, ``Via``, ``X-Real-IP`` and the other client-address headers
(:data:`corsight.proxy.headers.FORWARDING`) are dropped when the client sent them; the proxy
sets ``X-Forwarded-For/-Proto/-Host`` itself from what it saw. Only a peer listed in
``trusted_proxies`` has its forwarding headers kept (its ``X-Forwarded-For`` chain extended),
and only then does the rate limiter take the client address from that chain. Path-override
headers (``X-Original-URL``, ``X-Rewrite-URL``) never cross. Tested through real uvicorn to an
echoing upstream, and as a property of the pure header filter.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from corsight.proxy.headers import FORWARDING, request_headers
from tests.proxy_support import serve_proxy
from tests.servers import serve_asgi

SPOOFED = {
    "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "admin.internal", "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "443", "X-Forwarded-Prefix": "/admin", "X-Forwarded-Server": "x", "Forwarded": "for=10.0.0.1",
    "Via": "1.1 trusted-gateway", "X-Real-IP": "10.0.0.1", "True-Client-IP": "10.0.0.1",
    "CF-Connecting-IP": "10.0.0.1", "X-Client-IP": "10.0.0.1", "X-Cluster-Client-IP": "10.0.0.1",
    "X-Original-URL": "/admin", "X-Rewrite-URL": "/admin",
}  # fmt: skip


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(dict(request.headers))


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_asgi(Starlette(routes=[Route("/echo", echo)])) as url:
        yield url


def sent_upstream(proxy: str, headers: dict[str, str]) -> dict[str, str]:
    r = httpx.get(f"{proxy}/echo", headers=headers, trust_env=False)
    assert r.status_code == 200, r.text
    result: dict[str, str] = r.json()
    return result


def test_client_forwarding_headers_are_dropped_and_the_proxy_sets_its_own(upstream: str) -> None:
    with serve_proxy(allow_origins=["*"], upstream=upstream) as proxy:
        seen = sent_upstream(proxy, SPOOFED)
    for name in SPOOFED:
        if name.lower() not in ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"):
            assert name.lower() not in seen, name
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == proxy.removeprefix("http://")


def test_a_trusted_proxy_in_front_keeps_its_forwarding_headers(upstream: str) -> None:
    with serve_proxy(allow_origins=["*"], upstream=upstream, trusted_proxies=["127.0.0.0/8"]) as proxy:
        seen = sent_upstream(proxy, SPOOFED)
    assert seen["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "https" and seen["x-forwarded-host"] == "admin.internal"
    assert seen["via"] == "1.1 trusted-gateway" and seen["x-real-ip"] == "10.0.0.1"
    assert "x-original-url" not in seen and "x-rewrite-url" not in seen


def test_no_forwarded_sends_none(upstream: str) -> None:
    with serve_proxy(allow_origins=["*"], upstream=upstream, forwarded=False, trusted_proxies=["127.0.0.1"]) as proxy:
        seen = sent_upstream(proxy, SPOOFED)
    assert not any(name.encode() in FORWARDING or name.startswith("x-forwarded-") for name in seen)


def test_rate_limits_count_the_peer_unless_it_is_a_trusted_proxy(upstream: str) -> None:
    with serve_proxy(allow_origins=["*"], upstream=upstream, rate_limit_client="2/minute") as proxy:
        codes = [httpx.get(f"{proxy}/echo", headers={"X-Forwarded-For": f"198.51.100.{i}"}, trust_env=False)
                 .status_code for i in range(3)]  # fmt: skip
    assert codes == [200, 200, 429]  # a forged X-Forwarded-For does not make a new client
    with serve_proxy(allow_origins=["*"], upstream=upstream, rate_limit_client="2/minute",
                     trusted_proxies=["127.0.0.1"]) as proxy:  # fmt: skip
        codes = [httpx.get(f"{proxy}/echo", headers={"X-Forwarded-For": f"198.51.100.{i}"}, trust_env=False)
                 .status_code for i in range(3)]  # fmt: skip
    assert codes == [200, 200, 200]  # behind a trusted proxy, each address is its own client


_NAMES = st.sampled_from([*sorted(FORWARDING), b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-anything",
                          b"X-Forwarded-For", b"VIA", b"x-token"])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.binary(max_size=10).filter(lambda v: b"\n" not in v and b"\r" not in v)),
                max_size=6))  # fmt: skip
def test_property_an_untrusted_client_sets_no_forwarding_header(headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(n, v) for n, v in headers if not any((c < 32 and c != 9) or c == 127 for c in v)]
    out = request_headers(headers, host="h", cookies=False, forwarded=True, client="192.0.2.1", proto="http",
                          proxy_host="proxy.test")  # fmt: skip
    forwarding = [(n, v) for n, v in out if n.lower().encode() in FORWARDING or n.lower().startswith("x-forwarded-")]
    assert forwarding == [("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-Proto", "http"),
                          ("X-Forwarded-Host", "proxy.test")]  # fmt: skip
