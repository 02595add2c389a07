"""fetch()'s request rules: methods, forbidden headers, safelisting, preflight need and request.

Tables come from the reference digest's WPT lists; cases marked (Chromium) were checked in
headless Chromium 156.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsight.browser import RequestError, prepare_request
from corsight.browser.request import (
    access_control_request_headers,
    cors_unsafe_request_header_names,
    is_cors_safelisted_request_header,
    is_forbidden_method,
    is_forbidden_request_header,
    mime_essence,
    needs_preflight,
    normalize_method,
    parse_single_range,
    preflight_headers,
)

ORIGIN = "https://app.example"
API = "https://api.example/x"


@pytest.mark.parametrize(
    ("given_method", "normalized"),
    [
        ("get", "GET"),
        ("Post", "POST"),
        ("delete", "DELETE"),
        ("options", "OPTIONS"),
        ("put", "PUT"),
        ("head", "HEAD"),
        ("patch", "patch"),
        ("Patch", "Patch"),
        ("PATCH", "PATCH"),
        ("chicken", "chicken"),
    ],
)
def test_method_normalization(given_method: str, normalized: str) -> None:
    assert normalize_method(given_method) == normalized


@pytest.mark.parametrize("method", ["CONNECT", "connect", "TRACE", "trace", "TRACK", "Track"])
def test_forbidden_methods_throw(method: str) -> None:
    assert is_forbidden_method(method)
    with pytest.raises(RequestError) as info:
        prepare_request(API, origin=ORIGIN, method=method)
    assert info.value.message.text == f"'{method}' HTTP method is unsupported."


def test_request_type_errors_have_chromium_texts() -> None:
    cases = [
        (dict(method="a b"), "'a b' is not a valid HTTP method."),
        (dict(method="GET", body="x"), "Request with GET/HEAD method cannot have body."),
        (dict(headers={"a b": "x"}), "Invalid name"),
        (dict(headers={"x": "a\nb"}), "Invalid value"),
    ]
    for kwargs, text in cases:
        with pytest.raises(RequestError) as info:
            prepare_request(API, origin=ORIGIN, **kwargs)  # type: ignore[arg-type]
        assert info.value.message.text == text
        assert info.value.message.console.endswith(f"'Window': {text}")


FORBIDDEN_NAMES = [
    "Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers",
    "Access-Control-Request-Method", "Connection", "Content-Length", "Cookie", "Cookie2", "Date",
    "DNT", "Expect", "Host", "Keep-Alive", "Origin", "Referer", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Via", "Proxy-", "Proxy-Test", "Sec-", "Sec-Test",
    "set-cookie", "SEC-CH-UA",
]  # fmt: skip


@pytest.mark.parametrize("name", FORBIDDEN_NAMES)
def test_forbidden_request_headers(name: str) -> None:
    assert is_forbidden_request_header(name, "x")
    request = prepare_request(API, origin=ORIGIN, headers={name: "x"})
    assert request.headers == ()
    assert [d.name for d in request.dropped_headers] == [name]


@pytest.mark.parametrize("name", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
                                  "x-http-method-override"])
@pytest.mark.parametrize(
    ("value", "forbidden"),
    [
        ("TRACE", True), ("track", True), ("CONNECT", True), ("trace,", True),
        ("GET,track ", True), (" connect", True),
        ("GETTRACE", False), ("GET", False), ('",TRACE",', False),
    ],
)  # fmt: skip
def test_method_override_headers(name: str, value: str, forbidden: bool) -> None:
    assert is_forbidden_request_header(name, value) is forbidden


def test_private_network_request_header_is_not_forbidden_in_chromium_156() -> None:
    # (Chromium) it is sent, and listed in Access-Control-Request-Headers.
    assert not is_forbidden_request_header("Access-Control-Request-Private-Network", "true")


CONTENT_TYPES_PREFLIGHT = [
    "text /plain", "text\t/\tplain", "text/plain;garbage\u0001\u0002", "text/plain,", ",text/plain",
    "text/plain,text/plain", "text/plain,x/x", "text/plain\u000b", "text/plain\u000c",
    "application/www-form-urlencoded", "application/x-www-form-urlencoded;\u007f",
    'multipart/form-data;"', "text/html", "application/json", "text/", 'text/plain;charset="x"',
    "text/plain; long=" + "0123456789" * 12,
]  # fmt: skip
CONTENT_TYPES_SAFE = [
    "text/plain;", "text/plain;garbage", "multipart/form-data", "application/x-www-form-urlencoded",
    "text/plain", "text/plain;charset=utf-8", "Text/Plain;charset=utf-8", "text/plain ;x",
]  # fmt: skip


@pytest.mark.parametrize("value", CONTENT_TYPES_PREFLIGHT)
def test_content_type_needs_preflight(value: str) -> None:
    assert not is_cors_safelisted_request_header("Content-Type", value)


@pytest.mark.parametrize("value", CONTENT_TYPES_SAFE)
def test_content_type_safelisted(value: str) -> None:
    assert is_cors_safelisted_request_header("content-type", value)


def test_mime_essence() -> None:
    assert mime_essence(" Text/Plain ; charset=x") == "text/plain"
    assert mime_essence("text") is None
    assert mime_essence("/plain") is None


RANGE_SAFE = ["bytes=100-200", "bytes=200-", "bytes=0-", "bytes=9223372036854775806-", "bytes=0-0"]
RANGE_PREFLIGHT = [
    "100-200", "MB=100-200", "bytes=100-200hello", "bytes=abc-def", "bytes=100-200,300-400",
    "bytes=-200", "bytes=200-100", "bytes=" + "1" + "0" * 59 + "-" + "2" + "0" * 59,
    "bytes 100-200", "bytes = 100-200", "bytes =100-200", ",bytes=100-200", "bytes=,100-200",
    "bytes=9223372036854775807-", "bytes=1-9223372036854775808",
]  # fmt: skip


@pytest.mark.parametrize("value", RANGE_SAFE)
def test_range_safelisted(value: str) -> None:
    assert is_cors_safelisted_request_header("Range", value)


@pytest.mark.parametrize("value", RANGE_PREFLIGHT)
def test_range_needs_preflight(value: str) -> None:
    assert not is_cors_safelisted_request_header("Range", value)


def test_parse_single_range_with_whitespace() -> None:
    assert parse_single_range("bytes = 1 - 2", True) == (1, 2)
    assert parse_single_range("bytes=-5") == (None, 5)
    assert parse_single_range("bytes=-") is None


NOT_SAFELISTED = [
    ("accept", '"'), ("accept", "a" * 129), ("accept-language", "\u0001"), ("accept-language", "@"),
    ("content-language", "\u0001"), ("content-language", "@"), ("content-type", "text/html"),
    ("test", "hi"), ("authorization", "x"), ("save-data", "off"), ("dpr", "x"), ("ect", "5g"),
]  # fmt: skip
SAFELISTED = [
    ("Accept", "*/*"), ("Accept-Language", "fr"), ("Content-Language", "eu"), ("Accept", "a" * 128),
    ("DPR", "2"), ("Device-Memory", "0.5"), ("Width", "100"), ("Viewport-Width", "3"),
    ("RTT", "50"), ("Downlink", "1.5"), ("ECT", "4g"), ("Save-Data", "on"), ("Intervention", "x"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), NOT_SAFELISTED)
def test_not_safelisted(name: str, value: str) -> None:
    assert not is_cors_safelisted_request_header(name, value)


@pytest.mark.parametrize(("name", "value"), SAFELISTED)
def test_safelisted(name: str, value: str) -> None:
    assert is_cors_safelisted_request_header(name, value)


def test_client_hints_only_safelisted_in_chromium_mode() -> None:
    assert not is_cors_safelisted_request_header("DPR", "2", chromium=False)


EIGHT_AT_128 = [
    ("Accept", "a" * 128), ("Accept-Language", "b" * 128), ("Content-Language", "c" * 128),
    ("Content-Type", "text/plain;" + "d" * 117), ("DPR", "1" * 128), ("Width", "2" * 128),
    ("Viewport-Width", "3" * 128), ("Device-Memory", "4" * 128),
]  # fmt: skip


def test_aggregate_limit_exactly_1024_is_fine() -> None:
    # (Chromium) 8 values of 128 bytes: no preflight.
    assert cors_unsafe_request_header_names(EIGHT_AT_128) == []


def test_aggregate_limit_over_1024_makes_all_unsafe() -> None:
    # (Chromium) one more safelisted header (2 bytes) lists them all in the preflight.
    names = cors_unsafe_request_header_names([*EIGHT_AT_128, ("Save-Data", "on")])
    assert names == sorted(n.lower() for n, _ in [*EIGHT_AT_128, ("Save-Data", "on")])


def test_duplicate_headers_are_combined_as_chromium_sends_them() -> None:
    # (Chromium) two Content-Type: text/plain become "text/plain, text/plain": preflight.
    request = prepare_request(
        API, origin=ORIGIN, method="POST", headers=[("Content-Type", "text/plain")] * 2, body="x"
    )
    assert request.header("content-type") == "text/plain, text/plain"
    assert access_control_request_headers(request) == "content-type"


def test_string_body_adds_text_plain_content_type() -> None:
    request = prepare_request(API, origin=ORIGIN, method="POST", body="{}")
    assert request.header("Content-Type") == "text/plain;charset=UTF-8"
    assert not needs_preflight(request)
    assert prepare_request(API, origin=ORIGIN, method="POST", body=b"x").header("content-type") is None


def test_header_values_are_normalized() -> None:
    request = prepare_request(API, origin=ORIGIN, headers={"Content-Type": " text/plain "})
    assert request.header("content-type") == "text/plain"
    assert not needs_preflight(request)


@pytest.mark.parametrize(
    ("kwargs", "needed"),
    [
        (dict(), False),
        (dict(method="POST", body="x"), False),
        (dict(method="HEAD"), False),
        (dict(method="PUT"), True),
        (dict(method="patch"), True),
        (dict(method="DELETE"), True),
        (dict(method="OPTIONS"), True),
        (dict(headers={"X-Custom": "1"}), True),
        (dict(headers={"Accept": "*/*", "Accept-Language": "bzh", "Content-Language": "eu"}), False),
        (dict(method="POST", stream_body=True), True),
        (dict(upload_listeners=True), True),
    ],
)
def test_preflight_needed(kwargs: dict[str, object], needed: bool) -> None:
    assert needs_preflight(prepare_request(API, origin=ORIGIN, **kwargs)) is needed  # type: ignore[arg-type]


def test_preflight_request_as_chromium_sends_it() -> None:
    request = prepare_request(
        API,
        origin=ORIGIN,
        method="put",
        headers={"X-B": "1", "x-a": "2", "Content-Type": "application/json", "Accept": "*/*"},
    )
    assert preflight_headers(request, ORIGIN) == [
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type,x-a,x-b"),
        ("Origin", ORIGIN),
    ]
    simple = prepare_request(API, origin=ORIGIN, method="DELETE")
    assert [n for n, _ in preflight_headers(simple, "null")] == [
        "Accept",
        "Access-Control-Request-Method",
        "Origin",
    ]


header_names = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=12,
)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)


@given(st.lists(st.tuples(header_names, header_values), max_size=12))
def test_acrh_is_sorted_lowercase_unique_without_spaces(headers: list[tuple[str, str]]) -> None:
    names = cors_unsafe_request_header_names(headers)
    assert names == sorted(set(names))
    assert all(n == n.lower() and " " not in n and "," not in n for n in names)
    request = prepare_request(
        API, origin=ORIGIN, headers=[(n, v.strip("\t ")) for n, v in headers]
    )
    value = access_control_request_headers(request)
    if value is not None:
        assert value.split(",") == sorted(set(value.split(",")))
        assert " " not in value and value == value.lower()


@given(header_names, header_values.filter(lambda v: len(v) > 128))
def test_value_over_128_bytes_is_never_safelisted(name: str, value: str) -> None:
    assert not is_cors_safelisted_request_header(name, value)
    assert name.lower() in cors_unsafe_request_header_names([(name, value)])


@given(st.text(max_size=20))
def test_forbidden_method_always_throws(suffix: str) -> None:
    for method in ("CONNECT", "tRaCe", "track"):
        assert is_forbidden_method(method)
    assert is_forbidden_method(suffix) is (suffix.upper() in {"CONNECT", "TRACE", "TRACK"})
