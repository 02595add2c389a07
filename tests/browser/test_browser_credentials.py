"""Which refusals the credentials mode can cause (:data:`corsight.browser.messages.SAME_WITHOUT_CREDENTIALS`).

The scanner judges each hostile fetch with credentials and reuses the verdict for credentials
``omit`` when the refusal is one of these; that is sound only while the model agrees that the
same fetch without credentials fails the same way, whatever the preflight, the redirects and
the answers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight.browser import CorsError, Response, prepare_request, simulate
from corsight.browser.messages import SAME_WITHOUT_CREDENTIALS

PAGE = "https://app.example"
API = "https://api.example/r"
SAME_ORIGIN_HOP = "https://api.example/s"
OTHER_HOP = "https://api2.example/t"

ACAO = [None, "*", PAGE, "https://evil.example", "null", f"{PAGE}, {PAGE}", "app.example"]
ACAC = [None, "true", "TRUE"]
ACAM = [None, "*", "PUT", "PUT, DELETE", "P UT", "put"]
ACAH = [None, "*", "x-a", "x-a, content-type", "authorization", "x y"]
LOCATIONS = [SAME_ORIGIN_HOP, OTHER_HOP, "https://u:p@api2.example/t", "data:,x", "/s"]


@st.composite
def cors_headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    lines = []
    for name, values in (
        ("Access-Control-Allow-Origin", ACAO),
        ("Access-Control-Allow-Credentials", ACAC),
        ("Access-Control-Allow-Methods", ACAM),
        ("Access-Control-Allow-Headers", ACAH),
    ):
        value = draw(st.sampled_from(values))
        if value is not None:
            lines.append((name, value))
    return lines


@st.composite
def answer(draw: st.DrawFn, *, redirect: bool) -> Response:
    status = draw(st.sampled_from([200, 204, 404, 500, *((302, 307) if redirect else ())]))
    headers = draw(cors_headers())
    if status in (302, 307):
        headers.append(("Location", draw(st.sampled_from(LOCATIONS))))
    return Response.of(status, headers)


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    headers=st.lists(
        st.sampled_from([("X-A", "1"), ("Content-Type", "application/json"), ("Authorization", "t")]),
        unique=True,
        max_size=3,
    ),
    preflight=answer(redirect=True),
    first=answer(redirect=True),
    later=st.lists(answer(redirect=False), min_size=4, max_size=4),
)
def test_a_refusal_the_credentials_mode_does_not_enter_into_happens_without_credentials_too(
    method: str,
    headers: list[tuple[str, str]],
    preflight: Response,
    first: Response,
    later: list[Response],
) -> None:
    request = prepare_request(API, origin=PAGE, method=method, headers=headers, credentials="include")
    answers = {("OPTIONS", API): preflight, (method, API): first, ("GET", API): first}
    for hop, response in zip([SAME_ORIGIN_HOP, OTHER_HOP], [later[:2], later[2:]], strict=True):
        answers[("OPTIONS", hop)] = response[0]
        answers[(method, hop)] = answers[("GET", hop)] = response[1]
    included = simulate(request, answers)
    omitted = simulate(replace(request, credentials="omit"), answers)
    if included.allowed and included.complete:
        assert omitted.allowed and omitted.complete
    elif included.cors_error in SAME_WITHOUT_CREDENTIALS:
        assert (omitted.cors_error, omitted.hint) == (included.cors_error, included.hint)


GRANT = [("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Credentials", "true")]
METHODS = ("Access-Control-Allow-Methods", "PUT")
HEADERS = ("Access-Control-Allow-Headers", "x-a")
ANY = [("Access-Control-Allow-Origin", "*")]


@pytest.mark.parametrize(
    ("preflight", "actual", "kind"),
    [
        ([*ANY, METHODS, HEADERS], ANY, CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED),
        ([GRANT[0], METHODS, HEADERS], ANY, CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS),
        (
            [*GRANT, ("Access-Control-Allow-Methods", "*"), HEADERS],
            ANY,
            CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE,
        ),
        (
            [*GRANT, METHODS, ("Access-Control-Allow-Headers", "*")],
            ANY,
            CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE,
        ),
        ([*GRANT, METHODS, HEADERS], ANY, CorsError.WILDCARD_ORIGIN_NOT_ALLOWED),
        ([*GRANT, METHODS, HEADERS], GRANT[:1], CorsError.INVALID_ALLOW_CREDENTIALS),
    ],
)
def test_the_refusals_left_out_are_the_ones_credentials_cause(
    preflight: list[tuple[str, str]], actual: list[tuple[str, str]], kind: CorsError
) -> None:
    """Each refusal outside the set has a fetch it ends with credentials that passes without."""
    request = prepare_request(API, origin=PAGE, method="PUT", headers={"X-A": "1"}, credentials="include")
    answers = {("OPTIONS", API): Response.of(204, preflight), ("PUT", API): Response.of(200, actual)}
    included = simulate(request, answers)
    omitted = simulate(replace(request, credentials="omit"), answers)
    assert (included.cors_error, omitted.allowed) == (kind, True)
    assert kind not in SAME_WITHOUT_CREDENTIALS
