"""``corsight.diagnosis``: one pure, typed :class:`Diagnosis` from the browser model's verdict.

The verdicts come from the browser model driven with scripted responses (no I/O, as the
diagnosis itself); ``corsight check``, ``har``, ``testing`` and ``ui`` render these records,
so a cause or a required header is decided here and nowhere else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corsight.browser import Fetch, Outgoing, Response, Verdict, prepare_request, simulate
from corsight.browser.fetch import Exchange
from corsight.browser.request import RequestError
from corsight.diagnosis import (
    SERVERS,
    Cause,
    Context,
    Diagnosis,
    PolicyFix,
    RequiredHeader,
    diagnose,
    diagnose_refused,
)

APP = "https://app.example"
API = "https://api.example/items"
OTHER = "https://other.example/items"
ACAO = ("Access-Control-Allow-Origin", APP)
SRC = str(Path(__file__).resolve().parents[2] / "src")


def R(status: int, *headers: tuple[str, str]) -> Response:
    return Response.of(status, list(headers))


def run(
    method: str = "GET", responses: dict[tuple[str, str], Response] | None = None, **options: object
) -> Diagnosis:
    request = prepare_request(API, origin=APP, method=method, **options)  # type: ignore[arg-type]
    return diagnose(request, simulate(request, responses or {}), Context(servers=("nginx",)))


# --- the cause -------------------------------------------------------------------------------------

CASES = [
    ("allowed", "GET", {("GET", API): R(200, ACAO)}, {}, Cause.ALLOWED, None),
    ("no ACAO", "GET", {("GET", API): R(200)}, {}, Cause.CORS_HEADERS, "cors"),
    ("preflight 405", "PUT", {("OPTIONS", API): R(405)}, {}, Cause.PREFLIGHT_NOT_HANDLED, "preflight-not-handled"),
    ("preflight 401", "PUT", {("OPTIONS", API): R(401)}, {}, Cause.AUTH_BEFORE_CORS, "auth"),
    ("403 without Vary", "PUT", {("OPTIONS", API): R(403)}, {}, Cause.AUTH_BEFORE_CORS, "auth"),
    ("403 from a CORS middleware", "PUT",
     {("OPTIONS", API): R(403, ("Vary", "Origin, Access-Control-Request-Method"))}, {},
     Cause.POLICY_REFUSAL, "policy"),
    ("preflight 503", "PUT", {("OPTIONS", API): R(503)}, {}, Cause.PREFLIGHT_SERVER_ERROR, "server-error"),
    ("actual 500", "GET", {("GET", API): R(500)}, {}, Cause.SERVER_ERROR, "server-error"),
    ("preflight redirected", "PUT", {("OPTIONS", API): R(301, ("Location", API + "/"))}, {},
     Cause.PREFLIGHT_REDIRECT, "redirect"),
    ("tainted by a redirect", "GET",
     {("GET", API): R(302, ACAO, ("Location", OTHER)), ("GET", OTHER): R(200, ACAO)}, {},
     Cause.REDIRECT_TAINTED_ORIGIN, "redirect"),
    ("credentials in Location", "GET", {("GET", API): R(302, ACAO, ("Location", "https://u:p@api.example/"))},
     {}, Cause.REDIRECT_CREDENTIALS, "redirect"),
    ("redirect to data:", "GET", {("GET", API): R(302, ACAO, ("Location", "data:text/plain,x"))}, {},
     Cause.REDIRECT_FAILED, "redirect"),
    ("connection refused", "GET", {}, {}, Cause.NETWORK, "network"),
    ("wildcard with credentials", "GET", {("GET", API): R(200, ("Access-Control-Allow-Origin", "*"))},
     {"credentials": "include"}, Cause.CORS_HEADERS, "cors"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "responses", "options", "cause", "problem"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_cause_and_its_family(
    method: str,
    responses: dict[tuple[str, str], Response],
    options: dict[str, object],
    cause: Cause,
    problem: str | None,
) -> None:
    diagnosis = run(method, responses, **options)
    assert diagnosis.cause is cause and cause.problem == problem
    assert diagnosis.title and diagnosis.summary
    data = diagnosis.to_dict()
    assert data["problem"] == problem and data["cause"] == cause.value
    json.dumps(data)


def test_not_verified_and_refused_by_fetch() -> None:
    request = prepare_request(API, origin=APP, method="DELETE")
    fetch = Fetch(request)
    step = fetch.start()
    assert isinstance(step, Outgoing)
    step = fetch.receive(R(204, ACAO, ("Access-Control-Allow-Methods", "DELETE")))
    assert isinstance(step, Outgoing) and step.kind == "actual"
    verdict = fetch.stop("the DELETE request was not sent")
    diagnosis = diagnose(request, verdict)
    assert diagnosis.cause is Cause.NOT_VERIFIED and diagnosis.cause.problem is None
    assert "--send" in diagnosis.summary and "send=True" not in diagnosis.summary
    assert diagnosis.required == () and not diagnosis.snippets
    with pytest.raises(RequestError) as info:
        prepare_request(API, origin=APP, method="TRACE")
    refused = diagnose_refused(info.value)
    assert refused.cause is Cause.FETCH_REFUSED and refused.to_dict()["problem"] == "request"


def test_the_headline_names_the_step_that_decided() -> None:
    assert run("PUT", {("OPTIONS", API): R(405)}).headline == (
        "Nothing on the server answers the preflight (OPTIONS → 405)"
    )
    assert run("GET", {("GET", API): R(200)}).headline == (
        "The response does not allow this origin: no Access-Control-Allow-Origin header (GET → 200)"
    )
    assert run("GET", {}).headline == "The request fails in the network, before CORS is checked"


# --- what the server must send (issue 16: output that tells the truth) -------------------------------


def rows(diagnosis: Diagnosis) -> list[tuple[str, str, bool, bool]]:
    return [(r.on, r.name, r.ok, r.received) for r in diagnosis.required]


def test_a_response_never_received_is_unknown_not_absent() -> None:
    """The preflight failed, so the actual request was never sent: its headers are not
    'absent', they are unknown."""
    diagnosis = run("PUT", {("OPTIONS", API): R(204)})
    actual = [r for r in diagnosis.required if r.on == "actual"]
    assert actual and all(not r.received and r.current is None for r in actual)
    assert all(r.now == "unknown: not sent" for r in actual)
    preflight = [r for r in diagnosis.required if r.on == "preflight"]
    assert [(r.name, r.now) for r in preflight] == [
        ("Access-Control-Allow-Origin", "now absent"),
        ("Access-Control-Allow-Methods", "now absent"),
    ]


def test_a_header_missing_on_a_redirect_is_asked_of_the_redirect() -> None:
    diagnosis = run("GET", {("GET", API): R(302, ("Location", API + "/b"))})
    assert rows(diagnosis) == [("redirect", "Access-Control-Allow-Origin", False, True)]
    assert diagnosis.missing[0].now == "now absent"


def test_causes_no_header_fixes_list_no_header_and_no_snippet() -> None:
    for diagnosis in (
        run("PUT", {("OPTIONS", API): R(307, ("Location", API + "/"))}),
        run("GET", {("GET", API): R(302, ACAO, ("Location", OTHER)), ("GET", OTHER): R(200, ACAO)}),
        run("GET", {}),
    ):
        assert diagnosis.required == () and diagnosis.fix is None and not diagnosis.snippets


def test_the_lists_are_judged_by_the_browser_model() -> None:
    """``*`` covers methods and headers without credentials, not with them; methods are
    case-sensitive; a list that does not parse passes nothing."""
    star = (("Access-Control-Allow-Methods", "*"), ("Access-Control-Allow-Headers", "*"))
    headers = {"X-Api": "k"}
    ok = run("PATCH", {("OPTIONS", API): R(204, ("Vary", "x"), *star)}, headers=headers)
    assert [(r.name, r.ok) for r in ok.required if r.on == "preflight"] == [
        ("Access-Control-Allow-Origin", False),
        ("Access-Control-Allow-Methods", True),
        ("Access-Control-Allow-Headers", True),
    ]
    credentialed = run("PATCH", {("OPTIONS", API): R(204, *star)}, headers=headers, credentials="include")
    assert {r.name: r.ok for r in credentialed.required if r.on == "preflight"} == {
        "Access-Control-Allow-Origin": False,
        "Access-Control-Allow-Credentials": False,
        "Access-Control-Allow-Methods": False,
        "Access-Control-Allow-Headers": False,
    }
    lower = run("PUT", {("OPTIONS", API): R(204, ACAO, ("Access-Control-Allow-Methods", "put"))})
    assert {r.name: r.ok for r in lower.required if r.on == "preflight"} == {
        "Access-Control-Allow-Origin": True,
        "Access-Control-Allow-Methods": False,
    }


def test_a_wildcard_origin_passes_without_credentials_only() -> None:
    star = ("Access-Control-Allow-Origin", "*")
    plain = run("GET", {("GET", API): R(500, star)})  # allowed: status is not a CORS check
    assert plain.cause is Cause.ALLOWED
    failing = run("GET", {("GET", API): R(200, star)}, credentials="include")
    assert {r.name: r.ok for r in failing.required} == {
        "Access-Control-Allow-Origin": False,
        "Access-Control-Allow-Credentials": False,
        "Vary": False,
    }


def test_vary_is_parsed_as_a_list() -> None:
    """``X-Origin-Id`` is not ``Origin`` (the former check looked for a substring)."""
    diagnosis = run("GET", {("GET", API): R(200, ("Vary", "X-Origin-Id"))})
    assert [(r.name, r.ok) for r in diagnosis.required if r.name == "Vary"] == [("Vary", False)]
    diagnosis = run("GET", {("GET", API): R(200, ("Vary", "accept, origin"))})
    assert [(r.name, r.ok) for r in diagnosis.required if r.name == "Vary"] == [("Vary", True)]


# --- the fix ------------------------------------------------------------------------------------------


def test_the_fix_is_a_policy_and_its_configuration_per_server() -> None:
    diagnosis = run(
        "PUT", {("OPTIONS", API): R(405)}, headers={"X-B": "1", "X-A": "2"}, credentials="include"
    )
    assert diagnosis.fix == PolicyFix(APP, ("PUT",), ("x-a", "x-b"), True)
    assert diagnosis.fix.settings() == {
        "allow_origins": [APP],
        "allow_methods": ["GET", "HEAD", "POST", "PUT"],
        "allow_headers": ["x-a", "x-b"],
        "allow_credentials": True,
    }
    assert list(diagnosis.snippets) == ["nginx"] and "x-a, x-b" in diagnosis.snippets["nginx"]
    every = diagnose(
        prepare_request(API, origin=APP), simulate(prepare_request(API, origin=APP), {("GET", API): R(200)})
    )
    assert list(every.snippets) == list(SERVERS)
    unsafe = PolicyFix("null", credentials=True)  # a policy corsight refuses to write
    assert unsafe.snippet("nginx").startswith("# corsight cannot write this configuration safely")


def test_required_header_json() -> None:
    need = RequiredHeader("actual", "Vary", "Origin", None, False, received=False)
    assert need.to_dict() == {
        "on": "actual",
        "name": "Vary",
        "value": "Origin",
        "current": None,
        "ok": False,
        "received": False,
    }


def test_a_diagnosis_of_an_exchange_record() -> None:
    """The diagnosis reads the browser model's exchange records, whoever made them."""
    request = prepare_request(API, origin=APP)
    step = Outgoing("actual", "GET", API, (("Origin", APP),))
    verdict = Verdict(allowed=True, exchanges=(Exchange(step, R(200, ACAO)),), final_request=request)
    assert diagnose(request, verdict).step == Exchange(step, R(200, ACAO))


# --- a pure module ---------------------------------------------------------------------------------------


def test_the_diagnosis_is_pure() -> None:
    """No I/O library, no terminal or command-line library, no tool: importing it loads none."""
    code = (
        "import sys, corsight.diagnosis; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'httpcore', 'click', 'rich', 'starlette') "
        "or m.startswith(('corsight.check', 'corsight.har', 'corsight.ui', 'corsight.scan'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": SRC}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
