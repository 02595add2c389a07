"""Guards the class "a parser of untrusted response bytes costs more than linear time, or
crashes" (issue 11, finding 5) in ``corsight scan`` and ``corsight check``: the scanner's
response-head parser and framing, h11 under ``check``, and the browser model's parsers of
header values (Access-Control-* lists, Max-Age, Allow-Origin, Location).

Each parser gets 64 KiB adversarial heads (runs of spaces, tabs, colons, CRs, obs-fold lines,
many short lines, one huge line, huge numbers) at two sizes in one run, and the time ratio
must stay linear; then a real loopback server sends such heads to ``corsight scan`` and to
``corsight.check``, which must finish well within their ``--timeout``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corsight
from corsight.browser import NetError, prepare_request
from corsight.browser.checks import cors_check, evaluate_preflight, exposed_header_names, parse_max_age
from corsight.browser.redirects import follow_redirect
from corsight.check import CheckError
from corsight.scan.transport import (
    MAX_HEAD,
    NetFailure,
    Transport,
    TransportOptions,
    _parse_head,
)
from tests.scanlab.servers import serve_raw
from tests.security.timing_ratio import LINEAR, growth

APP = "https://app.example.com"
SMALL, LARGE = 30_000, 60_000  # header bytes; the large head stays under the 64 KiB bound

# Header lines of about `size` bytes that once cost quadratic time or crashed somewhere.
SHAPES: dict[str, Callable[[int], bytes]] = {
    "spaces": lambda n: b"X-Pad: a" + b" " * n + b"b",
    "spaces-cr": lambda n: b"X-Pad: a" + b" " * n + b"\rb",
    "trailing-spaces": lambda n: b"X-Pad: a" + b" " * n,
    "tabs": lambda n: b"X-Pad: a" + b"\t" * n + b"b",
    "spaces-and-tabs": lambda n: b"X-Pad: a" + b" \t" * (n // 2) + b"b",
    "colons": lambda n: b"X-Pad:" + b":" * n,
    "carriage-returns": lambda n: b"X-Pad: " + b"\r" * n + b"a",
    "obs-fold": lambda n: b"X-Pad: a" + b"\r\n b" * (n // 4),
    "obs-fold-blank": lambda n: b"X-Pad: a" + b"\r\n " * (n // 3),
    "fold-of-spaces": lambda n: b" " * n + b"a",
    "short-lines": lambda n: b"\r\n".join([b"a:"] * (n // 4)),
    "bare-lf-lines": lambda n: b"\n".join([b"a:"] * (n // 3)),
    "one-huge-line": lambda n: b"X-Pad: " + b"a" * n,
    "connection-lines": lambda n: b"\r\n".join([b"Connection: keep-alive, x"] * (n // 27)),
    "allow-headers-list": lambda n: b"Access-Control-Allow-Headers: " + b"x-a , " * (n // 6),
    "expose-headers-list": lambda n: b"Access-Control-Expose-Headers: " + b" ,\t" * (n // 3),
    "allow-methods-commas": lambda n: b"Access-Control-Allow-Methods: " + b"," * n,
    "max-age-digits": lambda n: b"Access-Control-Max-Age: " + b"9" * n,
    "content-length-digits": lambda n: b"Content-Length: " + b"9" * n,
}
# Shapes that are not valid HTTP: the parser must say so, in linear time too.
INVALID: dict[str, Callable[[int], bytes]] = {
    "spaces-in-name": lambda n: b"X" + b" " * n + b": a",
    "no-colon": lambda n: b"X" * n,
}


def _head(lines: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n" + lines


def _parse_or_fail(head: bytes) -> object:
    try:
        return _parse_head(head)
    except NetFailure as exc:
        return exc


@pytest.mark.parametrize("shape", sorted(SHAPES) + sorted(INVALID))
def test_the_head_parser_is_linear(shape: str) -> None:
    make = SHAPES.get(shape) or INVALID[shape]
    small, large = _head(make(SMALL)), _head(make(LARGE))
    assert len(large) < MAX_HEAD
    result = _parse_or_fail(large)
    assert isinstance(result, NetFailure) == (shape in INVALID), result
    assert growth(_parse_or_fail, small, large) < LINEAR


def test_folded_and_padded_values_keep_their_meaning() -> None:
    head = b"HTTP/1.1 200 OK\r\nVary: Origin,\r\n \t Accept\r\nX-A:   a  b \t\r\nX-B:\r\n c\r\nX-C:\r\n \r\nX-D: d"
    status, headers, http10 = _parse_head(head)
    assert (status, http10) == (200, False)
    assert headers == (("Vary", "Origin, Accept"), ("X-A", "a  b"), ("X-B", "c"), ("X-C", ""), ("X-D", "d"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_head_or_invalid_http(tail: bytes) -> None:
    """Whatever follows the status line, the parser returns or raises NetFailure, nothing else."""
    result = _parse_or_fail(b"HTTP/1.1 200 OK\r\n" + tail)
    assert isinstance(result, (NetFailure, tuple))


def test_a_continuation_line_before_any_header_is_invalid_in_linear_time() -> None:
    small, large = (b"HTTP/1.1 200 OK\r\n" + b" " * n + b"a" for n in (SMALL, LARGE))
    assert isinstance(_parse_or_fail(large), NetFailure)
    assert growth(_parse_or_fail, small, large) < LINEAR


_TOKEN = st.text("abcXYZ-_!#0129", min_size=1, max_size=12)
_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters=":"), max_size=20)
_BLANKS = st.text(" \t", max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TOKEN, _VALUE, _BLANKS, _BLANKS, st.sampled_from(["\r\n", "\n"])), max_size=8))
def test_well_formed_lines_parse_to_their_trimmed_values(
    lines: list[tuple[str, str, str, str, str]],
) -> None:
    text = "HTTP/1.1 204 No Content" + "".join(f"\r\n{n}:{b1}{v}{b2}" for n, v, b1, b2, _ in lines)
    status, headers, _ = _parse_head(text.encode("latin-1"))
    assert status == 204
    assert headers == tuple((n, v) for n, v, _, _, _ in lines)


# --- the browser model's parsers of header values ----------------------------------------------------

_REQUEST = prepare_request(
    "https://api.example.com/x", origin=APP, method="PUT", headers=[("X-A", "1")], credentials="include"
)
_GRANT = [
    ("Access-Control-Allow-Origin", APP),
    ("Access-Control-Allow-Credentials", "true"),
]

MODEL: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "allow-origin-spaces": (
        lambda v: cors_check([("Access-Control-Allow-Origin", v)], APP, credentials_included=True),
        lambda n: "https://a" + " " * n + "b",
    ),
    "allow-origin-colons": (
        lambda v: cors_check([("Access-Control-Allow-Origin", v)], APP, credentials_included=True),
        lambda n: "https://a" + ":" * n,
    ),
    "allow-origin-labels": (
        lambda v: cors_check([("Access-Control-Allow-Origin", v)], APP, credentials_included=True),
        lambda n: "https://" + "a." * (n // 2) + "com",
    ),
    "allow-methods": (
        lambda v: evaluate_preflight(_REQUEST, 204, [*_GRANT, ("Access-Control-Allow-Methods", v)], APP),
        lambda n: "PUT ,\t" * (n // 6),
    ),
    "allow-headers": (
        lambda v: evaluate_preflight(
            _REQUEST,
            204,
            [*_GRANT, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", v)],
            APP,
        ),
        lambda n: " , x-a" * (n // 6),
    ),
    "max-age": (lambda v: parse_max_age(v), lambda n: "9" * n),
    "negative-max-age": (lambda v: parse_max_age(v), lambda n: "-" + "0" * n + "7"),
    "expose-headers": (
        lambda v: exposed_header_names(
            [("Access-Control-Expose-Headers", v), *[(f"X-{i}", "") for i in range(len(v) // 64)]],
            credentials_included=False,
        ),
        lambda n: "x-a, *, " * (n // 8),
    ),
    "location-dot-segments": (
        lambda v: follow_redirect(
            _REQUEST, 302, [("Location", v)], redirect_count=0, tainted=False, cors_flag=True
        ),
        lambda n: "/" + "a/../" * (n // 5),
    ),
    "location-scheme": (
        lambda v: follow_redirect(
            _REQUEST, 302, [("Location", v)], redirect_count=0, tainted=False, cors_flag=True
        ),
        lambda n: "a" * n + ":x",
    ),
    "location-ipv6": (
        lambda v: follow_redirect(
            _REQUEST, 302, [("Location", v)], redirect_count=0, tainted=False, cors_flag=True
        ),
        lambda n: "https://[" + ":" * n + "]/",
    ),
}


@pytest.mark.parametrize("case", sorted(MODEL))
def test_the_browser_models_value_parsers_are_linear(case: str) -> None:
    parse, make = MODEL[case]
    assert growth(parse, make(SMALL), make(LARGE)) < LINEAR


def test_a_max_age_of_thousands_of_digits_is_the_cap_not_a_crash() -> None:
    # int() refuses more than 4300 digits: this raised ValueError inside scan and check.
    assert parse_max_age("9" * 5000) == 7200
    assert parse_max_age("-" + "9" * 5000) == 0
    assert parse_max_age("0" * 5000 + "60") == 60


# --- over a real connection -------------------------------------------------------------------------


def _answer_every_request(reply: Callable[[bytes], bytes]) -> Callable[[socket.socket], None]:
    """A kept-alive peer that answers each request head with ``reply(request line)``."""

    def behaviour(sock: socket.socket) -> None:
        sock.settimeout(10)
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            sock.sendall(reply(head.split(b"\r\n", 1)[0]))

    return behaviour


def _adversarial(request_line: bytes) -> bytes:
    """The head of the shape the request's path names (``GET /spaces HTTP/1.1``)."""
    shape = request_line.split(b" ")[1].strip(b"/").split(b"?")[0].decode()
    make = SHAPES.get(shape) or INVALID[shape]
    lines = make(LARGE)
    if shape != "content-length-digits":
        lines += b"\r\nContent-Length: 0"
    return _head(lines) + b"\r\n\r\n"


@pytest.fixture(scope="module")
def adversary() -> Iterator[int]:
    with serve_raw(_answer_every_request(_adversarial)) as port:
        yield port


@pytest.mark.parametrize("shape", [*SHAPES, *INVALID])
def test_corsight_scan_reads_adversarial_heads_within_its_timeout(adversary: int, shape: str) -> None:
    """The whole scan of a URL that answers every probe with the head (about 25 probes, the
    interpreter's start included) ends before one request's --timeout: no probe waited for
    a timer on a blocked event loop. The old regex took about 30 s on the first head."""
    timeout = 3.0
    url = f"http://127.0.0.1:{adversary}/{shape}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "corsight",
            "scan",
            url,
            "--timeout",
            str(timeout),
            "--retries",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    (result,) = json.loads(done.stdout)["results"]
    if result["status"] == "error":  # an unscannable URL is exit 2, with one line saying so
        assert done.returncode == 2 and "could not be scanned" in done.stderr, done.stderr
    else:
        assert done.returncode in (0, 1) and not done.stderr, done.stderr
    if shape in INVALID:
        assert result["status"] == "error" and NetError.INVALID_HTTP_RESPONSE.value in result["error"]
    else:
        assert result["status"] == "scanned" and not result["probe_errors"], result


def test_heads_of_interim_responses_share_one_bound(adversary: int) -> None:
    """A peer that sends 100 Continue without end: refused once the heads pass 64 KiB, and
    read where they lie in the buffer (no copy of the rest per interim response)."""
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"

    def endless(sock: socket.socket) -> None:
        sock.settimeout(10)
        sock.recv(65536)
        sock.sendall(interim * (4 * 1024 * 1024 // len(interim)) + _head(b"Content-Length: 0") + b"\r\n\r\n")

    def some(sock: socket.socket) -> None:
        sock.settimeout(10)
        sock.recv(65536)
        sock.sendall(interim * 1000 + _head(b"Content-Length: 0") + b"\r\n\r\n")

    async def send(port: int) -> object:
        async with Transport(TransportOptions(timeout=5.0, retries=0)) as transport:
            try:
                return await transport.send("GET", f"http://127.0.0.1:{port}/", [])
            except NetFailure as exc:
                return exc

    with serve_raw(endless) as too_many, serve_raw(some) as fine:
        started = time.monotonic()
        refused = asyncio.run(send(too_many))
        assert time.monotonic() - started < 2
        answered = asyncio.run(send(fine))
    assert isinstance(refused, NetFailure) and refused.kind is NetError.INVALID_HTTP_RESPONSE, refused
    assert getattr(answered, "status", None) == 200, answered


def test_corsight_check_reads_adversarial_heads_in_linear_time() -> None:
    """``check`` parses with h11 (through httpx) and the same browser model: same heads, two
    sizes, the whole check timed (h11's own bound is 100 KiB, above both sizes)."""
    size = {"n": SMALL}

    def reply(request_line: bytes) -> bytes:
        shape = request_line.split(b" ")[1].strip(b"/").decode()
        return _head(SHAPES[shape](size["n"]) + b"\r\nContent-Length: 0") + b"\r\n\r\n"

    checked = [s for s in SHAPES if s != "content-length-digits"]
    with serve_raw(_answer_every_request(reply)) as port:
        for shape in checked:
            url = f"http://127.0.0.1:{port}/{shape}"

            def run(n: int, url: str = url) -> object:
                size["n"] = n
                try:
                    return corsight.check(url, origin=APP, timeout=5.0)
                except CheckError as exc:  # h11 refuses some shapes (a bare CR): also in time
                    return exc

            started = time.monotonic()
            run(LARGE)
            assert time.monotonic() - started < 5.0, shape
            assert growth(run, SMALL, LARGE, rounds=3) < LINEAR, shape
