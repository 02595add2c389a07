"""The scanner's HTTP/1.1 client against loopback peers that answer in every framing HTTP
allows, and in ways it does not: each must give the response head or a per-request
:class:`NetFailure`, never hang past its deadline or crash, and connections are reused only
when the response was read to its end."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from corsight.browser import NetError
from corsight.scan.transport import NetFailure, RawResponse, Transport, TransportOptions, parse_resolve
from tests.scanlab.servers import serve_raw

OK_HEAD = b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n"


def _read_head(sock: socket.socket) -> bytes:
    sock.settimeout(3)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


class Counting:
    """A peer that answers every request on a connection with ``reply`` and counts the
    connections and requests it saw."""

    def __init__(self, reply: bytes, close_after: int | None = None) -> None:
        self.reply = reply
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.lock = threading.Lock()

    def __call__(self, sock: socket.socket) -> None:
        with self.lock:
            self.connections += 1
        served = 0
        while True:
            head = _read_head(sock)
            if not head:
                return
            with self.lock:
                self.requests.append(head)
            sock.sendall(self.reply)
            served += 1
            if self.close_after is not None and served >= self.close_after:
                return


def _send(
    port: int, *, method: str = "GET", times: int = 1, host: str = "127.0.0.1", **options: object
) -> list[RawResponse | NetFailure]:
    async def main() -> list[RawResponse | NetFailure]:
        settings = TransportOptions(**{"timeout": 1.0, "retries": 0, "per_host": 1, **options})  # type: ignore[arg-type]
        out: list[RawResponse | NetFailure] = []
        async with Transport(settings) as transport:
            for _ in range(times):
                try:
                    out.append(
                        await transport.send(method, f"http://{host}:{port}/p?q=1", [("Origin", "null")])
                    )
                except NetFailure as exc:
                    out.append(exc)
        return out

    return asyncio.run(main())


@contextlib.contextmanager
def peer(behaviour: Callable[[socket.socket], None]) -> Iterator[int]:
    with serve_raw(behaviour) as port:
        yield port


@pytest.mark.parametrize(
    "reply",
    [
        OK_HEAD + b"Content-Length: 5\r\n\r\nhello",
        OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
        OK_HEAD + b"Content-Length: 0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" + OK_HEAD + b"Content-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["content-length", "chunked", "empty", "204", "100-continue", "http/1.0-keep-alive"],
)
def test_framed_responses_reuse_one_connection(reply: bytes) -> None:
    server = Counting(reply)
    with peer(server) as port:
        answers = _send(port, times=3)
    assert all(isinstance(a, RawResponse) for a in answers), answers
    first = answers[0]
    assert isinstance(first, RawResponse)
    assert first.status in (200, 204)
    assert ("Access-Control-Allow-Origin", "*") in first.headers
    assert server.connections == 1 and len(server.requests) == 3


def test_request_bytes_host_header_and_extra_headers() -> None:
    server = Counting(OK_HEAD + b"Content-Length: 0\r\n\r\n")
    with peer(server) as port:
        (answer,) = _send(
            port,
            host="api.victim.example",
            resolve=parse_resolve([f"api.victim.example:{port}:127.0.0.1"]),
            headers=[("Cookie", "s=1")],
        )
    assert isinstance(answer, RawResponse)
    lines = server.requests[0].decode("latin-1").split("\r\n")
    assert lines[0] == "GET /p?q=1 HTTP/1.1"
    assert lines[1] == f"Host: api.victim.example:{port}"
    assert lines[2:5] == ["Origin: null", "Cookie: s=1", lines[4]]
    assert lines[4].startswith("User-Agent: corsight-scan/")
    assert [n for n, _ in answer.sent] == ["Host", "Origin", "Cookie", "User-Agent"]


@pytest.mark.parametrize(
    "reply",
    [
        OK_HEAD + b"\r\nbody until the peer closes",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\n\r\nok",
        OK_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        OK_HEAD + b"Content-Length: 2\r\n\r\nok and then some",
    ],
    ids=["until-close", "connection-close", "http/1.0", "conflicting-lengths", "bad-chunk", "extra-bytes"],
)
def test_responses_that_cannot_be_reused_still_answer(reply: bytes) -> None:
    server = Counting(reply, close_after=1)
    with peer(server) as port:
        answers = _send(port, times=2)
    assert all(isinstance(a, RawResponse) and a.status == 200 for a in answers), answers
    assert server.connections == 2


def test_a_kept_alive_connection_closed_by_the_server_is_replaced_without_an_error() -> None:
    # The peer answers once with keep-alive, then closes the idle connection.
    server = Counting(OK_HEAD + b"Content-Length: 0\r\n\r\n", close_after=1)
    with peer(server) as port:
        answers = _send(port, times=3)
    assert all(isinstance(a, RawResponse) for a in answers), answers
    assert server.connections == 3


def test_folded_header_lines_are_unfolded() -> None:
    reply = b"HTTP/1.1 200 OK\r\nVary: Origin,\r\n  Accept\r\nContent-Length: 0\r\n\r\n"
    with peer(Counting(reply)) as port:
        (answer,) = _send(port)
    assert isinstance(answer, RawResponse)
    assert ("Vary", "Origin, Accept") in answer.headers


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n  folded first\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
    ids=["banner", "status", "version", "no-colon", "space-in-name", "leading-fold", "huge-head"],
)
def test_malformed_responses_are_invalid_http(reply: bytes) -> None:
    def behaviour(sock: socket.socket) -> None:
        _read_head(sock)
        sock.sendall(reply)
        time.sleep(0.5)

    with peer(behaviour) as port:
        (failure,) = _send(port)
    assert isinstance(failure, NetFailure)
    assert failure.kind is NetError.INVALID_HTTP_RESPONSE, failure.detail


def test_closed_mid_head_and_without_response() -> None:
    def half(sock: socket.socket) -> None:
        _read_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nAccess-Control")

    def nothing(sock: socket.socket) -> None:
        _read_head(sock)

    with peer(half) as p1, peer(nothing) as p2:
        (cut,) = _send(p1)
        (empty,) = _send(p2)
    assert isinstance(cut, NetFailure) and cut.kind is NetError.CONNECTION_RESET
    assert isinstance(empty, NetFailure) and empty.kind is NetError.CONNECTION_RESET


def test_a_dripping_body_still_answers_with_its_head() -> None:
    def drip_body(sock: socket.socket) -> None:
        _read_head(sock)
        with contextlib.suppress(OSError):
            sock.sendall(OK_HEAD + b"Content-Length: 1000\r\n\r\n")
            for _ in range(60):  # a byte every 0.1 s: never idle long enough for the read timeout
                sock.sendall(b"x")
                time.sleep(0.1)

    with peer(drip_body) as port:
        started = time.monotonic()
        (body,) = _send(port)
        elapsed = time.monotonic() - started
    assert isinstance(body, RawResponse) and body.status == 200
    assert elapsed < 5  # the overall deadline (2 x timeout + 1), not the 6 s of dripping


def test_a_head_sent_slowly_hits_the_overall_deadline() -> None:
    head = OK_HEAD + b"X-Slow: " + b"a" * 200

    def drip(sock: socket.socket) -> None:
        _read_head(sock)
        with contextlib.suppress(OSError):
            for i in range(0, len(head), 4):
                sock.sendall(head[i : i + 4])
                time.sleep(0.1)

    with peer(drip) as port:
        started = time.monotonic()
        (failure,) = _send(port)
        elapsed = time.monotonic() - started
    assert isinstance(failure, NetFailure) and failure.kind is NetError.TIMED_OUT
    assert 2.5 < elapsed < 5


def test_huge_chunked_body_is_abandoned_after_the_head() -> None:
    def huge(sock: socket.socket) -> None:
        _read_head(sock)
        with contextlib.suppress(OSError):
            sock.sendall(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(10_000):
                sock.sendall(b"10000\r\n" + b"\0" * 0x10000 + b"\r\n")

    with peer(huge) as port:
        started = time.monotonic()
        (answer,) = _send(port)
    assert isinstance(answer, RawResponse) and answer.status == 200
    assert time.monotonic() - started < 3


def test_refused_connections_are_retried_then_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (failure,) = _send(port, retries=2)
    assert isinstance(failure, NetFailure) and failure.kind is NetError.CONNECTION_REFUSED
    assert failure.attempts == 3


def test_headers_that_would_split_the_request_are_refused_before_sending() -> None:
    async def main() -> NetFailure:
        async with Transport(TransportOptions()) as transport:
            try:
                await transport.send("GET", "http://127.0.0.1:9/", [("X-A", "1\r\nX-B: 2")])
            except NetFailure as exc:
                return exc
        raise AssertionError("sent")

    failure = asyncio.run(main())
    assert failure.kind is NetError.FAILED and failure.attempts == 0
    with pytest.raises(ValueError):
        Transport(TransportOptions(headers=[("Bad Name", "x")]))


def test_politeness_delay_and_per_host_limit() -> None:
    active = [0, 0]  # now, most at once
    lock = threading.Lock()

    def slow(sock: socket.socket) -> None:
        while _read_head(sock):
            with lock:
                active[0] += 1
                active[1] = max(active)
            time.sleep(0.05)
            with lock:
                active[0] -= 1
            sock.sendall(OK_HEAD + b"Content-Length: 0\r\n\r\n")

    async def main(port: int, **options: object) -> float:
        settings = TransportOptions(**{"timeout": 2.0, **options})  # type: ignore[arg-type]
        async with Transport(settings) as transport:
            started = time.monotonic()
            await asyncio.gather(*(transport.send("GET", f"http://127.0.0.1:{port}/", []) for _ in range(6)))
            return time.monotonic() - started

    with peer(slow) as port:
        assert asyncio.run(main(port, concurrency=6, per_host=2)) >= 0.14  # 6 requests, 2 at a time
        assert active[1] == 2
        active[1] = 0
        assert asyncio.run(main(port, concurrency=6, per_host=6, delay=0.1)) >= 0.5  # 5 gaps of 0.1 s
