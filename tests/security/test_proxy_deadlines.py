"""Class guarded: **a slow upstream holds the proxy for ever** (issue 11, finding 9, third
bullet).

An upstream that trickles its response, one byte just inside the idle timeout after another,
kept the exchange (and the browser) going without end. Two configurable bounds now hold: the
idle timeout (``read_timeout``, seconds of silence) and the total response deadline
(``response_timeout``, from sending the request until the response body ends, across
redirects). Past the deadline a response not yet started is a 504, a small body is a 504,
and a streamed body is cut. Tested with trickling raw-socket upstreams on loopback.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from corsight.proxy import ConfigError, ProxyConfig
from tests.proxy_support import RawServer, read_request, serve_proxy

PAGE = "http://page.test"
TRICKLE_SECONDS = 6.0  # how long the upstream keeps trickling; the deadline is far shorter


def trickle(length: int, first: bytes, gap: float) -> object:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length + first)
        await writer.drain()
        end = time.monotonic() + TRICKLE_SECONDS
        while time.monotonic() < end:
            await asyncio.sleep(gap)
            writer.write(b"t")
            await writer.drain()

    return answer


async def late_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(int(TRICKLE_SECONDS / 0.2)):  # the head itself, a byte at a time
        await asyncio.sleep(0.2)
        writer.write(b"X")
        await writer.drain()


def timed_get(proxy: str) -> tuple[float, httpx.Response | Exception]:
    started = time.monotonic()
    try:
        with httpx.Client(trust_env=False, timeout=30) as client:
            result: httpx.Response | Exception = client.get(f"{proxy}/x", headers={"Origin": PAGE})
    except httpx.HTTPError as exc:
        result = exc
    return time.monotonic() - started, result


def test_a_trickling_small_body_gets_a_504_at_the_deadline() -> None:
    with RawServer(trickle(1000, b"", 0.2)) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url,
                                                         read_timeout=1, response_timeout=1.5) as proxy:  # fmt: skip
        # A body under 64 KiB is read whole before answering, so the failure still has a status.
        elapsed, result = timed_get(proxy)
    assert isinstance(result, httpx.Response) and result.status_code == 504, result
    assert elapsed < 4, elapsed


def test_a_trickling_streamed_body_is_cut_at_the_deadline() -> None:
    big = b"x" * 70_000  # a body over 64 KiB is streamed, so the deadline can only cut it
    with RawServer(trickle(200_000, big, 0.2)) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url,
                                                         read_timeout=1, response_timeout=1.5) as proxy:  # fmt: skip
        elapsed, result = timed_get(proxy)
    assert isinstance(result, httpx.RemoteProtocolError), result
    assert elapsed < 4, elapsed


def test_a_head_that_trickles_in_gets_a_504_at_the_deadline() -> None:
    with RawServer(late_head) as up, serve_proxy(allow_origins=[PAGE], upstream=up.url, read_timeout=1,
                                                 response_timeout=1.5) as proxy:  # fmt: skip
        elapsed, result = timed_get(proxy)
    assert isinstance(result, httpx.Response) and result.status_code == 504, result
    assert "did not answer in time" in result.text
    assert elapsed < 4, elapsed


def test_the_idle_timeout_still_ends_a_silent_upstream() -> None:
    with RawServer(trickle(200_000, b"x" * 70_000, 3.0)) as up, serve_proxy(
        allow_origins=[PAGE], upstream=up.url, read_timeout=0.5, response_timeout=None
    ) as proxy:
        elapsed, result = timed_get(proxy)
    assert isinstance(result, httpx.RemoteProtocolError), result
    assert elapsed < 2.5, elapsed


def test_response_timeout_setting() -> None:
    assert ProxyConfig(allow_origins=["*"]).response_timeout == 300
    assert ProxyConfig(allow_origins=["*"], response_timeout=0).response_timeout is None
    for bad in (-1, float("nan"), "soon", True):
        with pytest.raises(ConfigError, match="response_timeout"):
            ProxyConfig(allow_origins=["*"], response_timeout=bad)
