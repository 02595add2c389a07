"""Class guarded: **the proxy forwards a request body framing it did not choose** (issue 11,
finding 9, first bullet), and request header values that are not valid HTTP.

The proxy states the body's framing itself: the client's ``Content-Length`` when that is the
only framing, else none (the body goes chunked). A request with both ``Transfer-Encoding`` and
``Content-Length``, or conflicting lengths, is refused before anything is sent upstream (the
server in front and the upstream could read it differently, and a length beside a chunked body
truncated it). Tested over raw sockets under both uvicorn HTTP implementations, with an
upstream that reads ``Content-Length`` first, and as a property of the pure framing choice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight.proxy.headers import HeaderError, check_request, request_framing, request_headers
from tests.proxy_support import (
    HTTP_IMPLEMENTATIONS,
    RawServer,
    raw_exchange,
    read_request,
    serve_proxy,
    status_of,
)


class BodyRecorder(RawServer):
    """An upstream that reads each request as a length-first server does, and records it."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[bytes, bytes], bytes]] = []

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    _, headers, body = await read_request(reader)
                except (asyncio.IncompleteReadError, ValueError):
                    return
                self.seen.append((headers, body))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()

        super().__init__(answer)


@pytest.fixture(scope="module", params=HTTP_IMPLEMENTATIONS)
def rig(request: pytest.FixtureRequest) -> Iterator[tuple[str, BodyRecorder]]:
    with BodyRecorder() as upstream, serve_proxy(allow_origins=["*"], upstream=upstream.url,
                                                 http=request.param) as proxy:  # fmt: skip
        yield proxy, upstream


def post(proxy: str, head: bytes, body: bytes) -> bytes:
    return raw_exchange(proxy, b"POST /x HTTP/1.1\r\nHost: p\r\n" + head + b"Connection: close\r\n\r\n" + body)


@pytest.mark.parametrize(
    "head",
    [b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
     b"Content-Length: 20\r\nTransfer-Encoding: chunked\r\n"],
)  # fmt: skip
def test_a_length_beside_a_chunked_body_is_refused_not_forwarded(rig: tuple[str, BodyRecorder], head: bytes) -> None:
    proxy, upstream = rig
    before = len(upstream.seen)
    answer = post(proxy, head, b"5\r\nhello\r\n0\r\n\r\n")
    assert status_of(answer) == 400, answer
    assert upstream.seen[before:] == []


def test_conflicting_lengths_are_refused(rig: tuple[str, BodyRecorder]) -> None:
    proxy, upstream = rig
    before = len(upstream.seen)
    answer = post(proxy, b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!")
    assert status_of(answer) == 400, answer
    assert upstream.seen[before:] == []


def test_a_chunked_body_goes_chunked_and_whole(rig: tuple[str, BodyRecorder]) -> None:
    proxy, upstream = rig
    answer = post(proxy, b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert status_of(answer) == 200, answer
    headers, body = upstream.seen[-1]
    assert body == b"hello world"
    assert headers.get(b"transfer-encoding") == b"chunked" and b"content-length" not in headers


def test_a_length_framed_body_keeps_its_length(rig: tuple[str, BodyRecorder]) -> None:
    proxy, upstream = rig
    answer = post(proxy, b"Content-Length: 5\r\n", b"hello")
    assert status_of(answer) == 200, answer
    headers, body = upstream.seen[-1]
    assert body == b"hello" and headers[b"content-length"] == b"5" and b"transfer-encoding" not in headers


@pytest.mark.parametrize("head", [b"Host: a\x01b\r\n", b"X-Token: a\x7fb\r\n", b"X-Token: a\x1b[2Jb\r\n"])
def test_request_header_values_with_control_bytes_are_a_400(rig: tuple[str, BodyRecorder], head: bytes) -> None:
    """h11 passes such values through; the proxy refuses them before anything reads them
    (a Host with a control byte used to end in a 500 when it was forwarded or echoed)."""
    proxy, upstream = rig
    before = len(upstream.seen)
    answer = raw_exchange(proxy, b"GET /x HTTP/1.1\r\n" + (b"" if head.startswith(b"Host") else b"Host: p\r\n")
                          + head + b"Connection: close\r\n\r\n")  # fmt: skip
    assert status_of(answer) == 400, answer
    assert upstream.seen[before:] == []
    with pytest.raises(HeaderError) as info:
        check_request([(b"x-a", b"ok"), (b"x-b", b"a\x01b")])
    assert info.value.status == 400 and "x-b" in str(info.value)


_FRAMING = st.sampled_from([
    (b"content-length", b"3"), (b"content-length", b"5"), (b"content-length", b" 3 "), (b"content-length", b"-1"),
    (b"content-length", b"0x5"), (b"content-length", b"1e3"), (b"content-length", b""),
    (b"content-length", b"99999999999999999999"), (b"transfer-encoding", b"chunked"),
    (b"transfer-encoding", b"gzip, chunked"), (b"transfer-encoding", b"identity"), (b"x-other", b"1"),
])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAMING, max_size=5))
def test_property_one_framing_chosen_by_the_proxy(headers: list[tuple[bytes, bytes]]) -> None:
    """Whatever framing headers the client sent, the upstream gets at most one framing: a
    single length equal to every length sent, or (chunked) no length at all."""
    try:
        framing = request_framing(headers)
    except HeaderError as exc:
        assert exc.status == 400
        return
    lengths = {v.strip() for n, v in headers if n == b"content-length"}
    chunked = any(n == b"transfer-encoding" for n, _ in headers)
    assert not (chunked and framing.length is not None)
    if framing.length is not None:
        assert lengths == {str(framing.length).encode()} or {int(x) for x in lengths} == {framing.length}
    sent = request_headers(headers, host="h", cookies=False, forwarded=False, client=None, proto="http",
                           proxy_host=None)  # fmt: skip
    assert not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in sent)
