"""Guards finding 6 of issue 11, terminal escape injection: text that came from a server or a
file (header values, error texts, HAR and configuration values) must never act on the terminal
of the person reading corsight's output.

Classes guarded, for ``scan``, ``check``, ``har``, ``lint`` and the proxy's access log:
- control characters written raw: C0 (ESC sequences that clear the screen, move the cursor, set
  the title; BEL, backspace, CR overwrites), DEL, C1 (U+009B is a one-byte CSI), bidi and other
  format characters, lone surrogates (which crashed the output);
- Rich markup from a server read as corsight's own (a fake ``ALL CLEAR``);
- the same characters raw in JSON and SARIF (json.dumps leaves C1, DEL and format characters
  as they are): JSON output must stay valid and decode to exactly what was received.

The servers are real, on loopback: a raw-socket HTTP server (uvicorn and h11 refuse to send such
values, a hostile server does not) and the proxy under uvicorn. The commands run as real
subprocesses, as a user runs them, once with output to a pipe and once with colours forced.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight.proxy import ProxyConfig
from corsight.safetext import console, dumps, styled, visible
from tests.proxy_support import RawServer, read_request, serve_proxy

SRC = str(Path(__file__).resolve().parents[2] / "src")

# What the hostile server puts in its header values, by path. /raw: controls, C1, DEL and the
# server's own Rich markup and SGR codes (HTTP clients read any byte but CR, LF and NUL in a
# value, as Chromium does); /obs: obs-text only, read as Latin-1 (C1 controls, a soft hyphen,
# the UTF-8 bytes of U+202E); /broken: a bare CR, which ends the exchange with an error.
RAW = (
    b"\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[3A\x9b2J\x85\x08\x08\x7f"
    b" [bold red]ALL CLEAR[/] \x1b[32mno finding\x1b[0m"
)
OBS = b"\x9b2J\x9b1;1H\x85\xad [bold red]ALL CLEAR[/] \xe2\x80\xae"
BROKEN = b"\x1b[2J\rALL CLEAR"
VALUES = {b"/raw": RAW, b"/obs": OBS, b"/broken": BROKEN}
FAKE = "[bold red]ALL CLEAR[/]"

# How each path's value must look: every control escaped, the markup as the server wrote it.
SHOWN = {
    "raw": "\\x1b[2J\\x1b[H\\x1b]0;owned\\x07\\x1b[3A\\x9b2J\\x85\\x08\\x08\\x7f"
    " [bold red]ALL CLEAR[/] \\x1b[32mno finding\\x1b[0m",
    # Header bytes are Latin-1: U+202E's UTF-8 bytes e2 80 ae read as "\xe2\x80\xae".
    "obs": "\\x9b2J\\x9b1;1H\\x85\\xad [bold red]ALL CLEAR[/] \xe2\\x80\xae",
}


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            line, headers, _ = await read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        value = VALUES.get(line.split(b" ")[1].split(b"?")[0], RAW)
        origin = headers.get(b"origin", b"https://app.example")
        writer.write(
            b"HTTP/1.1 200 OK\r\n"
            b"Access-Control-Allow-Origin: " + origin + b"\r\n"
            b"Access-Control-Allow-Credentials: true\r\n"
            b"Access-Control-Expose-Headers: " + value + b"\r\n"
            b"Vary: " + value + b"\r\n"
            b"X-Hostile: " + value + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )
        await writer.drain()


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    """The hostile server's base URL."""
    with RawServer(_answer) as server:
        yield server.url


def corsight(*args: str, color: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m corsight ARGS`` with this checkout's sources, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TERM")}
    env["PYTHONPATH"] = SRC
    env["PYTHONIOENCODING"] = "utf-8"
    if color:
        env["FORCE_COLOR"] = "1"  # Rich writes its colour codes as on a terminal
        env["TERM"] = "xterm-256color"
    return subprocess.run(
        [sys.executable, "-m", "corsight", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        env=env,
        timeout=60,
        check=False,
    )


SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own colours, when a terminal is forced


def assert_terminal_safe(text: str, *, color: bool = False) -> None:
    """Nothing in ``text`` but printable characters and corsight's own line breaks (and, with
    colours, Rich's SGR codes): no control, C1, DEL, format character or surrogate."""
    if color:
        text = SGR.sub("", text)
    bad = sorted({c for c in text if not c.isprintable() and c not in "\n\t"})
    assert not bad, f"raw characters reached the terminal: {bad!r}"


def assert_json_safe(text: str) -> Any:
    """``text`` is JSON whose every non-printable character is escaped; returns it decoded."""
    bad = sorted({c for c in text if not c.isprintable() and c != "\n"})
    assert not bad, f"raw characters in JSON output: {bad!r}"
    return json.loads(text)


def strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings(item)


# --- corsight scan --------------------------------------------------------------------------------


@pytest.mark.parametrize("color", [False, True], ids=["pipe", "colour"])
def test_scan_shows_hostile_header_values_escaped(hostile: str, color: bool) -> None:
    result = corsight("scan", "--no-progress", f"{hostile}/raw", color=color)
    assert result.returncode == 1, result.stderr  # the server echoes any origin with credentials
    assert_terminal_safe(result.stdout, color=color)
    assert_terminal_safe(result.stderr, color=color)
    out = SGR.sub("", result.stdout)
    assert f"< Access-Control-Expose-Headers: {SHOWN['raw']}" in out  # the markup as written


@pytest.mark.parametrize("form", ["--json", "--sarif"])
def test_scan_json_and_sarif_escape_controls_and_round_trip(hostile: str, form: str) -> None:
    result = corsight("scan", "--no-progress", form, f"{hostile}/raw")
    assert result.returncode == 1, result.stderr
    data = assert_json_safe(result.stdout)
    assert RAW.decode("latin-1") in set(strings(data))  # exactly the value the server sent
    assert "\\u001b[2J" in result.stdout and "\\u009b2J" in result.stdout and "\\u007f" in result.stdout


# --- corsight check -------------------------------------------------------------------------------


@pytest.mark.parametrize("color", [False, True], ids=["pipe", "colour"])
@pytest.mark.parametrize("path", ["raw", "obs"])
def test_check_shows_hostile_header_values_escaped(hostile: str, path: str, color: bool) -> None:
    result = corsight("check", f"{hostile}/{path}", "--origin", "https://app.example", color=color)
    assert result.returncode in (0, 1), result.stderr
    assert_terminal_safe(result.stdout, color=color)
    assert_terminal_safe(result.stderr, color=color)
    out = SGR.sub("", result.stdout)
    assert f"X-Hostile: {SHOWN[path]}" in out and f"Vary: {SHOWN[path]}" in out


@pytest.mark.parametrize("path", ["raw", "obs"])
def test_check_json_escapes_controls_and_round_trips(hostile: str, path: str) -> None:
    result = corsight("check", f"{hostile}/{path}", "--origin", "https://app.example", "--json")
    assert result.returncode in (0, 1), result.stderr
    data = assert_json_safe(result.stdout)
    assert VALUES[f"/{path}".encode()].decode("latin-1") in set(strings(data))


def test_check_network_error_is_one_safe_line(hostile: str) -> None:
    """A bare CR in a header ends the exchange: the one error line quotes it escaped."""
    result = corsight("check", f"{hostile}/broken", "--origin", "https://app.example")
    assert result.returncode == 2
    assert_terminal_safe(result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- corsight har ---------------------------------------------------------------------------------

# A HAR can hold any code point: the full set, with the CR overwrite and bidi reordering.
HAR_VALUE = (
    "\x1b[2J\x1b]0;owned\x07\x9b1;1H\x08\x08\rALL CLEAR \u202eRTL\u202c \u2066x\u2069"
    " \x00\x7f\x85\u200b\ufeff " + FAKE
)


def _har(tmp_path: Path, value: str) -> Path:
    def entry(url: str, status: int, response: dict[str, str], **extra: Any) -> dict[str, Any]:
        return {
            "request": {
                "method": "GET",
                "url": url,
                "headers": [{"name": "Origin", "value": "https://app.example"}],
            },
            "response": {
                "status": status,
                "headers": [{"name": n, "value": v} for n, v in response.items()],
                **extra,
            },
        }

    entries = [
        entry("https://api.example/a", 200, {"Access-Control-Allow-Origin": value}),
        entry("https://api.example/b", 0, {}, _error=value),
        entry(
            "https://api.example/c",
            200,
            {"Access-Control-Allow-Origin": "https://app.example", "Access-Control-Expose-Headers": value},
        ),
    ]
    path = tmp_path / "hostile.har"
    log = {"version": "1.2", "creator": {"name": value}, "pages": [], "entries": entries}
    path.write_text(json.dumps({"log": log}), encoding="utf-8")
    return path


@pytest.mark.parametrize("color", [False, True], ids=["pipe", "colour"])
def test_har_shows_hostile_values_escaped(tmp_path: Path, color: bool) -> None:
    result = corsight("har", str(_har(tmp_path, HAR_VALUE)), "--all", "--server", "nginx", color=color)
    assert result.returncode == 1, result.stderr
    assert_terminal_safe(result.stdout, color=color)
    assert_terminal_safe(result.stderr, color=color)
    out = SGR.sub("", result.stdout)
    # The failure text (`_error`) is shown verbatim, escaped: every character is accounted for.
    assert visible(HAR_VALUE) in out
    assert "\\u202eRTL\\u202c" in out and "\\x1b[2J" in out and FAKE in out


def test_har_json_escapes_controls_and_round_trips(tmp_path: Path) -> None:
    result = corsight("har", str(_har(tmp_path, HAR_VALUE)), "--json")
    assert result.returncode == 1, result.stderr
    data = assert_json_safe(result.stdout)
    assert any(HAR_VALUE in s for s in strings(data))


def test_har_lone_surrogate_is_shown_not_a_crash(tmp_path: Path) -> None:
    """JSON may spell a lone surrogate (``\\ud800``); writing it raw was a UnicodeEncodeError."""
    path = _har(tmp_path, "bad \ud800 value")
    for args in ([], ["--json"]):
        result = corsight("har", str(path), *args)
        assert "Traceback" not in result.stderr and result.returncode in (1, 2), result.stderr
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)
        if result.returncode == 1:
            assert "\\ud800" in result.stdout


# --- corsight lint --------------------------------------------------------------------------------


def test_lint_shows_configuration_values_escaped(tmp_path: Path) -> None:
    config = tmp_path / "corsight.toml"
    config.write_text(
        'allow_origins = ["https://app.example"]\n'
        'allow_origin_regex = "https://a\\u001b\\\\.example\\\\.com"\n'
        '"unknown\\u001b[2J\\u009b" = 1\n',
        encoding="utf-8",
    )
    for args in ([], ["--json"]):
        result = corsight("lint", str(config), *args)
        assert result.returncode in (0, 1), result.stderr
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)
        if args:
            assert_json_safe(result.stdout)
        else:
            assert "unknown\\x1b[2J\\x9b" in result.stdout


# --- the proxy's access log -----------------------------------------------------------------------


def test_proxy_access_log_escapes_client_values(tmp_path: Path, hostile: str) -> None:
    log = tmp_path / "access.jsonl"
    origin = b"https://a" + OBS.replace(b" ", b"") + b".example"
    config = ProxyConfig(allow_origins=("https://app.example",), upstream=hostile, access_log=str(log))
    with serve_proxy(config) as proxy:
        port = int(proxy.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + origin + b"\r\nConnection: close\r\n\r\n"
            )
            while sock.recv(65536):
                pass
    text = log.read_text(encoding="utf-8")
    records = [assert_json_safe(line) for line in text.splitlines()]
    assert [r["origin"] for r in records] == [origin.decode("latin-1")]


# --- the rule itself, for any text ------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)  # surrogates included
HOSTILE_PIECES = st.sampled_from(
    [
        "\x1b[2J",
        "\x1b]0;t\x07",
        "\x9b31m",
        "\r",
        "\b",
        "\x7f",
        "\u202e",
        "\u2066",
        "[bold]",
        "[/]",
        "\\",
        ":smile:",
    ]
)
TEXTS = st.one_of(ANY_TEXT, st.lists(st.one_of(HOSTILE_PIECES, ANY_TEXT), max_size=8).map("".join))


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_visible_leaves_only_printable_characters(text: str) -> None:
    shown = visible(text)
    assert shown.isprintable()
    assert not any(c < " " or "\x7f" <= c <= "\x9f" for c in shown)
    if text.isprintable():
        assert shown == text


JSON_VALUES = st.recursive(
    st.one_of(TEXTS, st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXTS, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 2]))
def test_json_has_no_raw_control_and_round_trips(data: Any, indent: int | None) -> None:
    text = dumps(data, indent=indent)
    assert not any(not c.isprintable() and c != "\n" for c in text)
    assert json.loads(text) == data
    text.encode("utf-8")  # writable: no lone surrogate left raw


@settings(max_examples=300, deadline=None)
@given(TEXTS, TEXTS)
def test_styled_never_reads_values_as_markup(first: str, second: str) -> None:
    text = styled("[bold]{}[/bold] and [red]{}[/red]", first, second)
    one, two = visible(first), visible(second)
    assert text.plain == f"{one} and {two}"
    # Each value carries exactly the style around its slot, whatever brackets it holds.
    end = len(one) + 5
    assert [(s.start, s.end, s.style) for s in text.spans] == [
        (0, len(one), "bold"),
        (end, end + len(two), "red"),
    ]


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_the_report_console_writes_no_control_character(text: str) -> None:
    """Whatever a renderer hands the console — a raw string, a styled line, a table cell — and
    even with colours on, only Rich's own SGR codes and line breaks are not printable."""
    from rich.table import Table

    buffer = io.StringIO()
    with mock.patch.dict(os.environ, {"FORCE_COLOR": "1", "TERM": "xterm-256color"}):
        out = console(file=buffer)
        assert out.is_terminal  # Rich writes colour codes: only those may be left
        table = Table("value")
        table.add_row(text)
        out.print(text)
        out.print(styled("[bold]{}[/bold]", text))
        out.print(table)
        out.rule(text)
    assert_terminal_safe(buffer.getvalue(), color=True)
