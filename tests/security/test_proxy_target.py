"""Class guarded: **the request target moves the proxy's connection** (issue 11, finding 1).

In upstream mode the connection must go to the configured upstream, whatever bytes the client
puts in the request target: only origin-form targets (``/path?query``) are taken, the upstream
URL is built from parts (scheme, host and port always the upstream's) and checked before
connecting, dot segments cannot leave the upstream's base path, and ``OPTIONS *`` is a clean
4xx (2xx as a preflight), never a 500. Tested through real uvicorn under each of its HTTP
implementations (h11 passes targets such as ``@host:port/x`` through, httptools refuses them),
with a canary on another loopback port that must never see a connection, and as a property of
the pure target construction over arbitrary bytes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import posixpath
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsight.proxy.forward import connection_url
from corsight.proxy.targets import TargetError, UpstreamTarget, origin_form, parse_target, upstream_target
from tests.proxy_support import HTTP_IMPLEMENTATIONS, Canary, RawServer, raw_exchange, serve_proxy, status_of

BASE = "/api"


class Recorder(RawServer):
    """An upstream that answers 200 to every request and records each request line."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                self.lines.append(head.split(b"\r\n", 1)[0])
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nupstream")
                await writer.drain()

        super().__init__(answer)


class Rig:
    def __init__(self, proxy: str, upstream: Recorder, canary: Canary) -> None:
        self.proxy, self.upstream, self.canary = proxy, upstream, canary

    def send(self, method: bytes, target: bytes, extra: bytes = b"") -> tuple[int, bytes]:
        target = target.replace(b"CANARY", str(self.canary.port).encode())
        request = method + b" " + target + b" HTTP/1.1\r\nHost: proxy.test\r\n" + extra + b"Connection: close\r\n\r\n"
        answer = raw_exchange(self.proxy, request)
        return status_of(answer), answer


@pytest.fixture(scope="module", params=HTTP_IMPLEMENTATIONS)
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    with Recorder() as upstream, Canary() as canary, serve_proxy(
        allow_origins=["*"], upstream=upstream.url + BASE, http=request.param
    ) as proxy:
        yield Rig(proxy, upstream, canary)


def sent_path(line: bytes) -> bytes:
    return line.split(b" ")[1]


def assert_stays_in_base(line: bytes) -> None:
    path = sent_path(line).split(b"?", 1)[0]
    assert path.startswith(BASE.encode() + b"/"), line
    for once in (unquote_to_bytes(path), unquote_to_bytes(unquote_to_bytes(path))):
        resolved = posixpath.normpath(once.replace(b"\\", b"/").decode("latin-1"))
        assert resolved == BASE or resolved.startswith(BASE + "/"), line


ATTACKS = [
    b"@127.0.0.1:CANARY/x", b"@127.0.0.1:CANARY", b"user:pw@127.0.0.1:CANARY/x", b":CANARY/x",
    b"http://127.0.0.1:CANARY/x", b"//127.0.0.1:CANARY/x", b"127.0.0.1:CANARY", b"a@127.0.0.1:CANARY/x",
    b"%40127.0.0.1:CANARY/x", b"\\\\127.0.0.1:CANARY/x", b"?@127.0.0.1:CANARY/",
    b"/../x", b"/%2e%2e/x", b"/%2E%2e/x", b"/.%2e/x", b"/..%2fx", b"/a/..%5c..%5cx", b"/..;/x",
    b"/%252e%252e/x", b"/./x", b"/a/../../x", b"/x#@127.0.0.1:CANARY",
]  # fmt: skip


@pytest.mark.parametrize("target", ATTACKS)
def test_no_request_target_reaches_another_host_or_leaves_the_base_path(rig: Rig, target: bytes) -> None:
    before = len(rig.upstream.lines)
    for method in (b"GET", b"POST", b"OPTIONS"):
        status, answer = rig.send(method, target)
        assert status in (200, 400), answer  # refused by the server or the proxy, or reached upstream
    rig.canary.assert_untouched()
    for line in rig.upstream.lines[before:]:
        assert_stays_in_base(line)


def test_targets_that_are_paths_reach_the_upstream_under_its_base_path(rig: Rig) -> None:
    before = len(rig.upstream.lines)
    for target in (b"/items?page=2", b"//127.0.0.1:CANARY/x", b"/a/b%2Fc/..x/.y/...", b"/@x:1/"):
        status, answer = rig.send(b"GET", target)
        assert status == 200 and answer.endswith(b"upstream"), answer
    port = str(rig.canary.port).encode()
    assert [sent_path(line) for line in rig.upstream.lines[before:]] == [
        b"/api/items?page=2", b"/api//127.0.0.1:" + port + b"/x", b"/api/a/b%2Fc/..x/.y/...", b"/api/@x:1/"]
    rig.canary.assert_untouched()


def test_options_asterisk_is_a_clean_400_and_a_preflight_to_it_a_204(rig: Rig) -> None:
    status, answer = rig.send(b"OPTIONS", b"*")
    assert status == 400 and b"forwards only paths" in answer, answer
    status, answer = rig.send(b"OPTIONS", b"*", b"Origin: http://page.test\r\nAccess-Control-Request-Method: GET\r\n")
    assert status == 204, answer


def test_dot_segments_are_refused_with_a_reason(rig: Rig) -> None:
    status, answer = rig.send(b"GET", b"/a/%2e%2e/admin")
    assert status == 400 and b"dot segment" in answer, answer


_PIECES = [b"/", b"//", b"@", b":", b"127.0.0.1", b"CANARY", b"[::1]", b"localhost", b"http:", b"..", b".",
           b"%2e", b"%2E", b"%2f", b"%5c", b"\\", b";", b"?", b"#", b"%00", b"%", b"%25", b"*", b"a", b"%40",
           b"\x7f", b"\x80", b"\x00"]  # fmt: skip
_NOT_IN_A_REQUEST_LINE = b"\r\n \t"
raw_targets = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=10).map(b"".join),
    st.binary(max_size=24).map(lambda b: bytes(c for c in b if c not in _NOT_IN_A_REQUEST_LINE)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=raw_targets)
def test_property_any_target_bytes_over_a_real_server(rig: Rig, target: bytes) -> None:
    """Whatever the target bytes, the server or the proxy refuses them, or the request reaches
    the upstream under its base path; the canary on another port never sees a connection."""
    before = len(rig.upstream.lines)
    status, answer = rig.send(b"GET", target)
    assert status in (200, 400), answer
    assert rig.canary.connections == 0, target
    for line in rig.upstream.lines[before:]:
        assert_stays_in_base(line)


# --- the pure construction, with many more examples --------------------------------------------

UPSTREAM = parse_target("http://127.0.0.1:5000" + BASE)
ADDRESS = ipaddress.ip_address("127.0.0.1")


@settings(max_examples=3000, deadline=None)
@given(path=st.one_of(st.binary(max_size=40), st.lists(st.sampled_from(_PIECES), max_size=12).map(b"".join)),
       query=st.one_of(st.just(b""), st.binary(max_size=12)))  # fmt: skip
def test_property_upstream_mode_connects_only_to_the_upstream(path: bytes, query: bytes) -> None:
    try:
        target = upstream_target(UPSTREAM, origin_form(path, query))
    except TargetError as exc:
        assert exc.status == 400
        return
    assert (target.scheme, target.host, target.port, target.ip) == ("http", "127.0.0.1", 5000, ADDRESS)
    url = connection_url(target, ADDRESS)
    assert (url.scheme, url.raw_host, url.port, url.user, url.password) == ("http", "127.0.0.1", 5000, None, None)
    assert url.raw_path_qs == BASE + path.decode("ascii") + ("?" + query.decode("ascii") if query else "")
    assert_stays_in_base(b"GET " + url.raw_path_qs.encode() + b" HTTP/1.1")


@settings(max_examples=1500, deadline=None)
@given(rest=st.text(st.sampled_from("/@:.[]%\\?#;a1x-_ "), max_size=30))
def test_property_open_mode_connects_only_to_the_host_it_checked(rest: str) -> None:
    """Open mode: the host comes from the URL after the proxy's slash, and the connection goes
    to the address checked for that host, never to one hidden in the path."""
    for url_text in ("http://example.test" + rest, "http://" + rest):
        try:
            target = parse_target(url_text)
        except TargetError:
            continue
        address = target.ip or ipaddress.ip_address("93.184.216.34")
        url = connection_url(target, address)
        assert (url.raw_host, url.port, url.user) == (address.compressed, target.port, None)
        assert url.raw_path_qs == target.path


def test_a_target_cannot_be_built_with_a_path_that_is_not_a_path() -> None:
    for path in ("", "@127.0.0.1:9/x", "x", "/a b", "/a#b", "/\x00", "/é"):
        with pytest.raises(TargetError):
            UpstreamTarget("http", "127.0.0.1", 5000, path, ADDRESS)
