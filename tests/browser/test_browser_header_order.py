"""Which refused request header Chromium names after a preflight: its header-map order
(corsight.browser.header_order), checked against cases recorded from Chromium 156 and, in the
browser test, against Chromium itself on generated header sets."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from corsight.browser import prepare_request
from corsight.browser.checks import PreflightResult
from corsight.browser.header_order import (
    hash_map_order,
    is_potentially_trustworthy,
    preflight_check_order,
    request_header_order,
)
from corsight.browser.redirects import follow_redirect
from tests.servers import serve_wsgi

pytestmark = pytest.mark.browser

J = ("Content-Type", "application/json")
HOSTS = {"127.0.0.1": "http://127.0.0.1:8000/r", "corsight.test": "http://corsight.test:8000/r"}
PAGE = "http://127.0.0.1:8001"


def refused(
    url: str, method: str, body: str | None, headers: list[tuple[str, str]], origin: str = PAGE
) -> str | None:
    """The header named when the preflight allows the method and no header."""
    request = prepare_request(url, origin=origin, method=method, headers=headers, body=body)
    failure = PreflightResult(frozenset({method}), frozenset(), False, 5).header_failure(request)
    return failure.hint if failure else None


# Recorded from Chromium 156: fetch(url, {method, headers, body}) from a page on 127.0.0.1, the
# preflight answered 204 with ACAO and ACAM but no ACAH; the name in the console message.
# "127.0.0.1" is a loopback (potentially trustworthy) URL, "corsight.test" a plain-http one
# (mapped to loopback with --host-resolver-rules), where Blink adds no sec-ch-ua headers.
OBSERVED = [
    ("127.0.0.1", "POST", "x", [("X-A", "1"), ("X-B", "1")], "x-a"),
    ("127.0.0.1", "POST", "x", [("X-B", "1"), ("X-A", "1")], "x-a"),
    ("127.0.0.1", "POST", "x", [("X-Zz", "1"), ("X-Aa", "1"), ("X-Mm", "1")], "x-aa"),
    ("127.0.0.1", "POST", "x", [J, ("X-A", "1")], "content-type"),
    ("127.0.0.1", "POST", "x", [("X-A", "1"), J], "content-type"),
    ("127.0.0.1", "POST", "x", [("X-Requested-With", "1"), J], "x-requested-with"),
    ("127.0.0.1", "POST", "x", [J, ("X-Requested-With", "1")], "x-requested-with"),
    ("127.0.0.1", "POST", "x", [("X-Z", "1"), J], "x-z"),
    ("127.0.0.1", "POST", "x", [("Accept", "a:b"), ("X-A", "1")], "accept"),
    ("127.0.0.1", "POST", "x", [("X-A", "1"), ("Accept", "a:b")], "accept"),
    ("127.0.0.1", "POST", "x", [("If-None-Match", "1"), ("Authorization", "1")], "if-none-match"),
    ("127.0.0.1", "PATCH", "x", [("If-None-Match", "1"), J, ("X-Requested-With", "1")], "if-none-match"),
    ("127.0.0.1", "POST", "x", [("X-Client-Version", "v1"), ("Range", "bytes=0-"), ("J2_ak84mrzv3", "v1"), ("Wcp12xy3a0_ldntsi47n1bvb4q", "v1")], "wcp12xy3a0_ldntsi47n1bvb4q"),
    ("127.0.0.1", "POST", None, [("F0ktvqc", "v1"), ("bcp", "v1")], "f0ktvqc"),
    ("127.0.0.1", "POST", "x", [("vstrlh6ovps1r2i4v8l772de019", "v1"), ("sdpyynex6nd95h1y9xatx6xz2", "v1"), ("X-Correlation-ID", "v1"), ("L5ju", "v1"), ("X-Trace-Id", "v1")], "x-correlation-id"),
    ("127.0.0.1", "POST", "x", [("Accept-Language", "en("), ("Coyp2ju7yj51", "v1"), ("X-Custom-Header", "v1"), ("X-CSRF-Token", "v1")], "x-csrf-token"),
    ("127.0.0.1", "POST", None, [("vqo2w89hksb9f8_e8lvg", "v1"), ("Pragma", "v1"), ("X-Trace-Id", "v1")], "vqo2w89hksb9f8_e8lvg"),
    ("127.0.0.1", "POST", "x", [("Accept-Language", "en("), ("X-Custom-A", "v1"), ("If-None-Match", "v1"), ("Az_w5xuxumohhk2f4xkscskr-86v", "v1"), ("X-Custom-1", "v1"), ("X-Amz-Date", "v1")], "x-custom-a"),
    ("127.0.0.1", "PUT", "x", [("J8k3sx0h", "v1"), ("Accept", "a:b"), ("Qyh1373fy2x9wkjol025l", "v1"), ("X-Custom-1", "v1"), ("X-Client-Version", "v1"), ("X-Amz-Date", "v1")], "j8k3sx0h"),
    ("127.0.0.1", "POST", "x", [("X-Request-Id", "v1"), ("Ftexi0mk4r-q26x51ab", "v1"), ("X-Trace-Id", "v1"), ("DPR", "2"), J, ("If-None-Match", "v1")], "if-none-match"),
    ("127.0.0.1", "PUT", "x", [("X-Correlation-ID", "v1"), ("B-mu0e0vv0cjmgsxc6skdluz196nr6", "v1"), ("X-Custom-Header", "v1"), ("kqzj73-vbblyskf3g_40o-t7q", "v1"), ("Pragma", "v1"), ("a1zg-n2nrki8subhejmzb", "v1")], "b-mu0e0vv0cjmgsxc6skdluz196nr6"),
    ("127.0.0.1", "PATCH", "x", [("Traceparent", "v1"), ("Nnhz8jz_yk_zuay0tdtgp9qs", "v1"), ("cvbxsy1oj_c75-2lm1489dge", "v1"), ("If-Modified-Since", "v1"), ("Content-Language", "x y"), ("Phm", "v1"), ("X-Amz-Date", "v1")], "phm"),
    ("127.0.0.1", "POST", "x", [("Bta", "v1"), ("Nrpxmp61yg-_rynyg336j", "v1"), ("N_kv8gavftwaq64t5hub_3yxh-", "v1")], "nrpxmp61yg-_rynyg336j"),
    ("127.0.0.1", "PUT", "x", [("If-Modified-Since", "v1"), ("If-None-Match", "v1"), ("Cache-Control", "v1")], "if-none-match"),
    ("127.0.0.1", "PATCH", "x", [("X-HTTP-Method-Override", "v1"), J], "x-http-method-override"),
    ("127.0.0.1", "PUT", "x", [("X-Correlation-ID", "v1"), ("X-Trace-Id", "v1")], "x-correlation-id"),
    ("127.0.0.1", "PATCH", "x", [("Pte6qxtg7cqi", "v1"), ("X-Requested-With", "v1")], "pte6qxtg7cqi"),
    ("127.0.0.1", "PUT", None, [("Pragma", "v1"), ("u7x87", "v1"), ("X-Custom-Header", "v1"), ("Tf0o-hq-gi6b52", "v1")], "pragma"),
    ("corsight.test", "POST", "x", [("b34jhus3pkcmb-ofzxtl3xs", "v1"), ("X-Amz-Date", "v1"), ("Range", "bytes=0-"), ("Api-Key", "v1"), ("Authorization", "v1"), ("Ura3d20kcc97-w", "v1")], "b34jhus3pkcmb-ofzxtl3xs"),
    ("corsight.test", "PUT", "x", [("Yy-_zf98q8gg3cyma3lq_4g", "v1"), ("a8qjnmg", "v1")], "yy-_zf98q8gg3cyma3lq_4g"),
    ("corsight.test", "GET", None, [("Content-Language", "x y"), ("X-Api-Key", "v1"), ("k6pzgy", "v1"), ("Accept", "a:b"), ("anp_e6x1_togx992dq7aj1d3ammgl3", "v1"), ("Z44s7eb3nb26mevmg8xflozac1dtm", "v1")], "z44s7eb3nb26mevmg8xflozac1dtm"),
    ("corsight.test", "POST", "x", [("X-Request-Id", "v1"), ("Pragma", "v1"), ("X-Auth-Token", "v1"), ("sc1fnv6xjvr8", "v1"), ("Api-Key", "v1"), ("If-None-Match", "v1")], "if-none-match"),
    # The same two names as on loopback above, but without the three sec-ch-ua buckets.
    ("corsight.test", "GET", None, [J, ("X-Requested-With", "v1")], "content-type"),
    ("corsight.test", "POST", "x", [("Pragma", "v1"), ("X-Custom-Header", "v1")], "pragma"),
    ("corsight.test", "POST", "x", [("X-Trace-Id", "v1"), ("X-Custom-1", "v1"), ("X-Client-Version", "v1")], "x-client-version"),
    ("corsight.test", "POST", "x", [("Authorization", "v1"), ("D", "v1")], "authorization"),
]  # fmt: skip


@pytest.mark.parametrize(("host", "method", "body", "headers", "named"), OBSERVED)
def test_named_header_matches_recorded_chromium(
    host: str, method: str, body: str | None, headers: list[tuple[str, str]], named: str
) -> None:
    assert refused(HOSTS[host], method, body, headers) == named


# Recorded the same way, after a redirect (answered with ACAO) to another origin, whose
# preflight allowed no header: Chromium keeps the header order of the first request.
OBSERVED_AFTER_REDIRECT = [
    (303, "PUT", "corsight.test", [("e75hxf2n-6b1zkk3", "v1"), ("sv0au-wh86w7jxmqff", "v1"), ("If-None-Match", "v1")], "if-none-match"),
    (302, "POST", "127.0.0.1", [("h61", "v1"), ("j3now2_-y5t0x", "v1"), ("Authorization", "v1"), ("d2-cu", "v1")], "j3now2_-y5t0x"),
    (307, "PUT", "corsight.test", [("Od-hnhx6cluyn2mf9ziwtgil", "v1"), ("X-HTTP-Method-Override", "v1"), ("DPR", "2"), ("bsnannhg6bd1i0x323u6y", "v1")], "od-hnhx6cluyn2mf9ziwtgil"),
    (303, "POST", "corsight.test", [("fcto4q1gxajv91bjtw", "v1"), ("X-Client-Version", "v1"), ("X-Trace-Id", "v1"), ("X-CSRF-Token", "v1"), ("D26hq", "v1")], "x-csrf-token"),
    (302, "POST", "127.0.0.1", [("x2s7wfb1kf1wybg08w", "v1"), ("X-Amz-Date", "v1"), ("Authorization", "v1"), ("X-Api-Key", "v1"), ("Content-Language", "x y")], "x2s7wfb1kf1wybg08w"),
    (302, "POST", "corsight.test", [("Tqexolg", "v1"), ("Accept", "a:b"), ("mw3v3dz9og0xofvwrj4ceif", "v1"), ("X-Amz-Date", "v1"), ("X-Correlation-ID", "v1")], "x-correlation-id"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "method", "host", "headers", "named"), OBSERVED_AFTER_REDIRECT)
def test_named_header_after_redirect_matches_recorded_chromium(
    status: int, method: str, host: str, headers: list[tuple[str, str]], named: str
) -> None:
    first = prepare_request("http://127.0.0.1:8000/r", origin=PAGE, method=method, headers=headers, body="x")
    location = HOSTS[host].replace(":8000", ":8002")
    outcome = follow_redirect(
        first, status, [("Location", location)], redirect_count=0, tainted=False, cors_flag=True
    )
    assert outcome.request is not None
    after = outcome.request
    failure = PreflightResult(frozenset({after.method}), frozenset(), False, 5).header_failure(after)
    assert failure is not None and failure.hint == named


def test_safelisted_headers_over_1024_bytes_come_after_the_unsafe_ones() -> None:
    # Recorded: the preflight allowed x-u0 only; the safelisted values total 1079 bytes.
    headers = [
        ("X-U0", "1"), ("Accept-Language", "en" + "-x" * 48), ("Content-Language", "en" + "-x" * 52),
        ("Width", "2" * 106), ("Content-Type", "text/plain;" + "a" * 96), ("RTT", "5" * 110),
        ("DPR", "1." + "0" * 115), ("Viewport-Width", "1" * 106), ("Downlink", "1." + "1" * 101),
        ("Accept", "a" * 111), ("Device-Memory", "2." + "5" * 113),
    ]  # fmt: skip
    request = prepare_request(HOSTS["127.0.0.1"], origin=PAGE, method="POST", headers=headers, body="x")
    order = preflight_check_order(request)
    assert order[0] == "x-u0" and len(order) == len(headers)
    result = PreflightResult(frozenset({"POST"}), frozenset({"x-u0"}), False, 5)
    failure = result.header_failure(request)
    assert failure is not None and failure.hint == "viewport-width"


def test_request_header_order_matches_recorded_wire_order() -> None:
    # The actual request's header lines as Chromium sent them, minus those the network
    # service adds (Host, Connection, Content-Length, Accept, Origin, Sec-Fetch-*, ...).
    loopback = request_header_order(
        [("X-A", "1"), ("X-B", "1"), ("Content-Type", "text/plain")], HOSTS["127.0.0.1"]
    )
    assert loopback == [
        "sec-ch-ua-platform",
        "user-agent",
        "sec-ch-ua",
        "content-type",
        "x-a",
        "sec-ch-ua-mobile",
        "x-b",
    ]
    plain = request_header_order(
        [("S7b3pdkhx4py8g-pan0rlykei2", "v1"), J, ("n", "v1"), ("ksum8n", "v1"), ("X-Amz-Date", "v1")],
        HOSTS["corsight.test"],
    )
    assert plain == ["ksum8n", "n", "x-amz-date", "s7b3pdkhx4py8g-pan0rlykei2", "user-agent", "content-type"]


def test_hash_map_order_is_independent_of_case_and_repeats() -> None:
    names = ["X-B", "content-type", "X-A", "x-a", "User-Agent"]
    assert hash_map_order(names) == hash_map_order([n.lower() for n in names])
    assert sorted(hash_map_order(names)) == ["content-type", "user-agent", "x-a", "x-b"]
    many = [f"x-h{i}" for i in range(40)]
    assert sorted(hash_map_order(many)) == sorted(many)


@pytest.mark.parametrize(
    ("url", "trustworthy"),
    [
        ("https://api.example/", True),
        ("http://127.0.0.1:8000/", True),
        ("http://127.8.9.1/", True),
        ("http://[::1]:80/", True),
        ("http://localhost/", True),
        ("http://api.localhost./", True),
        ("http://example.com/", False),
        ("http://10.0.0.1/", False),
    ],
)
def test_potentially_trustworthy(url: str, trustworthy: bool) -> None:
    assert is_potentially_trustworthy(url) is trustworthy


# --- against real Chromium ---------------------------------------------------------------------

COMMON = [
    "Content-Type", "Authorization", "X-Requested-With", "X-Api-Key", "X-CSRF-Token", "If-None-Match",
    "Cache-Control", "Accept", "X-Custom-A", "X-Custom-Header", "X-Trace-Id", "Pragma", "If-Modified-Since",
    "Api-Key", "X-Amz-Date", "Traceparent", "Content-Language", "DPR",
]  # fmt: skip
VALUES = {"content-type": "application/json", "accept": "a:b", "content-language": "x y", "dpr": "2"}


def generated_sets(seed: int, count: int) -> Iterator[tuple[str, str | None, list[tuple[str, str]]]]:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"
    for index in range(count):
        size = [2, 3, 5, 6, 7, 8][index % 6]
        names: list[str] = []
        while len(names) < size:
            if rng.random() < 0.6:
                name = rng.choice(COMMON)
            else:
                name = rng.choice("abcdefghijklmnopqrstuvwxyzXYZ") + "".join(
                    rng.choice(alphabet) for _ in range(rng.randint(0, 28))
                )
            if name.lower() not in {n.lower() for n in names}:
                names.append(name)
        method = rng.choice(["POST", "PUT", "PATCH", "GET"])
        body = None if method == "GET" else "x"
        yield method, body, [(n, VALUES.get(n.lower(), "v1")) for n in names]


def _app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    origin = environ.get("HTTP_ORIGIN", "*")
    if environ["PATH_INFO"] == "/page":
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<!doctype html><title>page</title>"]
    if environ["REQUEST_METHOD"] == "OPTIONS":
        start_response("204 No Content", [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH"),
        ])  # fmt: skip
        return [b""]
    start_response("200 OK", [("Access-Control-Allow-Origin", origin)])
    return [b"ok"]


FETCH = (
    "async ([u, i]) => { try { const r = await fetch(u, i); await r.text(); return 'ok'; }"
    " catch (e) { return 'err'; } }"
)
NAMED = re.compile(r"Request header field (\S+) is not allowed by Access-Control-Allow-Headers")


def test_model_matches_chromium_on_generated_sets(chromium: Any) -> None:
    context = chromium.new_context()
    try:
        with serve_wsgi(_app) as page_base, serve_wsgi(_app) as api_base:
            page = context.new_page()
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            page.goto(page_base + "/page")
            mismatches = []
            for index, (method, body, headers) in enumerate(generated_sets(20261121, 40)):
                url = f"{api_base}/r{index}"
                messages.clear()
                init: dict[str, Any] = {"method": method, "headers": [list(h) for h in headers]}
                if body is not None:
                    init["body"] = body
                outcome = page.evaluate(FETCH, [url, init])
                page.wait_for_timeout(30)
                seen = [m.group(1) for m in map(NAMED.search, messages) if m]
                ours = refused(url, method, body, headers, origin=page_base)
                expected = ("err", [ours]) if ours is not None else ("ok", [])
                if (outcome, seen) != expected:
                    mismatches.append((method, headers, outcome, seen, ours))
            assert mismatches == []
    finally:
        context.close()
