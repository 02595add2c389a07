"""``corsight export`` reads the engine's compiled tables (:attr:`Engine.tables`), never asks
the engine about made-up requests, and its modules import one way.

Guards the classes "the exported configuration and the engine drift apart" (a rule of the engine
restated in export, or learnt by probing it with sentinel values such as a ``"\\x00"`` method)
and "an import cycle inside export/" (renderers importing the module that imports them)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight import Policy
from corsight.engine import ALLOW_ORIGIN, PREFLIGHT_VARY, DecisionKind, Engine
from corsight.export import build_plan

EXPORT = Path(__file__).resolve().parents[2] / "src" / "corsight" / "export"


def test_the_tables_are_what_the_engine_matches_and_sends() -> None:
    policy = Policy(
        ["https://app.example.com", "null", "https://*.example.org:8443", "http://localhost:*"],
        allow_origin_regex=r"https://[a-z]+\.example\.net",
        allow_methods=["GET", "patch"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=60,
    )
    tables = Engine(policy).tables
    assert tables.exact_origins == {"https://app.example.com", "null"}
    assert tables.subdomain_patterns == {("https", "example.org", "8443")}
    assert tables.any_port_patterns == {("http", "localhost")}
    assert tables.origin_regexes == (r"https://[a-z]+\.example\.net",)
    assert tables.methods == ("GET", "patch")
    assert tables.request_headers is not None and {"x-token", "content-type"} <= tables.request_headers
    assert tables.actual_headers == (("Access-Control-Expose-Headers", "x-total"),)
    assert ("Access-Control-Max-Age", "60") in tables.preflight_headers
    assert tables.preflight_vary == PREFLIGHT_VARY and tables.actual_vary == "Origin"
    assert tables.actual_denied.kind is DecisionKind.ACTUAL_DENIED and tables.not_cors.kind is DecisionKind.NOT_CORS

    anything = Engine(Policy("*", allow_methods="*", allow_headers="*")).tables
    assert anything.any_origin and anything.methods is None and anything.request_headers is None
    # With any origin allowed, no actual request is denied: "denied" is answered as allowed.
    assert (ALLOW_ORIGIN, "*") in anything.actual_denied.headers


def test_the_plan_never_asks_the_engine_about_a_made_up_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deciding is the middleware's job; building a plan only reads tables. (A stand-in that
    refuses to decide, because what is checked is that nothing calls it.)"""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("export decided a sentinel request instead of reading the tables")

    monkeypatch.setattr(Engine, "decide", refuse)
    for policy in (
        Policy(["https://a.example.com", "https://*.example.org"], allow_credentials=True),
        Policy("*", allow_methods="*", allow_headers="*", allow_private_network=True),
        Policy(["https://a.example.com"], allow_methods=[]),
    ):
        build_plan(policy)


def _imports(path: Path) -> set[str]:
    """The corsight.export modules ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "corsight.export":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("corsight.export."):
            found.add(node.module.rsplit(".", 1)[1])  # type: ignore[union-attr]
    return found & {p.stem for p in EXPORT.glob("*.py")}


def test_export_modules_import_one_way() -> None:
    graph = {path.stem: _imports(path) for path in EXPORT.glob("*.py") if path.stem != "__init__"}

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            step == goal or (step not in seen and reaches(step, goal, seen | {step})) for step in graph[start]
        )

    cycles = [module for module in graph if reaches(module, module)]
    assert not cycles, graph


# -- the plan answers as the engine, for any policy ------------------------------------------

_ORIGINS = ["https://app.example.com", "https://*.example.org", "http://localhost:*", "null"]
_REQUESTS = list(
    itertools.product(
        [None, "https://app.example.com", "https://a.b.example.org", "http://localhost:8080", "null", "x"],
        [(None, None), ("GET", None), ("PUT", "x-token"), ("patch", "content-type, x-other"), ("PUT", ",")],
        ["GET", "OPTIONS"],
        [False, True],
    )
)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    any_origin = draw(st.booleans())
    origins = "*" if any_origin else draw(st.lists(st.sampled_from(_ORIGINS), min_size=1, unique=True))
    credentials = not any_origin and "null" not in origins and draw(st.booleans())
    return Policy(
        origins,
        allow_origin_regex=draw(st.sampled_from([None, r"https://[a-z]+\.example\.net"])),
        allow_methods=draw(st.sampled_from(["*", [], ["GET"], ["PUT", "patch"]])),
        allow_headers=draw(st.sampled_from(["*", [], ["X-Token"]])),
        expose_headers=draw(st.sampled_from([[], ["X-Total"]])),
        allow_credentials=credentials,
        max_age=draw(st.sampled_from([None, 0, 600])),
        allow_private_network=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(policy=policies())
def test_the_plan_read_from_the_tables_answers_as_the_engine(policy: Policy) -> None:
    engine, plan = Engine(policy), build_plan(policy)
    for origin, (request_method, request_headers), method, private_network in _REQUESTS:
        if private_network and request_method is None:
            continue
        decision = engine.decide(
            method=method,
            origin=origin,
            request_method=request_method,
            request_headers=request_headers,
            request_private_network=private_network,
        )
        status, headers, vary = plan.respond(method, origin, request_method, request_headers, private_network)
        where = (policy, method, origin, request_method, request_headers, private_network)
        assert status == decision.status, where
        sent = sorted((n, v) for n, v in headers if n != "Content-Type")
        if status == 204 and request_headers and policy.allow_headers == ("*",):
            # The engine trims the reflected list; servers echo it as sent (browsers send it trimmed).
            sent = [(n, v) for n, v in sent if n != "Access-Control-Allow-Headers"]
            expected = [
                (n, v)
                for n, v in decision.headers
                if n not in ("Content-Type", "Access-Control-Allow-Headers")
            ]
        else:
            expected = [(n, v) for n, v in decision.headers if n != "Content-Type"]
        assert sent == sorted(expected), where
        assert vary == decision.vary, where
