"""The model's edge with the network (:mod:`corsight.browser.wire`): the header lines Chromium
adds to each request, and the ``net::ERR_…`` for a request that got no HTTP response. Guards
that the scanner sends what the model says, byte for byte, and decides no Chromium header line
or error code of its own."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corsight.browser import (
    Fetch,
    NetError,
    NetworkFailure,
    Outgoing,
    net_error,
    prepare_request,
    wire_headers,
)
from corsight.browser.private_network import private_network_preflight
from corsight.scan.exchange import send_probe
from corsight.scan.probes import ATTACKER, Probe, preflight_probes
from corsight.scan.target import parse_target
from corsight.scan.transport import Transport, TransportOptions
from tests.servers import serve_asgi

SRC = Path(__file__).resolve().parents[2] / "src" / "corsight"
PAGE = "https://app.example"
API = "https://api.example/v1"
FETCH_METADATA = [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]


def _first_step(**init: Any) -> Outgoing:
    step = Fetch(prepare_request(API, origin=PAGE, **init)).start()
    assert isinstance(step, Outgoing)
    return step


def test_a_simple_request_gets_the_default_accept_first_and_fetch_metadata_last() -> None:
    step = _first_step(headers={"Accept-Language": "fr"})
    assert wire_headers(step) == [
        ("Accept", "*/*"),
        ("Accept-Language", "fr"),
        ("Origin", PAGE),
        *FETCH_METADATA,
    ]


def test_the_page_accept_is_kept_and_fetch_metadata_still_sent() -> None:
    step = _first_step(headers={"Accept": "application/json"})
    assert wire_headers(step) == [("Accept", "application/json"), ("Origin", PAGE), *FETCH_METADATA]


def test_the_preflight_keeps_chromium_order() -> None:
    step = _first_step(method="PUT", headers={"X-B": "1", "X-A": "2"})
    assert step.kind == "preflight"
    assert wire_headers(step) == [
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-a,x-b"),
        ("Origin", PAGE),
        *FETCH_METADATA,
    ]


def test_every_network_failure_has_one_chromium_code() -> None:
    assert {failure: net_error(failure) for failure in NetworkFailure} == {
        NetworkFailure.CONNECTION_REFUSED: NetError.CONNECTION_REFUSED,
        NetworkFailure.CONNECT_FAILED: NetError.CONNECTION_REFUSED,
        NetworkFailure.NAME_NOT_RESOLVED: NetError.NAME_NOT_RESOLVED,
        NetworkFailure.TIMED_OUT: NetError.TIMED_OUT,
        NetworkFailure.CONNECTION_RESET: NetError.CONNECTION_RESET,
        NetworkFailure.EMPTY_RESPONSE: NetError.EMPTY_RESPONSE,
        NetworkFailure.TLS_CERTIFICATE_INVALID: NetError.CERT_INVALID,
        NetworkFailure.TLS_FAILED: NetError.SSL_PROTOCOL_ERROR,
        NetworkFailure.INVALID_RESPONSE: NetError.INVALID_HTTP_RESPONSE,
        NetworkFailure.NOT_SENT: NetError.FAILED,
        NetworkFailure.OTHER: NetError.FAILED,
    }


# --- the scanner sends what the model says -------------------------------------------------------------


class _Recorder:
    """An ASGI app that records each request's header lines and lets every CORS request through."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[tuple[str, str]]]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        lines = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
        self.seen.append((scope["method"], lines))
        asked = {n.lower(): v for n, v in lines}
        origin = asked.get("origin", "*")
        headers = [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-credentials", b"true"),
        ]
        if scope["method"] == "OPTIONS":
            for name in ("method", "headers", "private-network"):
                value = asked.get(f"access-control-request-{name}")
                if value is not None:
                    headers.append((f"access-control-allow-{name}".encode(), value.encode()))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[_Recorder, str]]:
    app = _Recorder()
    with serve_asgi(app) as base:
        yield app, f"{base}/v1/me"


def _sent_by_scanner(
    recorder: tuple[_Recorder, str], probe: Probe
) -> list[tuple[str, list[tuple[str, str]]]]:
    app, url = recorder
    app.seen.clear()

    async def main() -> None:
        async with Transport(TransportOptions(retries=0, timeout=5.0)) as transport:
            await send_probe(transport, parse_target(url, internal=True), probe)

    asyncio.run(main())
    # What the transport adds on its own: Host first, its User-Agent last.
    return [
        (method, [(n, v) for n, v in lines if n.lower() not in ("host", "user-agent")])
        for method, lines in app.seen
    ]


def _lower(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n.lower(), v) for n, v in lines]


def test_the_scanner_sends_the_model_wire_headers(recorder: tuple[_Recorder, str]) -> None:
    url = recorder[1]
    hostile = f"https://{ATTACKER}"
    # A hostile GET: the model's actual request.
    step = Fetch(prepare_request(url, origin=hostile, credentials="include")).start()
    assert isinstance(step, Outgoing)
    assert _sent_by_scanner(recorder, Probe("any-origin", hostile, "x")) == [
        ("GET", _lower(wire_headers(step)))
    ]
    # A trusted candidate and the baseline: a GET with that Origin, and a same-origin GET.
    sent = _sent_by_scanner(recorder, Probe(None, PAGE, "trusted", trusted=True))
    assert sent == [("GET", _lower(wire_headers(Outgoing("actual", "GET", url, (("Origin", PAGE),)))))]
    sent = _sent_by_scanner(recorder, Probe(None, None, "no Origin", trusted=True))
    assert sent == [("GET", _lower(wire_headers(Outgoing("actual", "GET", url, ()))))]
    # A preflight probe: the model's preflight (the actual request is not sent).
    preflight, *_, pna = preflight_probes(hostile, None)
    request = prepare_request(
        url, origin=hostile, method=preflight.method, headers=list(preflight.headers), credentials="include"
    )
    step = Fetch(request).start()
    assert isinstance(step, Outgoing) and step.kind == "preflight"
    assert _sent_by_scanner(recorder, preflight) == [("OPTIONS", _lower(wire_headers(step)))]
    # The private-network preflight.
    assert pna.kind == "pna"
    step = private_network_preflight(prepare_request(url, origin=hostile), hostile)
    assert _sent_by_scanner(recorder, pna) == [("OPTIONS", _lower(wire_headers(step)))]


def _browser_decisions_in(path: Path) -> list[str]:
    """Places in ``path`` that name a Chromium error code or write a header line Chromium adds."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "NetError"
        ):
            found.append(f"{node.lineno}: NetError.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if text.startswith(("sec-fetch-", "access-control-request-")) or text == "*/*":
                found.append(f"{node.lineno}: {node.value!r}")
    return found


def test_the_tools_take_wire_headers_and_error_codes_from_the_model() -> None:
    files = sorted((SRC / "scan").rglob("*.py")) + sorted((SRC / "check").rglob("*.py"))
    assert len(files) > 8
    found = {str(f.relative_to(SRC)): lines for f in files if (lines := _browser_decisions_in(f))}
    assert found == {}
