"""Guards the class "``corsight check`` can be held past its timeout, or a timeout value
crashes it" (issue 11, finding 8).

``timeout`` is a deadline for the whole exchange: connections, TLS, the preflight, the actual
request and every redirect. Real loopback servers drip bytes (every 0.2 s, so no timeout per
read ever fires) in the response head, in a response after a quick preflight, across a chain
of slow redirects, and while slowly reading a large request body: the Python API and the
command both give up at about the deadline. Invalid values (NaN, infinities, zero, negative,
not a number) are one line on stderr and exit 2 from the command, :class:`CheckError` from
the API.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import corsight
from corsight.check import MAX_TIMEOUT, CheckError, valid_timeout
from corsight.cli import main
from tests.scanlab.servers import serve_raw

ORIGIN = "https://app.example.com"
DEADLINE = 1.0
DRIP = 0.2  # seconds between two bytes: far below any timeout per read
GRANT = (
    b"Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Headers: x-token\r\n"
    b"Access-Control-Allow-Methods: GET, POST\r\n"
)


def _request_line(sock: socket.socket) -> bytes:
    """Read one request head; its first line (empty when the client went away)."""
    sock.settimeout(15)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data.split(b"\r\n", 1)[0]


def _drip(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        for i in range(len(data)):
            sock.sendall(data[i : i + 1])
            time.sleep(DRIP)


def drip_head(sock: socket.socket) -> None:
    """The response head one byte every 0.2 s (6 s in all, then a complete, allowed answer)."""
    _request_line(sock)
    with contextlib.suppress(OSError):
        sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    _drip(sock, b"a" * int(6 / DRIP))
    with contextlib.suppress(OSError):
        sock.sendall(b"\r\n" + GRANT + b"Content-Length: 0\r\n\r\n")


def quick_preflight_then_drip(sock: socket.socket) -> None:
    """The preflight passes at once; the actual response then drips its head."""
    while True:
        line = _request_line(sock)
        if not line:
            return
        if line.startswith(b"OPTIONS"):
            sock.sendall(b"HTTP/1.1 204 No Content\r\n" + GRANT + b"\r\n")
        else:
            drip_rest = b"X-Slow: " + b"a" * int(6 / DRIP) + b"\r\n" + GRANT + b"Content-Length: 0\r\n\r\n"
            with contextlib.suppress(OSError):
                sock.sendall(b"HTTP/1.1 200 OK\r\n")
            _drip(sock, drip_rest)
            return


def slow_redirects(sock: socket.socket) -> None:
    """Every request is redirected to the next path after 0.3 s (each answer well within any
    timeout per read; twenty of them take 6 s)."""
    while True:
        line = _request_line(sock)
        if not line:
            return
        step = int(line.split(b" ")[1].strip(b"/") or b"0")
        time.sleep(0.3)
        with contextlib.suppress(OSError):
            sock.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /%d\r\n" % (step + 1)
                + GRANT
                + b"Content-Length: 0\r\n\r\n"
            )


def slow_reader(sock: socket.socket) -> None:
    """Reads a request body 1 MiB every 0.2 s: a large upload never stalls long enough for a
    write timeout."""
    sock.settimeout(15)
    with contextlib.suppress(OSError):
        while sock.recv(1 << 20):
            time.sleep(DRIP)


def _post(url: str) -> object:
    return corsight.check(
        url, origin=ORIGIN, method="POST", body=b"x" * (64 << 20), send=True, timeout=DEADLINE
    )


CASES: dict[str, tuple[Callable[[socket.socket], None], Callable[[str], object]]] = {
    "dripped head": (drip_head, lambda url: corsight.check(url, origin=ORIGIN, timeout=DEADLINE)),
    "quick preflight, dripped response": (
        quick_preflight_then_drip,
        lambda url: corsight.check(url, origin=ORIGIN, headers={"X-Token": "1"}, timeout=DEADLINE),
    ),
    "slow redirects": (slow_redirects, lambda url: corsight.check(url, origin=ORIGIN, timeout=DEADLINE)),
    "slowly read upload": (slow_reader, _post),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_api_gives_up_at_the_deadline(case: str) -> None:
    behaviour, run = CASES[case]
    with serve_raw(behaviour) as port:
        started = time.monotonic()
        with pytest.raises(CheckError, match="timed out"):
            run(f"http://127.0.0.1:{port}/")
        elapsed = time.monotonic() - started
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 1.0, elapsed


COMMAND = ["--origin", ORIGIN, "--timeout", str(DEADLINE)]


def test_the_command_gives_up_at_the_deadline_with_one_line() -> None:
    with serve_raw(drip_head) as port:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "corsight", "check", f"http://127.0.0.1:{port}/", *COMMAND],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("corsight check: error:") and "timed out" in line
    # The interpreter's start is included, and CI machines are shared: the old code took 6-13 s.
    assert elapsed < DEADLINE + 3.5


def test_a_fast_answer_within_the_deadline_is_unaffected() -> None:
    def fast(sock: socket.socket) -> None:
        while _request_line(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\n" + GRANT + b"Content-Length: 0\r\n\r\n")

    with serve_raw(fast) as port:
        result = corsight.check(
            f"http://127.0.0.1:{port}/", origin=ORIGIN, headers={"X-Token": "1"}, timeout=DEADLINE
        )
    assert result.allowed and [t.request.kind for t in result.timeline] == ["preflight", "actual"]


BAD = ["nan", "NaN", "inf", "-inf", "1e400", "-1", "0", "-0", "0.0", "abc", "", "1,5", "100000"]


@pytest.mark.parametrize("value", BAD)
def test_an_invalid_timeout_is_one_line_and_exit_2(value: str) -> None:
    result = CliRunner().invoke(
        main, ["check", "http://127.0.0.1:9/", "--origin", ORIGIN, "--timeout", value]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith("corsight check: error: Invalid value for '--timeout'")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 0, -0.0, True, "5", None, MAX_TIMEOUT * 2])
def test_an_invalid_timeout_is_a_check_error_from_the_api(value: object) -> None:
    with pytest.raises(CheckError, match="invalid timeout"):
        corsight.check("http://127.0.0.1:9/", origin=ORIGIN, timeout=value)  # type: ignore[arg-type]


@given(st.one_of(st.floats(), st.integers(), st.booleans(), st.none(), st.text(max_size=5)))
def test_every_timeout_is_a_deadline_or_a_check_error(value: object) -> None:
    try:
        seconds = valid_timeout(value)
    except CheckError:
        return
    assert isinstance(seconds, float) and 0 < seconds <= MAX_TIMEOUT
