"""Class guarded: **a client that sends its request head slowly holds a connection for ever**
(slowloris; issue 11, finding 9, last bullet).

uvicorn bounds neither the time a client takes to send a head (its keep-alive timer stops at
the first byte, and a new connection has none) nor, with httptools, the head's size. The
proxy is served with protocol classes (:mod:`corsight.proxy.server`) that give every head
``head_timeout`` seconds and ``max_head_bytes`` bytes, from the connection's start or the end
of the previous response until the head is complete; past them the connection is answered
408/431 and closed. Bodies are not bound by it. Tested over raw sockets against the real
server under both uvicorn HTTP implementations.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import time
from collections.abc import Iterator

import pytest

from tests.proxy_support import HTTP_IMPLEMENTATIONS, RawServer, read_request, serve_proxy, status_of

HEAD_TIMEOUT = 1.0


async def echo_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            _, _, body = await read_request(reader)
        except asyncio.IncompleteReadError:
            return
        answer = b"got %d" % len(body)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()


@pytest.fixture(scope="module", params=HTTP_IMPLEMENTATIONS)
def proxy(request: pytest.FixtureRequest) -> Iterator[str]:
    with RawServer(echo_length) as up, serve_proxy(allow_origins=["*"], upstream=up.url, http=request.param,
                                                   head_timeout=HEAD_TIMEOUT, max_head_bytes=16384) as url:  # fmt: skip
        yield url


def connect(url: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10)


def drip(sock: socket.socket, data: bytes, gap: float, budget: float) -> float:
    """Send ``data`` a byte every ``gap`` seconds until it is sent, the server closes, or
    ``budget`` seconds pass; how long the server kept the connection open."""
    started = time.monotonic()
    for byte in data:
        if time.monotonic() - started > budget:
            break
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(gap)
        if select.select([sock], [], [], 0)[0]:
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    break  # closed by the server
            except OSError:
                break
    return time.monotonic() - started


def read_all(sock: socket.socket) -> bytes:
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except OSError:
        pass
    return out


SLOW_HEAD = b"GET /x HTTP/1.1\r\nHost: p\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"


def test_a_head_sent_a_byte_at_a_time_is_cut_off(proxy: str) -> None:
    with connect(proxy) as sock:
        held = drip(sock, SLOW_HEAD, 0.1, budget=8)
        answer = read_all(sock)
    assert held < HEAD_TIMEOUT + 1.5, held
    assert status_of(answer) == 408, answer


def test_an_idle_connection_is_closed(proxy: str) -> None:
    with connect(proxy) as sock:
        started = time.monotonic()
        answer = read_all(sock)
    assert answer == b"" and time.monotonic() - started < HEAD_TIMEOUT + 1.5


def test_the_next_head_on_a_kept_alive_connection_is_bounded_too(proxy: str) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: p\r\n\r\n")
        first = sock.recv(65536)
        assert status_of(first) == 200 and first.endswith(b"got 0"), first
        held = drip(sock, SLOW_HEAD, 0.1, budget=8)
        answer = read_all(sock)
    assert held < HEAD_TIMEOUT + 1.5, held
    assert status_of(answer) == 408, answer


def test_a_head_larger_than_the_bound_is_refused(proxy: str) -> None:
    with connect(proxy) as sock:
        head = b"GET /x HTTP/1.1\r\nHost: p\r\n" + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        with contextlib.suppress(OSError):  # the server may close before it has read everything
            sock.sendall(head)
        answer = read_all(sock)
    assert status_of(answer) == 431, answer[:200]


def test_a_slow_body_and_pauses_between_requests_are_not_cut(proxy: str) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: p\r\nContent-Length: 8\r\n\r\n")
        held = drip(sock, b"12345678", 0.25, budget=5)  # 2 s of body: longer than the head timeout
        assert held >= 1.9
        assert sock.recv(65536).endswith(b"got 8")
        time.sleep(HEAD_TIMEOUT / 2)  # a pause shorter than the head timeout before the next request
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        answer = read_all(sock)
    assert status_of(answer) == 200 and answer.endswith(b"got 0"), answer


def test_pipelined_requests_are_answered_in_full(proxy: str) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: p\r\n\r\n" * 3 + b"GET /b HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        time.sleep(HEAD_TIMEOUT + 0.5)  # the requests in flight past the head timeout are not cut
        answer = read_all(sock)
    assert answer.count(b"HTTP/1.1 200 OK") == 4, answer
