"""Private Network Access in the browser model (:mod:`corsight.browser.private_network`): the
preflight Chromium sends before a public page reaches a private address, and the grant."""

from __future__ import annotations

import pytest

from corsight.browser import CorsError, prepare_request
from corsight.browser.private_network import (
    evaluate_private_network_preflight,
    private_network_preflight,
)

PAGE = "https://app.example"
API = "http://192.168.1.10/api"
ALLOW = [("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Credentials", "true")]


def test_the_preflight_asks_for_the_grant_before_origin() -> None:
    step = private_network_preflight(prepare_request(API, origin=PAGE), PAGE)
    assert (step.kind, step.method, step.url) == ("preflight", "OPTIONS", API)
    assert step.headers == (
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Private-Network", "true"),
        ("Origin", PAGE),
    )


def test_a_preflight_for_unsafe_headers_lists_them_too() -> None:
    request = prepare_request(API, origin=PAGE, method="PUT", headers={"X-A": "1"})
    assert [n for n, _ in private_network_preflight(request, PAGE).headers] == [
        "Accept",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Private-Network",
        "Origin",
    ]


@pytest.mark.parametrize(
    ("grant", "granted"),
    [
        ([("Access-Control-Allow-Private-Network", "true")], True),
        ([("access-control-allow-private-network", " true ")], True),  # OWS is not the value
        ([("Access-Control-Allow-Private-Network", "TRUE")], False),
        ([("Access-Control-Allow-Private-Network", "true")] * 2, False),  # reads "true, true"
        ([("Access-Control-Allow-Private-Network", "1")], False),
        ([], False),
    ],
)
def test_only_an_exact_true_grants(grant: list[tuple[str, str]], granted: bool) -> None:
    request = prepare_request(API, origin=PAGE, credentials="include")
    judged = evaluate_private_network_preflight(request, 204, [*ALLOW, *grant], PAGE)
    assert judged.failure is None
    assert judged.granted is granted


def test_the_cors_checks_of_the_preflight_still_apply() -> None:
    request = prepare_request(API, origin=PAGE, credentials="include")
    grant = [("Access-Control-Allow-Private-Network", "true")]
    judged = evaluate_private_network_preflight(
        request, 204, [("Access-Control-Allow-Origin", "*"), *grant], PAGE
    )
    assert judged.failure is not None
    assert judged.failure.kind is CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED
    assert judged.granted
    judged = evaluate_private_network_preflight(request, 500, [*ALLOW, *grant], PAGE)
    assert judged.failure is not None and judged.failure.kind is CorsError.PREFLIGHT_INVALID_STATUS
