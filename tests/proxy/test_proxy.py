"""The proxy over real HTTP on loopback: both modes, what crosses it, CORS on every answer,
redirects, refusals with canaries, rate limits, faults of the upstream, operations."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from corsight.proxy import ProxyConfig
from tests.proxy_support import Canary, RawServer, fake_resolver, read_request, serve_proxy
from tests.servers import serve_asgi

PAGE = "http://page.test"


async def echo(request: Request) -> Response:
    body = await request.body()
    data = {
        "method": request.method,
        "path": request.url.path,
        "raw_path": request.scope["raw_path"].decode(),
        "query": request.url.query,
        "headers": {k: v for k, v in request.headers.items()},
        "body": body.decode("latin-1"),
    }
    headers = {
        "X-Upstream": "yes",
        "Set-Cookie": "session=upstream; Path=/",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Origin": "http://evil.test",
        "Strict-Transport-Security": "max-age=63072000",
        "Connection": "X-Hop",
        "X-Hop": "1",
    }
    return JSONResponse(data, headers=headers)


async def redirect(request: Request) -> Response:
    code = int(request.path_params["code"])
    return RedirectResponse(request.query_params["to"], status_code=code)


async def stream(request: Request) -> Response:
    n = int(request.query_params.get("n", "1000"))

    async def chunks() -> Any:
        for _ in range(n // 1000):
            yield b"x" * 1000

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def head_big(request: Request) -> Response:
    return Response(headers={"Content-Length": "1000000"})


def upstream_app() -> Starlette:
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
    return Starlette(routes=[
        Route("/echo", echo, methods=methods),
        Route("/api/echo", echo, methods=methods),
        Route("/redirect/{code}", redirect, methods=methods),
        Route("/stream", stream),
        Route("/head-big", head_big, methods=["HEAD"]),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_asgi(upstream_app()) as url:
        yield url


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.fixture(scope="module")
def open_proxy(upstream: str) -> Iterator[str]:
    """Open mode, allowed to reach exactly the upstream's loopback port."""
    with serve_proxy(allow_origins=[PAGE], allow_targets=[f"127.0.0.1:{port_of(upstream)}"]) as url:
        yield url


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as c:
        yield c


def get(client: httpx.Client, url: str, **kw: Any) -> httpx.Response:
    headers = {"Origin": PAGE, **kw.pop("headers", {})}
    return client.request(kw.pop("method", "GET"), url, headers=headers, **kw)


def assert_cors(response: httpx.Response) -> None:
    assert response.headers["access-control-allow-origin"] == PAGE
    assert "Origin" in response.headers["vary"]


# --- open mode ------------------------------------------------------------------------------------


def test_open_mode_forwards_method_path_query_headers_and_body(
    open_proxy: str, upstream: str, client: httpx.Client
) -> None:
    r = get(client, f"{open_proxy}/{upstream}/echo?q=1&x=%2F", method="POST",
            headers={"X-Token": "t", "Content-Type": "application/json"}, content=b'{"a": 1}')  # fmt: skip
    assert r.status_code == 200
    data = r.json()
    assert data["method"] == "POST" and data["query"] == "q=1&x=%2F" and data["body"] == '{"a": 1}'
    assert data["headers"]["x-token"] == "t"
    assert data["headers"]["host"] == upstream.removeprefix("http://")
    assert data["headers"]["content-length"] == "8"
    assert_cors(r)
    assert r.headers["x-final-url"] == f"{upstream}/echo?q=1&x=%2F"
    assert r.headers["access-control-expose-headers"] == "*"


def test_hop_by_hop_cookies_and_upstream_cors_headers_do_not_cross(
    open_proxy: str, upstream: str, client: httpx.Client
) -> None:
    r = get(client, f"{open_proxy}/{upstream}/echo", headers={
        "Cookie": "a=b", "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1",
        "Proxy-Authorization": "Basic eA==", "TE": "trailers", "X-Forwarded-For": "203.0.113.9"})  # fmt: skip
    sent = r.json()["headers"]
    for name in ("cookie", "x-secret-hop", "proxy-authorization", "te"):
        assert name not in sent
    # X-Forwarded-*: the browser's address as the proxy saw it; the client's own claim is
    # dropped (it is not a trusted proxy).
    assert sent["x-forwarded-for"] == "127.0.0.1"
    assert sent["x-forwarded-proto"] == "http"
    assert sent["x-forwarded-host"] == open_proxy.removeprefix("http://")
    assert "set-cookie" not in r.headers
    assert "x-hop" not in r.headers  # named in the upstream's Connection header
    assert "strict-transport-security" not in r.headers  # would bind the shared proxy origin
    assert r.headers["access-control-allow-origin"] == PAGE  # the proxy's decision, not upstream's
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["x-upstream"] == "yes"


def test_private_network_preflight_follows_the_setting(upstream: str, client: httpx.Client) -> None:
    ask = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true"}
    with serve_proxy(allow_origins=[PAGE], upstream=upstream) as proxy:
        assert get(client, f"{proxy}/echo", method="OPTIONS", headers=ask).status_code == 403
    with serve_proxy(allow_origins=[PAGE], upstream=upstream, allow_private_network=True) as proxy:
        r = get(client, f"{proxy}/echo", method="OPTIONS", headers=ask)
        assert r.status_code == 204 and r.headers["access-control-allow-private-network"] == "true"


def test_preflight_is_answered_by_the_proxy_and_never_forwarded(open_proxy: str, client: httpx.Client) -> None:
    with Canary() as canary:
        r = get(client, f"{open_proxy}/{canary.url}/x", method="OPTIONS", headers={
            "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token"})  # fmt: skip
        canary.assert_untouched()
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == PAGE
    assert r.headers["access-control-allow-methods"] == "PUT"
    assert r.headers["access-control-allow-headers"] == "x-token"


def test_disallowed_origin_is_refused_without_cors_headers(
    open_proxy: str, upstream: str, client: httpx.Client
) -> None:
    r = client.get(f"{open_proxy}/{upstream}/echo", headers={"Origin": "http://evil.test"})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    r = client.options(f"{open_proxy}/{upstream}/echo",
                       headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/ftp://example.com/file", 403, "only http and https"),
        ("/file:///etc/passwd", 403, "only http and https"),
        ("/http:/example.com/", 400, "missing slash"),
        ("/example.com/x", 400, "not an absolute URL"),
        ("/http://user:pw@example.com/", 400, "credentials in the URL"),
        ("/http://exa mple.com/", 400, "invalid host name"),
        ("/http://999.1/", 400, "invalid IPv4"),
        ("/http://example.com:99999/", 400, "invalid URL"),
    ],
)
def test_bad_targets_get_a_readable_error(
    open_proxy: str, client: httpx.Client, path: str, status: int, words: str
) -> None:
    r = get(client, open_proxy + path)
    assert r.status_code == status, r.text
    assert words in r.text
    assert_cors(r)


# --- refusals with canaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
     "127.0.0.2", "localhost"],
)  # fmt: skip
def test_loopback_ports_not_allowed_are_never_reached(
    open_proxy: str, client: httpx.Client, host: str
) -> None:
    with Canary() as canary:
        r = get(client, f"{open_proxy}/http://{host}:{canary.port}/secret")
        canary.assert_untouched()
    assert r.status_code == 403, r.text
    assert "loopback" in r.text
    assert_cors(r)


def test_redirect_to_a_refused_address_is_not_followed(
    open_proxy: str, upstream: str, client: httpx.Client
) -> None:
    with Canary() as canary:
        r = get(client, f"{open_proxy}/{upstream}/redirect/302?to={canary.url}/latest/meta-data")
        canary.assert_untouched()
    assert r.status_code == 403 and "redirect refused" in r.text
    assert_cors(r)


def test_names_resolving_to_refused_addresses() -> None:
    with Canary() as canary:
        resolver = fake_resolver({
            "internal.test": ["127.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "mixed.test": ["10.0.0.5", "fd00::1"],
            "mapped.test": ["::ffff:127.0.0.1"],
        })  # fmt: skip
        with serve_proxy(allow_origins=[PAGE], resolver=resolver) as proxy, \
                httpx.Client(trust_env=False) as client:  # fmt: skip
            for name, word in [("internal.test", "loopback"), ("metadata.test", "link-local"),
                               ("mixed.test", "private"), ("mapped.test", "loopback")]:  # fmt: skip
                r = get(client, f"{proxy}/http://{name}:{canary.port}/")
                assert r.status_code == 403 and word in r.text, r.text
                assert name in r.text
            unknown = get(client, f"{proxy}/http://nowhere.test/")
            assert unknown.status_code == 502 and "could not resolve nowhere.test" in unknown.text
            assert_cors(unknown)
        canary.assert_untouched()


def test_dns_rebinding_reaches_only_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver answers an allowed address, then a refused one. The proxy resolves once per
    request and connects to the address it checked, so the canary is never reached."""
    from corsight.proxy import forward

    monkeypatch.setattr(forward, "DNS_CACHE_SECONDS", 0.0)

    async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngood")
        await writer.drain()

    with RawServer(ok, host="127.0.0.2") as good, Canary(good.port, host="127.0.0.3") as canary:
        calls: list[str] = []

        def answer() -> list[str]:
            calls.append("x")
            return ["127.0.0.2"] if len(calls) % 2 else ["127.0.0.3"]

        resolver = fake_resolver({"rebind.test": answer})
        with serve_proxy(allow_origins=[PAGE], resolver=resolver, allow_targets=["127.0.0.2"]) as proxy, \
                httpx.Client(trust_env=False) as client:  # fmt: skip
            first = get(client, f"{proxy}/http://rebind.test:{good.port}/")
            second = get(client, f"{proxy}/http://rebind.test:{good.port}/")
        canary.assert_untouched()
    assert first.status_code == 200 and first.text == "good"
    assert second.status_code == 403 and "127.0.0.3" in second.text
    assert len(calls) == 2  # one resolution per request, shared by the check and the connection


# --- upstream mode --------------------------------------------------------------------------------


def test_upstream_mode_maps_every_path_and_keeps_the_base_path(upstream: str, client: httpx.Client) -> None:
    with serve_proxy(allow_origins=[PAGE], upstream=f"{upstream}/api") as proxy:
        r = get(client, f"{proxy}/echo?x=1", method="PUT", content=b"data")
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["path"] == "/api/echo" and data["query"] == "x=1" and data["body"] == "data"
        assert r.headers["x-final-url"] == f"{proxy}/echo?x=1"
        assert "strict-transport-security" in r.headers  # one site behind this origin: kept
        health = get(client, f"{proxy}/__corsight/health")
        assert health.json()["mode"] == "upstream"
        assert_cors(health)
        assert "upstream mode" in get(client, f"{proxy}/__corsight/").text


def test_upstream_mode_does_not_follow_redirects_to_other_origins(upstream: str, client: httpx.Client) -> None:
    with Canary() as canary, serve_proxy(allow_origins=[PAGE], upstream=upstream) as proxy:
        r = get(client, f"{proxy}/redirect/302?to={canary.url}/x")
        canary.assert_untouched()
        assert r.status_code == 302 and r.headers["location"] == f"{canary.url}/x"
        inside = get(client, f"{proxy}/redirect/302?to=/echo")
        assert inside.status_code == 200 and inside.headers["x-final-url"] == f"{proxy}/echo"


def test_cookies_cross_only_when_configured_in_upstream_mode(upstream: str, client: httpx.Client) -> None:
    with serve_proxy(allow_origins=[PAGE], upstream=upstream, cookies=True, allow_credentials=True) as proxy:
        r = get(client, f"{proxy}/echo", headers={"Cookie": "a=b"})
        assert r.json()["headers"]["cookie"] == "a=b"
        assert r.headers["set-cookie"].startswith("session=upstream")
        assert r.headers["access-control-allow-credentials"] == "true"
        assert "x-final-url" in r.headers["access-control-expose-headers"].lower()


# --- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "method", "final_method"),
                         [(301, "GET", "GET"), (302, "POST", "GET"), (303, "PUT", "GET"),
                          (307, "DELETE", "DELETE"), (308, "GET", "GET")])  # fmt: skip
def test_redirects_are_followed_as_browsers_do(
    open_proxy: str, upstream: str, client: httpx.Client, code: int, method: str, final_method: str
) -> None:
    content = b"body" if method in ("POST", "PUT") else None
    r = get(client, f"{open_proxy}/{upstream}/redirect/{code}?to=/echo%3Fhop%3D1", method=method,
            content=content, headers={"Content-Type": "text/plain"})  # fmt: skip
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["method"] == final_method and data["query"] == "hop=1"
    if final_method != method:  # the body and the headers that describe it are dropped
        assert data["body"] == "" and "content-type" not in data["headers"]
    assert r.headers["x-final-url"] == f"{upstream}/echo?hop=1"
    assert_cors(r)


def test_307_with_a_body_is_passed_back_with_a_location_through_the_proxy(
    open_proxy: str, upstream: str, client: httpx.Client
) -> None:
    r = get(client, f"{open_proxy}/{upstream}/redirect/307?to=/echo", method="POST", content=b"x")
    assert r.status_code == 307
    assert r.headers["location"] == f"{open_proxy}/{upstream}/echo"


def test_pass_mode_and_redirect_limit(upstream: str, client: httpx.Client) -> None:
    allowed = [f"127.0.0.1:{port_of(upstream)}"]
    with serve_proxy(allow_origins=[PAGE], allow_targets=allowed, redirects="pass") as proxy:
        r = get(client, f"{proxy}/{upstream}/redirect/302?to=/echo")
        assert r.status_code == 302 and r.headers["location"] == f"{proxy}/{upstream}/echo"
        assert_cors(r)
    loop = f"{upstream}/redirect/302?to=/redirect/302%3Fto%3D/echo"
    with serve_proxy(allow_origins=[PAGE], allow_targets=allowed, max_redirects=1) as proxy:
        r = get(client, f"{proxy}/{loop}")
        assert r.status_code == 302 and r.headers["location"] == f"{proxy}/{upstream}/echo"
        assert r.headers["x-final-url"] == f"{upstream}/redirect/302?to=/echo"


# --- who may use it -------------------------------------------------------------------------------


def test_required_header_and_rate_limits(upstream: str, client: httpx.Client) -> None:
    with serve_proxy(allow_origins=[PAGE, "http://other.test"], allow_targets=[f"127.0.0.1:{port_of(upstream)}"],
                     require_headers=["X-Requested-With"], rate_limit_origin="2/minute") as proxy:  # fmt: skip
        target = f"{proxy}/{upstream}/echo"
        missing = get(client, target)
        assert missing.status_code == 400 and "X-Requested-With" in missing.text
        assert_cors(missing)
        ok = {"X-Requested-With": "fetch"}
        assert [get(client, target, headers=ok).status_code for _ in range(2)] == [200, 200]
        limited = get(client, target, headers=ok)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert_cors(limited)
        assert get(client, target, headers={**ok, "Origin": "http://other.test"}).status_code == 200
    with serve_proxy(allow_origins=["*"], allow_targets=[f"127.0.0.1:{port_of(upstream)}"],
                     rate_limit_client="2/minute") as proxy:  # fmt: skip
        codes = [client.get(f"{proxy}/{upstream}/echo").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


# --- faults of the upstream -----------------------------------------------------------------------


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    sock = writer.get_extra_info("socket")
    import socket as s
    import struct

    sock.setsockopt(s.SOL_SOCKET, s.SO_LINGER, struct.pack("ii", 1, 0))  # close → RST
    writer.transport.abort()


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(30)


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01garbage\r\n\r\n")
    await writer.drain()


async def _close_silently(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)


async def _slow_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    for byte in b"slow!":
        await asyncio.sleep(0.15)
        writer.write(bytes([byte]))
        await writer.drain()


async def _truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    await writer.drain()


async def _truncated_large(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"p" * 200_000)
    await writer.drain()


async def _stall_large(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"p" * 200_000)
    await writer.drain()
    await asyncio.sleep(30)


@pytest.mark.parametrize(
    ("handler", "status", "words"),
    [(_reset, 502, "reset by peer"), (_hang, 504, "did not answer in time"),
     (_garbage, 502, "invalid response"), (_close_silently, 502, "closed the connection")],
)  # fmt: skip
def test_upstream_failures_become_502_or_504_with_cors_headers(
    client: httpx.Client, handler: Any, status: int, words: str
) -> None:
    with RawServer(handler) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url, read_timeout=0.5) as proxy:
        r = get(client, f"{proxy}/x")
    assert r.status_code == status, r.text
    assert words in r.text
    assert_cors(r)


def test_connection_refused_is_502(client: httpx.Client) -> None:
    with RawServer(_hang) as up:
        port = up.port
    with serve_proxy(allow_origins=[PAGE], upstream=f"http://127.0.0.1:{port}") as proxy:
        r = get(client, f"{proxy}/x")
    assert r.status_code == 502 and "could not connect" in r.text
    assert_cors(r)


def test_slow_body_passes_when_each_pause_is_within_the_read_timeout(client: httpx.Client) -> None:
    with RawServer(_slow_body) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url, read_timeout=1) as proxy:
        r = get(client, f"{proxy}/x")
    assert r.status_code == 200 and r.text == "slow!"


def test_small_body_failures_still_get_a_status(client: httpx.Client) -> None:
    with RawServer(_truncated) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url) as proxy:
        r = get(client, f"{proxy}/x")
        assert r.status_code == 502 and "invalid response body" in r.text
        assert_cors(r)
    with RawServer(_slow_body) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url, read_timeout=0.05) as proxy:
        r = get(client, f"{proxy}/x")
        assert r.status_code == 504 and "stalled" in r.text
        assert_cors(r)


@pytest.mark.parametrize("handler", [_truncated_large, _stall_large])
def test_large_body_failures_after_the_response_started_drop_the_connection(
    client: httpx.Client, handler: Any
) -> None:
    with RawServer(handler) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url, read_timeout=0.3) as proxy, \
            pytest.raises(httpx.RemoteProtocolError):  # fmt: skip
        get(client, f"{proxy}/x")


def test_a_browser_that_goes_away_stops_the_download_from_upstream() -> None:
    written = [0]
    finished = threading.Event()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (1 << 33))
        block = b"z" * (1 << 16)
        try:
            while written[0] < 1 << 33:
                writer.write(block)
                await writer.drain()
                written[0] += len(block)
        finally:
            finished.set()

    with RawServer(endless) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url) as proxy:
        port = int(proxy.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: p\r\n\r\n")
            got = 0
            while got < 1 << 20:
                got += len(s.recv(1 << 16))
        # The proxy drops its upstream connection, which ends the upstream's writing loop.
        assert finished.wait(20), "the proxy kept reading from upstream after the browser left"
    assert written[0] < 1 << 32


def test_size_limits(upstream: str, client: httpx.Client) -> None:
    with serve_proxy(allow_origins=[PAGE], upstream=upstream, max_request_bytes=10, max_response_bytes=5000) as proxy:
        big = get(client, f"{proxy}/echo", method="POST", content=b"x" * 11)
        assert big.status_code == 413 and "larger than 10 bytes" in big.text
        assert_cors(big)

        def chunked() -> Iterator[bytes]:
            yield b"x" * 8
            yield b"x" * 8

        streamed = get(client, f"{proxy}/echo", method="POST", content=chunked())
        assert streamed.status_code == 413
        assert get(client, f"{proxy}/stream?n=4000").status_code == 200
        head = get(client, f"{proxy}/head-big", method="HEAD")
        assert head.status_code == 200 and head.headers["content-length"] == "1000000"  # no body, no limit
        with pytest.raises(httpx.RemoteProtocolError):
            get(client, f"{proxy}/stream?n=6000")  # no length known up front: cut at the limit
        assert get(client, f"{proxy}/echo", method="POST", content=b"x" * 10).status_code == 200


def test_streamed_request_body_arrives_chunked(upstream: str, client: httpx.Client) -> None:
    with RawServer(_echo_raw) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url) as proxy:

        def parts() -> Iterator[bytes]:
            yield b"hello "
            yield b"world"

        r = get(client, f"{proxy}/x", method="POST", content=parts())
    assert r.status_code == 200
    seen = json.loads(r.text)
    assert seen["body"] == "hello world" and seen["chunked"]


async def _echo_raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    _, headers, body = await read_request(reader)
    chunked = headers.get(b"transfer-encoding", b"") == b"chunked"
    payload = json.dumps({"body": body.decode(), "chunked": chunked}).encode()
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
    await writer.drain()


def test_host_header_keeps_the_name_while_the_connection_goes_to_the_checked_address(
    client: httpx.Client,
) -> None:
    seen: list[dict[bytes, bytes]] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, headers, _ = await read_request(reader)
        seen.append(headers)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    with RawServer(record) as up:
        resolver = fake_resolver({"api.test": ["127.0.0.1"]})
        with serve_proxy(allow_origins=[PAGE], resolver=resolver, allow_targets=[f"api.test:{up.port}"]) as proxy:
            r = get(client, f"{proxy}/http://api.test:{up.port}/v1")
            assert r.status_code == 200 and r.headers["x-final-url"] == f"http://api.test:{up.port}/v1"
            # The allow entry names api.test on that port: the same address on another port is not allowed.
            with Canary() as canary:
                assert get(client, f"{proxy}/http://api.test:{canary.port}/").status_code == 403
                canary.assert_untouched()
    assert seen[0][b"host"] == f"api.test:{up.port}".encode()


# --- operations -----------------------------------------------------------------------------------


def test_usage_page_health_and_json_access_log(tmp_path: Path, upstream: str, client: httpx.Client) -> None:
    log = tmp_path / "access.jsonl"
    config = ProxyConfig(allow_origins=[PAGE], allow_targets=[f"127.0.0.1:{port_of(upstream)}"],
                         access_log=str(log))  # fmt: skip
    with serve_proxy(config) as proxy:
        page = client.get(f"{proxy}/")
        assert page.status_code == 200 and "open mode" in page.text and f"{proxy}/https://" in page.text
        health = client.get(f"{proxy}/__corsight/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        get(client, f"{proxy}/{upstream}/echo?secret=1")
        get(client, f"{proxy}/http://127.0.0.1:1/")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    proxied = [r for r in records if r.get("target")]
    assert proxied[0]["status"] == 200 and proxied[0]["origin"] == PAGE
    assert proxied[0]["target"] == f"{upstream}/echo"  # the query (maybe secrets) is not logged
    assert proxied[1]["status"] == 403 and "loopback" in proxied[1]["error"]
    assert all({"time", "method", "status", "ms", "client", "cors"} <= set(r) for r in records)


def test_every_response_has_exactly_one_date(open_proxy: str, upstream: str, client: httpx.Client) -> None:
    # The upstream's Date is forwarded; the proxy's own answers (preflight, error, health) get its
    # clock. uvicorn's own Date used to come on top, making two.
    proxied = get(client, f"{open_proxy}/{upstream}/echo")
    preflight = get(client, f"{open_proxy}/{upstream}/echo", method="OPTIONS",
                    headers={"Access-Control-Request-Method": "PUT"})  # fmt: skip
    refused = get(client, f"{open_proxy}/http://127.0.0.1:9/x")
    health = client.get(f"{open_proxy}/__corsight/health")
    for response in (proxied, preflight, refused, health):
        assert len(response.headers.get_list("date")) == 1, (response.status_code, response.headers)
