"""The CORS check, the preflight checks and readable response headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsight.browser import CorsError, prepare_request
from corsight.browser.checks import (
    PreflightResult,
    cors_check,
    evaluate_preflight,
    exposed_header_names,
    parse_max_age,
)

O = "https://rabbit.invalid"  # noqa: E741
API = "https://api.invalid/r"
E = CorsError


def acao(*values: str) -> list[tuple[str, str]]:
    return [("Access-Control-Allow-Origin", v) for v in values]


# The Fetch standard's "CORS protocol and credentials" table.
@pytest.mark.parametrize(
    ("include", "allow_origin", "allow_credentials", "shared"),
    [
        (False, "*", None, True),
        (False, "*", "true", True),
        (False, "https://rabbit.invalid/", None, False),
        (False, "https://rabbit.invalid", None, True),
        (True, "*", "true", False),
        (True, "https://rabbit.invalid", "true", True),
        (True, "https://rabbit.invalid", "True", False),
    ],
)
def test_credentials_table(
    include: bool, allow_origin: str, allow_credentials: str | None, shared: bool
) -> None:
    headers = acao(allow_origin)
    if allow_credentials is not None:
        headers.append(("Access-Control-Allow-Credentials", allow_credentials))
    failure, _ = cors_check(headers, O, credentials_included=include)
    assert (failure is None) is shared


@pytest.mark.parametrize(
    ("headers", "include", "kind", "hint"),
    [
        ([], False, E.MISSING_ALLOW_ORIGIN_HEADER, ""),
        (acao("*"), True, E.WILDCARD_ORIGIN_NOT_ALLOWED, ""),
        (acao(O, O), False, E.MULTIPLE_ALLOW_ORIGIN_VALUES, f"{O}, {O}"),
        (acao(f"{O} {O}"), False, E.MULTIPLE_ALLOW_ORIGIN_VALUES, f"{O} {O}"),
        (acao(""), False, E.INVALID_ALLOW_ORIGIN_VALUE, ""),
        (acao("foo"), False, E.INVALID_ALLOW_ORIGIN_VALUE, "foo"),
        (acao("null"), False, E.ALLOW_ORIGIN_MISMATCH, "null"),
        (acao(O + "/"), False, E.ALLOW_ORIGIN_MISMATCH, O + "/"),
        (acao("https://other.invalid"), False, E.ALLOW_ORIGIN_MISMATCH, "https://other.invalid"),
        (acao(O), True, E.INVALID_ALLOW_CREDENTIALS, ""),
        ([*acao(O), ("Access-Control-Allow-Credentials", "True")], True,
         E.INVALID_ALLOW_CREDENTIALS, "True"),
        (acao(O) + [("Access-Control-Allow-Credentials", "true")] * 2, True,
         E.INVALID_ALLOW_CREDENTIALS, "true, true"),
    ],
)  # fmt: skip
def test_cors_check_errors(
    headers: list[tuple[str, str]], include: bool, kind: CorsError, hint: str
) -> None:
    failure, checks = cors_check(headers, O, credentials_included=include)
    assert failure is not None and failure.kind is kind and failure.hint == hint
    assert not checks[-1].passed


# WPT cors-multiple-origins: every one of these lists is refused.
@pytest.mark.parametrize(
    "lines",
    [
        ["", "http://example.com", O],
        ["", "http://example.com", "*"],
        ["", O, O],
        ["*", "http://example.com", "*"],
        ["*", "http://example.com", O],
        ["", "http://example.com", "https://example2.com"],
    ],
)
def test_multiple_allow_origin_lines_fail(lines: list[str]) -> None:
    failure, _ = cors_check(acao(*lines), O, credentials_included=False)
    assert failure is not None and failure.kind is E.MULTIPLE_ALLOW_ORIGIN_VALUES


def test_tainted_origin_needs_null() -> None:
    assert cors_check(acao("null"), "null", credentials_included=False)[0] is None
    assert cors_check(acao(O), "null", credentials_included=False)[0] is not None


def pre(method: str = "PUT", headers: dict[str, str] | None = None, credentials: str = "omit"):  # type: ignore[no-untyped-def]
    return prepare_request(API, origin=O, method=method, headers=headers, credentials=credentials)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", range(200, 207))
def test_preflight_ok_statuses(status: int) -> None:
    failure, _, result = evaluate_preflight(
        pre(), status, [*acao(O), ("Access-Control-Allow-Methods", "PUT")], O
    )
    assert failure is None and result is not None


@pytest.mark.parametrize("status", [300, 304, 305, 306, 400, 401, 403, 404, 405, 500, 501, 503])
def test_preflight_bad_statuses(status: int) -> None:
    failure, _, _ = evaluate_preflight(pre(), status, acao(O), O)
    assert failure is not None and failure.kind is E.PREFLIGHT_INVALID_STATUS
    assert failure.firefox_arg == str(status)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_preflight_redirect(status: int) -> None:
    failure, _, _ = evaluate_preflight(pre(), status, [*acao(O), ("Location", API)], O)
    assert failure is not None and failure.kind is E.PREFLIGHT_DISALLOWED_REDIRECT


def test_preflight_allow_origin_errors_win_over_bad_status() -> None:
    # (Chromium) a 500 or 404 without ACAO reports the missing header, with the prefix.
    failure, _, _ = evaluate_preflight(pre(), 500, [], O)
    assert failure is not None and failure.kind is E.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER
    failure, _, _ = evaluate_preflight(pre(credentials="include"), 200, acao(O), O)
    assert failure is not None and failure.kind is E.PREFLIGHT_INVALID_ALLOW_CREDENTIALS


def test_preflight_uses_actual_credentials_mode() -> None:
    failure, _, _ = evaluate_preflight(pre(credentials="include"), 200, acao("*"), O)
    assert failure is not None and failure.kind is E.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED


# WPT cors-preflight-star vectors: (ok, credentials, ACAM, ACAH, method, header)
STAR = [
    (True, False, "get", "x-test", "GET", "X-Test"),
    (True, False, "*", "x-test", "SUPER", "X-Test"),
    (True, False, "*", "*", "OK", "X-Test"),
    (False, True, "*", "*", "OK", "X-Test"),
    (False, True, "*", "", "PUT", None),
    (True, True, "PUT", "*", "PUT", None),
    (False, True, "get", "*", "GET", "X-Test"),
    (False, True, "*", "*", "GET", "X-Test"),
    (True, True, "*", "*", "*", "*"),
    (False, True, "put", "*", "PUT", None),
    (False, False, "PATCH", "", "patch", None),
    (True, False, "patch", "", "patch", None),
]


@pytest.mark.parametrize(("ok", "creds", "acam", "acah", "method", "header"), STAR)
def test_preflight_star_vectors(
    ok: bool, creds: bool, acam: str, acah: str, method: str, header: str | None
) -> None:
    headers = [*acao(O), ("Access-Control-Allow-Methods", acam), ("Access-Control-Allow-Headers", acah)]
    if creds:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    request = pre(method, {header: "1"} if header else None, "include" if creds else "omit")
    failure, _, _ = evaluate_preflight(request, 200, headers, O)
    assert (failure is None) is ok


def test_method_hint_is_the_method_as_sent() -> None:
    failure, _, _ = evaluate_preflight(pre("Patch"), 200, [*acao(O), ("Access-Control-Allow-Methods", "PATCH")], O)
    assert failure is not None and failure.kind is E.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE
    assert failure.hint == "Patch"


def test_header_hint_is_first_sorted_name() -> None:
    # (Chromium) X-B and X-A both refused: the message names x-a.
    failure, _, _ = evaluate_preflight(pre("GET", {"X-B": "1", "X-A": "2"}), 200, acao(O), O)
    assert failure is not None and failure.hint == "x-a"


def test_authorization_and_wildcard() -> None:
    headers = [*acao(O), ("Access-Control-Allow-Headers", "*")]
    request = pre("GET", {"Authorization": "x", "X-C": "1"})
    # (Chromium 156) '*' still covers Authorization without credentials.
    failure, checks, _ = evaluate_preflight(request, 200, headers, O)
    assert failure is None
    assert any(c.name == "authorization-wildcard" for c in checks)
    # The Fetch standard does not.
    failure, _, _ = evaluate_preflight(
        request, 200, headers, O, authorization_covered_by_wildcard=False
    )
    assert failure is not None and failure.hint == "authorization"
    listed = [*acao(O), ("Access-Control-Allow-Headers", "*, Authorization")]
    assert evaluate_preflight(request, 200, listed, O, authorization_covered_by_wildcard=False)[0] is None


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("Access-Control-Allow-Methods", "Bad value", E.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE),
        ("Access-Control-Allow-Headers", "x-a,Bad value", E.INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE),
        ("Access-Control-Allow-Methods", '"PUT"', E.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE),
    ],
)
def test_unparsable_lists(name: str, value: str, kind: CorsError) -> None:
    failure, _, _ = evaluate_preflight(pre("PUT", {"x-a": "1"}), 200, [*acao(O), (name, value)], O)
    assert failure is not None and failure.kind is kind


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, 5), ("", 5), ("abc", 5), ("10", 10), ("0", 0), ("-1", 0), ("86400", 7200),
     ("7200", 7200), ("5, 5", 5), ("1.5", 5)],
)  # fmt: skip
def test_max_age(value: str | None, seconds: int) -> None:
    assert parse_max_age(value) == seconds


# WPT access-control-expose-headers-parsing (bb-8 exposed or not).
@pytest.mark.parametrize(
    ("lines", "exposed"),
    [
        (["BB-8"], True), (["bb-8", "no"], True), (["no", "bb-8"], True), (["", "bb-8"], True),
        ([",bb-8"], True), (["'bb-8',bb-8"], True),
        (["bb-8,,@#$#%%&^&^*()()11!"], False), (["bb-8, no no"], False),
        (["@#$#%%&^&^*()()11!,bb-8"], False), (["bb-8", "no no"], False), (["bb-8\u000c"], False),
        (["bb-8\u000b"], False), (["bb-8\u000b,bb-8"], False), (["'bb-8'"], False),
        (['"bb-8",bb-8'], False),
    ],
)  # fmt: skip
def test_expose_headers_parsing(lines: list[str], exposed: bool) -> None:
    headers = [("Access-Control-Expose-Headers", v) for v in lines] + [("bb-8", "hey")]
    names = exposed_header_names(headers, credentials_included=False)
    assert ("bb-8" in names) is exposed


FILTERING = [
    ("Cache-Control", "no-cache"), ("Content-Language", "fr"), ("Content-Type", "text/plain"),
    ("Expires", "0"), ("Last-Modified", "x"), ("Pragma", "no-cache"), ("Content-Length", "3"),
    ("Age", "1"), ("Server", "x"), ("Warning", "x"), ("Set-Cookie", "a=b"), ("Set-Cookie2", "a=b"),
]  # fmt: skip
SAFE = ["cache-control", "content-language", "content-length", "content-type", "expires",
        "last-modified", "pragma"]  # fmt: skip


def test_safelisted_response_headers_only_by_default() -> None:
    assert exposed_header_names(FILTERING, credentials_included=False) == SAFE


@pytest.mark.parametrize("include", [False, True])
def test_expose_never_set_cookie(include: bool) -> None:
    headers = [*FILTERING, ("Access-Control-Expose-Headers", "Age, Server, Warning, Set-Cookie, Set-Cookie2")]
    assert exposed_header_names(headers, credentials_included=include) == sorted(
        [*SAFE, "age", "server", "warning"]
    )


def test_expose_star() -> None:
    headers = [("Access-Control-Expose-Headers", "*"), ("Test", "1"), ("*", "x"), ("Set-Cookie", "a"), ("Content-Type", "t")]
    assert exposed_header_names(headers, credentials_included=False) == [
        "*", "access-control-expose-headers", "content-type", "test"
    ]
    # With credentials '*' only names a header literally called '*'.
    assert exposed_header_names(headers, credentials_included=True) == ["*", "content-type"]
    star_list = [("Access-Control-Expose-Headers", "set-cookie,*"), ("Test", "1")]
    assert "test" in exposed_header_names(star_list, credentials_included=False)


@given(st.lists(st.tuples(st.sampled_from(["Set-Cookie", "set-cookie2", "X-A", "Age"]), st.text(max_size=5))),
       st.booleans(), st.sampled_from(["*", "set-cookie", "set-cookie2, *", "x-a"]))  # fmt: skip
def test_set_cookie_never_readable(headers: list[tuple[str, str]], include: bool, aceh: str) -> None:
    names = exposed_header_names([*headers, ("Access-Control-Expose-Headers", aceh)], credentials_included=include)
    assert "set-cookie" not in names and "set-cookie2" not in names


def test_preflight_result_credentials_and_wildcards() -> None:
    result = PreflightResult(frozenset({"*"}), frozenset({"*"}), credentials=True, max_age=5)
    assert result.method_failure("PUT") is not None
    assert result.method_failure("GET") is None
    assert result.header_failure(pre("GET", {"X-A": "1"})) is not None
