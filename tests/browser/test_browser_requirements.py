"""``corsight.browser.requirements``: the headers a response must carry, asked of the browser's
own checks header by header. The property that makes them trustworthy: every requirement
passes exactly when the browser's check passes, for any request and any response headers; and
the preflight answer built from them (what ``corsight har`` stands in with) always passes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corsight.browser import prepare_request
from corsight.browser.checks import cors_check, evaluate_preflight
from corsight.browser.request import Request
from corsight.browser.requirements import (
    passing_preflight_headers,
    preflight_requirements,
    response_requirements,
)

APP = "https://app.example"
URL = "https://api.example/items"

METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "patch", "OPTIONS", "X-Custom"])
REQUEST_HEADERS = st.dictionaries(
    st.sampled_from(["X-A", "x-b", "Authorization", "Content-Type", "Accept", "X-Api-Key"]),
    st.sampled_from(["1", "application/json", "text/plain", "*/*"]),
    max_size=4,
)
CREDENTIALS = st.sampled_from(["omit", "same-origin", "include"])


@st.composite
def requests(draw: st.DrawFn) -> Request:
    method = draw(METHODS)
    headers = draw(REQUEST_HEADERS)
    return prepare_request(URL, origin=APP, method=method, headers=headers, credentials=draw(CREDENTIALS))


def _optional(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


ITEMS = ["GET", "PUT", "put", "DELETE", "PATCH", "patch", "X-Custom", "*", "x-a", "X-B", "authorization",
         "content-type", "x-api-key", "bad value", "", " "]  # fmt: skip
LISTS = st.one_of(st.none(), st.lists(st.sampled_from(ITEMS), max_size=4).map(", ".join))


@st.composite
def response_headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name, values in (
        (
            "Access-Control-Allow-Origin",
            _optional([APP, "*", "null", "https://other.example", APP + "/", ""]),
        ),
        ("Access-Control-Allow-Credentials", _optional(["true", "True", "false"])),
        ("Access-Control-Allow-Methods", LISTS),
        ("Access-Control-Allow-Headers", LISTS),
    ):
        for value in draw(st.lists(values, max_size=2)):  # absent, one line, or two
            if value is not None:
                headers.append((name, value))
    return headers


@settings(max_examples=400, deadline=None)
@given(requests(), response_headers())
def test_preflight_requirements_pass_exactly_when_the_preflight_does(
    request: Request, headers: list[tuple[str, str]]
) -> None:
    failure, _, _ = evaluate_preflight(request, 204, headers, APP)
    needed = preflight_requirements(request, headers, APP)
    assert all(r.passes for r in needed) is (failure is None), (failure, needed)


@settings(max_examples=300, deadline=None)
@given(requests(), response_headers())
def test_response_requirements_pass_exactly_when_the_cors_check_does(
    request: Request, headers: list[tuple[str, str]]
) -> None:
    failure, _ = cors_check(headers, APP, credentials_included=request.credentials_included)
    needed = response_requirements(request, headers, APP)
    assert all(r.passes for r in needed) is (failure is None), (failure, needed)
    for requirement in needed:  # each one's own value passes on its own
        alone = [(r.name, r.value) for r in needed]
        assert all(r.passes for r in response_requirements(request, alone, APP)), requirement


@settings(max_examples=300, deadline=None)
@given(requests(), st.sampled_from([APP, "null"]))
def test_the_passing_preflight_passes(request: Request, origin: str) -> None:
    headers = passing_preflight_headers(request, origin)
    failure, checks, result = evaluate_preflight(request, 204, headers, origin)
    assert failure is None and result is not None, checks


def test_requirements_name_the_value_and_todays_value() -> None:
    request = prepare_request(URL, origin=APP, method="PUT", headers={"X-A": "1"}, credentials="include")
    needed = preflight_requirements(request, [("Access-Control-Allow-Methods", "put")], APP)
    assert [(r.name, r.value, r.current, r.passes) for r in needed] == [
        ("Access-Control-Allow-Origin", APP, None, False),
        ("Access-Control-Allow-Credentials", "true", None, False),
        ("Access-Control-Allow-Methods", "PUT", "put", False),  # methods match case-sensitively
        ("Access-Control-Allow-Headers", "x-a", None, False),
    ]
    # A list that does not parse fails the preflight even when nothing needs listing.
    simple = prepare_request(URL, origin=APP)
    broken = preflight_requirements(
        simple, [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Headers", "a b")], APP
    )
    assert [(r.name, r.value, r.passes) for r in broken] == [
        ("Access-Control-Allow-Origin", APP, True),
        ("Access-Control-Allow-Headers", "*", False),
    ]
