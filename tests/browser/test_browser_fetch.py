"""The fetch driver end to end on scripted responses: redirects, taint, cache, messages.

Expected console texts are the ones headless Chromium 156 printed for the same exchanges.
"""

from __future__ import annotations

import itertools

from corsight.browser import CorsError, NetError, PreflightCache, Response, prepare_request, simulate
from corsight.browser.messages import chrome_message, encode_hint, firefox_message

O = "http://127.0.0.1:45443"  # noqa: E741
A = "http://127.0.0.1:43645"
B = "http://127.0.0.1:37669"
ACAO = ("Access-Control-Allow-Origin", O)
ALL = [ACAO, ("Access-Control-Allow-Headers", "*"), ("Access-Control-Allow-Methods", "*")]
PREFIX = f"from origin '{O}' has been blocked by CORS policy: "


def R(status: int, *headers: tuple[str, str]) -> Response:
    return Response.of(status, list(headers))


def test_simple_get_allowed_and_exposed() -> None:
    v = simulate(
        prepare_request(A + "/e", origin=O),
        {("GET", A + "/e"): R(200, ACAO, ("X-Foo", "1"), ("Content-Type", "text/plain"))},
    )
    assert v.allowed and v.error is None and v.exposed_headers == ("content-type",)
    assert [e.request.kind for e in v.exchanges] == ["actual"]
    assert ("Origin", O) in v.exchanges[0].request.headers


def test_missing_allow_origin_message() -> None:
    v = simulate(prepare_request(A + "/1", origin=O), {("GET", A + "/1"): R(200)})
    assert v.cors_error is CorsError.MISSING_ALLOW_ORIGIN_HEADER
    assert v.chrome == (
        f"Access to fetch at '{A}/1' {PREFIX}No 'Access-Control-Allow-Origin' header is present on"
        " the requested resource."
    )
    assert v.firefox == (
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource"
        f" at {A}/1. (Reason: CORS header \u2018Access-Control-Allow-Origin\u2019 missing). Status"
        " code: 200."
    )


def test_two_allow_origin_lines_messages() -> None:
    v = simulate(prepare_request(A + "/3", origin=O), {("GET", A + "/3"): R(200, ACAO, ACAO)})
    assert v.chrome == (
        f"Access to fetch at '{A}/3' {PREFIX}The 'Access-Control-Allow-Origin' header contains"
        f" multiple values '{O}, {O}', but only one is allowed. Have the server send the header"
        " with a valid value."
    )
    assert v.firefox is not None and "Multiple CORS header" in v.firefox
    one_line = simulate(
        prepare_request(A + "/3", origin=O),
        {("GET", A + "/3"): R(200, ("Access-Control-Allow-Origin", f"{O}, {O}"))},
    )
    assert one_line.firefox is not None and "does not match" in one_line.firefox


def test_non_ascii_hint_is_escaped() -> None:
    assert encode_hint("http://\xe9x.com, y") == "http://\\u00E9x.com, y"


def test_preflight_prefix_only_for_preflight_kinds() -> None:
    v = simulate(
        prepare_request(A + "/14", origin=O, method="PUT"), {("OPTIONS", A + "/14"): R(500)}
    )
    assert v.cors_error is CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER
    assert v.chrome == (
        f"Access to fetch at '{A}/14' {PREFIX}Response to preflight request doesn't pass access"
        " control check: No 'Access-Control-Allow-Origin' header is present on the requested"
        " resource."
    )
    v = simulate(
        prepare_request(A + "/9", origin=O, headers={"X-B": "1", "X-A": "2"}),
        {("OPTIONS", A + "/9"): R(200, ACAO, ("Access-Control-Allow-Methods", "GET"))},
    )
    assert v.chrome == (
        f"Access to fetch at '{A}/9' {PREFIX}Request header field x-a is not allowed by"
        " Access-Control-Allow-Headers in preflight response."
    )
    assert [e.request.headers for e in v.exchanges] == [
        (
            ("Accept", "*/*"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-a,x-b"),
            ("Origin", O),
        )
    ]


def test_preflight_invalid_status_after_allow_origin_passed() -> None:
    v = simulate(
        prepare_request(A + "/13", origin=O, method="PUT"), {("OPTIONS", A + "/13"): R(500, ACAO)}
    )
    assert v.cors_error is CorsError.PREFLIGHT_INVALID_STATUS
    assert v.chrome is not None and v.chrome.endswith(
        "Response to preflight request doesn't pass access control check: It does not have HTTP"
        " ok status."
    )
    assert v.firefox is not None and v.firefox.endswith(
        "(Reason: CORS preflight response did not succeed). Status code: 500."
    )


def test_redirect_with_userinfo_has_empty_hint() -> None:
    v = simulate(
        prepare_request(A + "/8", origin=O),
        {("GET", A + "/8"): R(302, ACAO, ("Location", "http://u:p@127.0.0.1:43645/x"))},
    )
    assert v.cors_error is CorsError.REDIRECT_CONTAINS_CREDENTIALS
    assert v.chrome == (
        f"Access to fetch at '{A}/8' {PREFIX}Redirect location '' contains a username and password,"
        " which is disallowed for cross-origin requests."
    )


def test_redirect_chain_taints_and_names_both_urls() -> None:
    v = simulate(
        prepare_request(A + "/15", origin=O),
        {
            ("GET", A + "/15"): R(302, ("Access-Control-Allow-Origin", "*"), ("Location", B + "/15b")),
            ("GET", B + "/15b"): R(200),
        },
    )
    assert v.chrome == (
        f"Access to fetch at '{B}/15b' (redirected from '{A}/15') {PREFIX}No"
        " 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert ("Origin", "null") in v.exchanges[1].request.headers


def _origin_on_last_hop(chain: list[str]) -> str:
    responses = {}
    for here, there in itertools.pairwise(chain):
        responses[("GET", here)] = R(302, ("Access-Control-Allow-Origin", "*"), ("Location", there))
    responses[("GET", chain[-1])] = R(200, ("Access-Control-Allow-Origin", "*"))
    v = simulate(prepare_request(chain[0], origin=O), responses)
    assert v.allowed
    return dict(v.exchanges[-1].request.headers)["Origin"]


def test_redirect_taint_table() -> None:
    # WPT cors-redirect: remote→same remote keeps the origin; remote→other is null;
    # same-origin→remote keeps it; remote→back to the page's origin is null.
    assert _origin_on_last_hop([A + "/a", A + "/b"]) == O
    assert _origin_on_last_hop([A + "/a", B + "/b"]) == "null"
    assert _origin_on_last_hop([O + "/a", A + "/b"]) == O
    assert _origin_on_last_hop([A + "/a", O + "/b"]) == "null"


def test_redirect_back_to_page_needs_null() -> None:
    # (Chromium) A → O: CORS still applies and the page's server must allow it.
    v = simulate(
        prepare_request(A + "/r5", origin=O),
        {("GET", A + "/r5"): R(302, ACAO, ("Location", O + "/")), ("GET", O + "/"): R(200)},
    )
    assert v.cors_error is CorsError.MISSING_ALLOW_ORIGIN_HEADER
    assert v.chrome is not None and f"'{O}/' (redirected from '{A}/r5')" in v.chrome


def test_post_302_becomes_get_and_303_drops_body_headers() -> None:
    v = simulate(
        prepare_request(A + "/r1", origin=O, method="POST", body="x"),
        {("POST", A + "/r1"): R(302, ACAO, ("Location", A + "/r1b")), ("GET", A + "/r1b"): R(200, ACAO)},
    )
    assert v.allowed and v.exchanges[1].request.method == "GET"
    assert v.exchanges[1].request.body is None
    v = simulate(
        prepare_request(A + "/r2", origin=O, method="PUT", body="x"),
        {
            ("OPTIONS", A + "/r2"): R(200, *ALL),
            ("PUT", A + "/r2"): R(303, *ALL, ("Location", A + "/r2b")),
            ("GET", A + "/r2b"): R(200, ACAO),
        },
    )
    assert v.allowed
    assert [e.request.method for e in v.exchanges] == ["OPTIONS", "PUT", "GET"]
    assert all(n.lower() != "content-type" for n, _ in v.exchanges[2].request.headers)


def test_307_to_other_origin_preflights_again_with_null() -> None:
    v = simulate(
        prepare_request(A + "/r3", origin=O, method="PUT"),
        {
            ("OPTIONS", A + "/r3"): R(200, *ALL),
            ("PUT", A + "/r3"): R(307, *ALL, ("Location", B + "/r3b")),
            ("OPTIONS", B + "/r3b"): R(200, ("Access-Control-Allow-Origin", "null"), ("Access-Control-Allow-Methods", "PUT")),
            ("PUT", B + "/r3b"): R(200, ("Access-Control-Allow-Origin", "null")),
        },
    )
    assert v.allowed
    assert [(e.request.method, dict(e.request.headers)["Origin"]) for e in v.exchanges] == [
        ("OPTIONS", O), ("PUT", O), ("OPTIONS", "null"), ("PUT", "null"),
    ]  # fmt: skip


def test_cross_origin_hop_drops_authorization() -> None:
    v = simulate(
        prepare_request(A + "/r6", origin=O, headers={"Authorization": "x", "X-Z": "1"}),
        {
            ("OPTIONS", A + "/r6"): R(200, *ALL),
            ("GET", A + "/r6"): R(302, *ALL, ("Location", B + "/r6b")),
            ("OPTIONS", B + "/r6b"): R(200, ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "*")),
            ("GET", B + "/r6b"): R(200, ("Access-Control-Allow-Origin", "*")),
        },
    )
    assert v.allowed
    assert dict(v.exchanges[2].request.headers)["Access-Control-Request-Headers"] == "x-z"
    assert "Authorization" not in dict(v.exchanges[3].request.headers)


def test_preflight_redirect_is_an_error() -> None:
    v = simulate(
        prepare_request(A + "/6", origin=O, method="PUT"),
        {("OPTIONS", A + "/6"): R(302, ACAO, ("Location", A + "/x"))},
    )
    assert v.cors_error is CorsError.PREFLIGHT_DISALLOWED_REDIRECT
    assert v.chrome is not None and v.chrome.endswith(
        "Response to preflight request doesn't pass access control check: Redirect is not"
        " allowed for a preflight request."
    )


def test_too_many_redirects() -> None:
    responses = {("GET", f"{A}/{i}"): R(302, ACAO, ("Location", f"{A}/{i + 1}")) for i in range(30)}
    v = simulate(prepare_request(A + "/0", origin=O), responses)
    assert v.net_error is NetError.TOO_MANY_REDIRECTS and len(v.exchanges) == 21


def test_unreachable_is_a_net_error() -> None:
    v = simulate(prepare_request(A + "/z", origin=O), {})
    assert v.error == "net::ERR_CONNECTION_REFUSED" and v.cors_error is None
    assert v.firefox is not None and v.firefox.endswith("Status code: (null).")


def test_same_origin_is_not_cors() -> None:
    v = simulate(prepare_request(O + "/x", origin=O, method="PUT"), {("PUT", O + "/x"): R(200, ("X", "1"))})
    assert v.allowed and not v.cors_applies and v.exposed_headers == ("x",)


def put_with_max_age(max_age: str | None) -> dict[tuple[str, str], Response]:
    headers = [ACAO, ("Access-Control-Allow-Methods", "PUT")]
    if max_age is not None:
        headers.append(("Access-Control-Max-Age", max_age))
    return {("OPTIONS", A + "/c"): R(200, *headers), ("PUT", A + "/c"): R(200, ACAO)}


def count_preflights(cache: PreflightCache, responses: dict[tuple[str, str], Response], now: float, **kw: object) -> int:
    v = simulate(prepare_request(A + "/c", origin=O, method="PUT", **kw), responses, cache=cache, now=now)  # type: ignore[arg-type]
    assert v.allowed
    return sum(e.request.kind == "preflight" for e in v.exchanges)


def test_cache_default_five_seconds() -> None:
    cache = PreflightCache()
    responses = put_with_max_age(None)
    assert count_preflights(cache, responses, 0) == 1
    assert count_preflights(cache, responses, 4.9) == 0
    assert count_preflights(cache, responses, 5.0) == 1


def test_cache_zero_and_negative_not_cached() -> None:
    for value in ("0", "-1"):
        cache = PreflightCache()
        assert count_preflights(cache, put_with_max_age(value), 0) == 1
        assert count_preflights(cache, put_with_max_age(value), 0) == 1


def test_cache_capped_at_7200() -> None:
    cache = PreflightCache()
    responses = put_with_max_age("86400")
    count_preflights(cache, responses, 0)
    assert count_preflights(cache, responses, 7199) == 0
    assert count_preflights(cache, responses, 7200) == 1


def test_cache_non_credentialed_entry_does_not_serve_credentialed() -> None:
    # (Chromium) a second, credentialed request preflights again.
    cache = PreflightCache()
    headers = [ACAO, ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Max-Age", "100")]
    responses = {("OPTIONS", A + "/c"): R(200, *headers), ("PUT", A + "/c"): R(200, *headers)}
    assert count_preflights(cache, responses, 0) == 1
    assert count_preflights(cache, responses, 1, credentials="include") == 1
    assert count_preflights(cache, responses, 2, credentials="include") == 0
    assert count_preflights(cache, responses, 3) == 0


def test_cache_is_keyed_by_serialized_origin() -> None:
    cache = PreflightCache()
    count_preflights(cache, put_with_max_age("100"), 0)
    assert (O, A + "/c") in cache.entries
    assert ("null", A + "/c") not in cache.entries


def test_cache_star_and_authorization_in_spec_mode() -> None:
    cache = PreflightCache()
    headers = [ACAO, ("Access-Control-Allow-Headers", "*"), ("Access-Control-Max-Age", "100")]
    responses = {("OPTIONS", A + "/c"): R(200, *headers), ("GET", A + "/c"): R(200, ACAO)}
    v = simulate(prepare_request(A + "/c", origin=O, headers={"X-A": "1"}), responses, cache=cache,
                 authorization_covered_by_wildcard=False)  # fmt: skip
    assert v.allowed
    v = simulate(prepare_request(A + "/c", origin=O, headers={"Authorization": "x"}), responses,
                 cache=cache, authorization_covered_by_wildcard=False)  # fmt: skip
    assert not v.allowed and v.exchanges[0].request.kind == "preflight"


def test_messages_for_xhr_and_legacy() -> None:
    text = chrome_message(CorsError.WILDCARD_ORIGIN_NOT_ALLOWED, url=A, origin=O, initiator="XMLHttpRequest")
    assert text.startswith(f"Access to XMLHttpRequest at '{A}'")
    assert text.endswith("controlled by the withCredentials attribute.")
    legacy = chrome_message(CorsError.MISSING_ALLOW_ORIGIN_HEADER, url=A, origin=O, legacy_no_cors_hint=True)
    assert legacy.endswith("set the request's mode to 'no-cors' to fetch the resource with CORS disabled.")
    assert firefox_message("CORSNotSupportingCredentials", url=A).startswith(
        f"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at \u2018{A}\u2019."
    )
