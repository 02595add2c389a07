"""Where Chromium 156 departs from the letter of the Fetch standard, as the differential test
against real Chromium observed; the model follows Chromium."""

from __future__ import annotations

from corsight.browser import NetError, Response, prepare_request, simulate
from corsight.browser.messages import chrome_net_message

PAGE = "http://127.0.0.1:3000"
API = "http://127.0.0.1:4000/x"
ALLOWED = [("Access-Control-Allow-Origin", PAGE)]


def test_user_agent_set_by_script_is_dropped_not_preflighted() -> None:
    request = prepare_request(API, origin=PAGE, headers=[("User-Agent", "custom")])
    verdict = simulate(request, {("GET", API): Response.of(200, ALLOWED)})
    assert verdict.allowed
    assert [e.request.kind for e in verdict.exchanges] == ["actual"]


def test_content_type_is_the_last_header_reported_as_refused() -> None:
    request = prepare_request(
        API, origin=PAGE, method="POST",
        headers=[("Content-Type", "application/json"), ("If-None-Match", '"a"'), ("X-Z", "1")],
    )  # fmt: skip
    preflight = Response.of(204, [*ALLOWED, ("Access-Control-Allow-Headers", "x-y")])
    verdict = simulate(request, {("OPTIONS", API): preflight})
    assert verdict.chrome is not None
    assert "Request header field if-none-match is not allowed" in verdict.chrome


def test_non_ascii_allow_origin_is_an_invalid_value() -> None:
    request = prepare_request(API, origin=PAGE)
    verdict = simulate(request, {("GET", API): Response.of(200, [("Access-Control-Allow-Origin", "http://café.test")])})
    assert verdict.error == "kInvalidAllowOriginValue"
    assert "contains the invalid value 'http://caf\\u00E9.test'" in (verdict.chrome or "")


def test_same_origin_redirect_with_credentials_in_location_fails_without_cors_message() -> None:
    same = f"{PAGE}/a"
    request = prepare_request(same, origin=PAGE)
    redirect = Response.of(302, [("Location", "http://user:@127.0.0.1:3000/b")])
    verdict = simulate(request, {("GET", same): redirect})
    assert not verdict.allowed
    assert verdict.net_error is NetError.FAILED
    assert verdict.cors_error is None
    assert verdict.chrome is None  # Chromium prints no console line; fetch() rejects


def test_network_errors_print_chromium_console_text() -> None:
    assert chrome_net_message(NetError.TOO_MANY_REDIRECTS) == "Failed to load resource: net::ERR_TOO_MANY_REDIRECTS"


def test_redirect_to_another_scheme_is_unsafe_not_invalid() -> None:
    request = prepare_request(API, origin=PAGE)
    redirect = Response.of(302, [*ALLOWED, ("Location", "data:text/plain,hi")])
    verdict = simulate(request, {("GET", API): redirect})
    assert verdict.net_error is NetError.UNSAFE_REDIRECT
    broken = Response.of(302, [*ALLOWED, ("Location", "http://[::1")])
    assert simulate(request, {("GET", API): broken}).net_error is NetError.INVALID_REDIRECT
