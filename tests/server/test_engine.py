"""The server engine's decisions, rule by rule."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from hypothesis import strategies as st

from corsight import Policy
from corsight.asgi import decide_awaiting
from corsight.engine import DecisionKind, Engine, Reason, merge_vary

APP = "https://app.example.com"


def engine(**settings: object) -> Engine:
    settings.setdefault("allow_origins", [APP])
    return Engine(Policy(**settings))  # type: ignore[arg-type]


def headers(decision: object) -> dict[str, str]:
    return {name.lower(): value for name, value in decision.headers}  # type: ignore[attr-defined]


def cors_names(decision: object) -> set[str]:
    return {n for n in headers(decision) if n.startswith("access-control-")}


def test_request_without_origin_is_not_cors_but_varies_on_origin() -> None:
    decision = engine().decide(method="GET", origin=None)
    assert decision.kind is DecisionKind.NOT_CORS
    assert decision.headers == ()
    assert decision.vary == "Origin"


def test_wildcard_sends_the_same_headers_to_everyone_without_vary() -> None:
    e = engine(allow_origins="*", expose_headers=["X-Total"])
    for origin in (None, "https://any.example", "null"):
        decision = e.decide(method="GET", origin=origin)
        assert headers(decision) == {
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "x-total",
        }
        assert decision.vary == ""


def test_allowed_actual_request_reflects_the_origin() -> None:
    decision = engine(allow_credentials=True, expose_headers=["X-Total"]).decide(method="POST", origin=APP)
    assert decision.kind is DecisionKind.ACTUAL_ALLOWED
    assert headers(decision) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-total",
    }
    assert decision.vary == "Origin"
    assert not decision.is_preflight


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "https://app.example.com.evil.io", f"{APP}, {APP}", APP.upper(), ""],
)
def test_denied_actual_request_gets_no_cors_headers(origin: str) -> None:
    decision = engine(allow_credentials=True).decide(method="GET", origin=origin)
    assert decision.kind is DecisionKind.ACTUAL_DENIED
    assert decision.reason is Reason.ORIGIN
    assert decision.headers == ()
    assert decision.vary == "Origin"


def test_options_without_request_method_is_an_actual_request() -> None:
    assert engine().decide(method="OPTIONS", origin=APP).kind is DecisionKind.ACTUAL_ALLOWED


def test_allowed_preflight() -> None:
    e = engine(allow_methods=["GET", "PUT"], allow_headers=["X-Token"], allow_credentials=True, max_age=300)
    decision = e.decide(
        method="OPTIONS", origin=APP, request_method="PUT", request_headers="content-type,x-token"
    )
    assert decision.kind is DecisionKind.PREFLIGHT_ALLOWED
    assert decision.status == 204
    assert decision.status_line == "204 No Content"
    assert decision.body == b""
    assert headers(decision) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "accept, accept-language, content-language, content-type, x-token",
        "access-control-max-age": "300",
        "vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    }


def test_max_age_none_is_omitted() -> None:
    decision = engine(max_age=None).decide(method="OPTIONS", origin=APP, request_method="GET")
    assert "access-control-max-age" not in headers(decision)


@pytest.mark.parametrize(
    ("origin", "method", "request_headers", "reason"),
    [
        ("https://evil.example", "PUT", None, Reason.ORIGIN),
        (APP, "DELETE", None, Reason.METHOD),
        (APP, "put", None, Reason.METHOD),  # methods are case-sensitive, as in browsers
        (APP, "PUT", "x-other", Reason.HEADERS),
        (APP, "PUT", "x-token,authorization", Reason.HEADERS),
        (APP, "PUT", "x-token\r\nset-cookie: a=b", Reason.HEADERS),
        (APP, "PUT", "," * (1 << 20), Reason.HEADERS),
    ],
)
def test_denied_preflight_is_403_without_cors_headers(
    origin: str, method: str, request_headers: str | None, reason: Reason
) -> None:
    e = engine(allow_methods=["GET", "PUT"], allow_headers=["X-Token"], allow_credentials=True)
    decision = e.decide(
        method="OPTIONS", origin=origin, request_method=method, request_headers=request_headers
    )
    assert decision.kind is DecisionKind.PREFLIGHT_DENIED
    assert decision.status == 403
    assert decision.reason is reason
    assert cors_names(decision) == set()
    assert "Access-Control-Request-Method" in headers(decision)["vary"]
    assert reason.value.encode() in decision.body


def test_star_headers_and_methods_reflect_what_was_asked_even_with_credentials() -> None:
    # Browsers ignore `*` with credentials and never let `*` cover Authorization: reflecting works.
    e = engine(allow_methods="*", allow_headers="*", allow_credentials=True)
    decision = e.decide(
        method="OPTIONS", origin=APP, request_method="PATCH", request_headers="authorization,x-custom"
    )
    assert headers(decision)["access-control-allow-methods"] == "PATCH"
    assert headers(decision)["access-control-allow-headers"] == "authorization,x-custom"
    assert headers(decision)["access-control-allow-credentials"] == "true"


def test_star_headers_never_reflect_invalid_bytes() -> None:
    e = engine(allow_headers="*")
    for bad in ("x-a\r\nx-b", "x a", "x-a,\x00", "é"):
        assert (
            e.decide(method="OPTIONS", origin=APP, request_method="GET", request_headers=bad).reason
            is Reason.HEADERS
        )
    assert (
        engine(allow_methods="*").decide(method="OPTIONS", origin=APP, request_method="GE\rT").reason
        is Reason.METHOD
    )


def test_request_headers_parsing_tolerates_spaces_and_case() -> None:
    e = engine(allow_headers=["X-Token"])
    assert (
        e.decide(
            method="OPTIONS", origin=APP, request_method="GET", request_headers=" X-Token , Content-Type,,"
        ).kind
        is DecisionKind.PREFLIGHT_ALLOWED
    )


def test_private_network() -> None:
    denied = engine().decide(
        method="OPTIONS", origin=APP, request_method="GET", request_headers=None, request_private_network=True
    )
    assert denied.reason is Reason.PRIVATE_NETWORK
    allowed = engine(allow_private_network=True).decide(
        method="OPTIONS", origin=APP, request_method="GET", request_headers=None, request_private_network=True
    )
    assert headers(allowed)["access-control-allow-private-network"] == "true"
    assert headers(allowed)["vary"].endswith("Access-Control-Request-Private-Network")
    plain = engine(allow_private_network=True).decide(method="OPTIONS", origin=APP, request_method="GET")
    assert "access-control-allow-private-network" not in headers(plain)


def test_wildcard_preflight() -> None:
    decision = engine(allow_origins="*").decide(
        method="OPTIONS", origin="https://x.example", request_method="POST", request_headers="content-type"
    )
    assert headers(decision)["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers(decision)


def test_pattern_origins_are_decided_and_cached_boundedly() -> None:
    e = engine(allow_origins=["https://*.example.com"])
    first = e.decide(method="GET", origin="https://a.example.com")
    assert headers(first)["access-control-allow-origin"] == "https://a.example.com"
    assert e.decide(method="GET", origin="https://a.example.com") is first
    for i in range(3000):
        e.decide(method="GET", origin=f"https://h{i}.example.com")
    assert len(e._pattern_cache) <= 1024


def test_ten_thousand_origins_are_all_found() -> None:
    origins = [f"https://app{i}.example.org" for i in range(10_000)]
    e = engine(allow_origins=origins)
    assert all(e.decide(method="GET", origin=o).kind is DecisionKind.ACTUAL_ALLOWED for o in origins[::997])
    assert e.decide(method="GET", origin="https://app10000.example.org").kind is DecisionKind.ACTUAL_DENIED


@pytest.mark.parametrize(
    ("existing", "added", "merged"),
    [
        (None, "Origin", "Origin"),
        ("", "Origin", "Origin"),
        ("Accept-Encoding", "Origin", "Accept-Encoding, Origin"),
        ("origin", "Origin", "origin"),
        ("Accept-Encoding, Origin", "Origin", "Accept-Encoding, Origin"),
        ("*", "Origin", "*"),
        ("Cookie", "", "Cookie"),
        ("Origin", "Origin, Access-Control-Request-Method", "Origin, Access-Control-Request-Method"),
    ],
)
def test_merge_vary(existing: str | None, added: str, merged: str) -> None:
    assert merge_vary(existing, added) == merged


def test_preflights_do_not_carry_expose_headers() -> None:
    for settings in ({"allow_origins": "*"}, {"allow_credentials": True}):
        decision = engine(expose_headers=["X-Total"], **settings).decide(
            method="OPTIONS", origin=APP, request_method="POST"
        )
        assert "access-control-expose-headers" not in headers(decision)


# -- the engine's input: named, synchronous ------------------------------------------------------

_maybe = st.one_of(st.none(), st.sampled_from(["GET", "PUT", "patch", "x-token", "content-type, x-b", ""]))
_origins = st.one_of(
    st.none(), st.sampled_from([APP, "https://a.example.org", "null", "https://evil.example", "x"])
)


def test_the_engine_is_synchronous_and_takes_the_callbacks_answer_by_name() -> None:
    """Awaiting belongs to the adapters (corsight.asgi.decide_awaiting): the engine only takes
    the answer, and only where it would have asked the callback."""
    coroutines = [name for name, member in inspect.getmembers(Engine) if inspect.iscoroutinefunction(member)]
    assert coroutines == []

    asked: list[str] = []

    def callback(origin: str) -> bool:
        asked.append(origin)
        return False

    e = engine(allow_origin_callback=callback)
    tenant = "https://tenant.example.net"
    assert e.asks_callback(tenant) and not e.asks_callback(APP) and not e.asks_callback("null")
    assert e.decide(method="GET", origin=tenant, origin_allowed=True).kind is DecisionKind.ACTUAL_ALLOWED
    preflight = e.decide(method="OPTIONS", origin=tenant, request_method="GET", origin_allowed=True)
    assert preflight.kind is DecisionKind.PREFLIGHT_ALLOWED
    assert e.decide(method="GET", origin=tenant, origin_allowed=False).kind is DecisionKind.ACTUAL_DENIED
    assert asked == []  # the answer given by name is the callback's: it is not asked again
    # The answer counts only where the callback would be asked: never past the origin gate,
    # and it cannot deny a listed origin.
    for odd in ("null", "https://Tenant.example.net", "https://tenant.example.net:443", "x"):
        assert e.decide(method="GET", origin=odd, origin_allowed=True).kind is DecisionKind.ACTUAL_DENIED
    assert e.decide(method="GET", origin=APP, origin_allowed=False).kind is DecisionKind.ACTUAL_ALLOWED
    assert asyncio.run(decide_awaiting(e, method="GET", origin=tenant)).kind is DecisionKind.ACTUAL_DENIED
    assert asked == [tenant]
