"""Class guarded: **an upstream response header that is not valid HTTP breaks the exchange**
(issue 11, finding 9, second bullet).

A header value with control characters (or a name that is not a token) used to reach the
server's response writer, which refused it mid-response: the browser saw a dropped
connection and the log a traceback. The proxy checks every upstream header against the field
grammar before it answers, and answers the documented 502 (with the CORS headers, so the page
can read why) instead. Tested with raw-socket upstreams under both uvicorn HTTP
implementations, small and streamed bodies, and as a property of the pure header filter.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight.proxy.headers import HeaderError, response_headers
from tests.proxy_support import HTTP_IMPLEMENTATIONS, RawServer, read_request, serve_proxy

PAGE = "http://page.test"


def answering(head: bytes, body_size: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: %d\r\n\r\n" % body_size + b"b" * body_size)
        await writer.drain()

    return answer


BAD_HEADS = [b"X-Bad: a\x01b\r\n", b"X-Bad: a\x1bb\r\n", b"X-Bad: \x7f\r\n", b"X-Bad: a\x0bb\r\n",
             b"X-Bad: a\x00b\r\n", b"X-Bad: a\x0cb\r\n"]  # fmt: skip


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
@pytest.mark.parametrize("body_size", [2, 200_000])  # read whole, and streamed
@pytest.mark.parametrize("head", BAD_HEADS)
def test_control_characters_in_an_upstream_header_give_a_502(http: str, body_size: int, head: bytes) -> None:
    with RawServer(answering(head, body_size)) as up, \
            serve_proxy(allow_origins=[PAGE], upstream=up.url, http=http) as proxy, \
            httpx.Client(trust_env=False, timeout=10) as client:  # fmt: skip
        r = client.get(f"{proxy}/x", headers={"Origin": PAGE})
    assert r.status_code == 502, r.text
    assert "invalid response" in r.text
    assert r.headers["access-control-allow-origin"] == PAGE


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=1, max_size=8), st.binary(max_size=12)), max_size=6),
       st.booleans())  # fmt: skip
def test_property_no_control_byte_crosses(headers: list[tuple[bytes, bytes]], shared: bool) -> None:
    """Whatever headers the upstream sends, the filter refuses them (502) or passes only
    token names and values without control bytes."""
    try:
        out = response_headers(headers, cookies=False, shared_origin=shared)
    except HeaderError as exc:
        assert exc.status == 502
        return
    for name, value in out:
        assert re.fullmatch(rb"[!#$%&'*+\-.^_`|~0-9a-z]+", name), name
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", value), value
