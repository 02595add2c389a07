"""Properties that must hold for every input: no origin outside the policy is ever reflected,
no header value we send can carry a line break, and Vary is always right."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from corsight import Policy
from corsight.engine import PREFLIGHT_VARY, DecisionKind, Engine
from corsight.httpsyntax import is_safe_header_value
from corsight.wsgi import with_cors_headers

EXACT = ["https://app.example.com", "http://localhost:3000", "https://admin.example.org:8443"]
POLICY = Policy(
    [*EXACT, "https://*.example.net", "http://127.0.0.1:*"],
    allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.dev",
    allow_methods=["GET", "PUT"],
    allow_headers="*",
    allow_credentials=True,
)
ENGINE = Engine(POLICY)

# The policy restated as an independent oracle, written plainly.
_ORACLE = re.compile(
    r"https://([a-z0-9_-]+\.)+example\.net"
    r"|http://127\.0\.0\.1(:([1-9][0-9]{0,4}))?"
    r"|https://[a-z0-9-]+\.preview\.example\.dev"
)


def oracle(origin: str) -> bool:
    if origin in EXACT:
        return True
    match = _ORACLE.fullmatch(origin)
    if not match:
        return False
    port = match.group(3)
    return port is None or (int(port) <= 65535 and port != "80")


def mutations(base: str) -> st.SearchStrategy[str]:
    """The bypass shapes scanners try: prefix, suffix, substring, dot, case, scheme, specials."""
    special = st.sampled_from([*list("`!$&'()*+,;=%_{}|~\"<>^\\ \r\n\t\x00@#?/.:-"), "%60", "İ", "ı"])
    host = base.split("://", 1)[1]
    return st.one_of(
        st.builds(lambda s: base + s, st.text(max_size=12)),
        st.builds(lambda s: s + base, st.text(max_size=12)),
        st.builds(lambda c: base + c + ".evil.io", special),
        st.builds(lambda c: base.replace(".", c, 1), special),
        st.builds(lambda i, c: base[:i] + c + base[i:], st.integers(0, len(base)), special),
        st.just(base.replace("https://", "http://")),
        st.just(base.upper()),
        st.just(base + "/"),
        st.builds(lambda p: base + ":" + p, st.sampled_from(["80", "443", "0", "65536", "08080", "1"])),
        st.just(f"https://evil{host}"),
        st.just(f"https://{host}.evil.io"),
        st.just("null"),
    )


origins = st.one_of(
    st.sampled_from([*EXACT, "https://a.example.net", "https://x.preview.example.dev", "http://127.0.0.1:9"]),
    st.sampled_from(
        [*EXACT, "https://a.example.net", "https://x.preview.example.dev", "http://127.0.0.1"]
    ).flatmap(mutations),
    st.text(max_size=60),
    st.from_regex(r"https?://[a-z0-9.\-_]{1,20}(:[0-9]{1,6})?", fullmatch=True),
)


@settings(max_examples=3000)
@given(origin=origins, method=st.sampled_from(["GET", "POST", "OPTIONS"]), preflight=st.booleans())
def test_no_origin_outside_the_policy_is_ever_reflected(origin: str, method: str, preflight: bool) -> None:
    decision = ENGINE.decide(
        method=method,
        origin=origin,
        request_method="PUT" if preflight else None,
        request_headers="x-a" if preflight else None,
    )
    reflected = dict(decision.headers).get("Access-Control-Allow-Origin")
    if reflected is not None:
        assert reflected == origin
        assert oracle(origin), f"reflected {origin!r}"
    elif oracle(origin):
        raise AssertionError(f"denied allowed origin {origin!r}")


@settings(max_examples=1000)
@given(
    origin=st.one_of(st.none(), st.sampled_from(EXACT), st.text(max_size=40)),
    method=st.sampled_from(["GET", "OPTIONS", "PUT", "patch"]),
    request_method=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["GET", "PUT"])),
    request_headers=st.one_of(st.none(), st.text(max_size=80)),
)
def test_every_header_value_sent_is_safe(
    origin: str | None, method: str, request_method: str | None, request_headers: str | None
) -> None:
    decision = ENGINE.decide(
        method=method, origin=origin, request_method=request_method, request_headers=request_headers
    )
    for name, value in decision.headers:
        assert is_safe_header_value(value), (name, value)


vary_values = st.one_of(
    st.none(), st.sampled_from(["Accept-Encoding", "origin", "*", "Cookie, Accept-Encoding", ""])
)


@settings(max_examples=1000)
@given(
    origin=st.one_of(st.none(), st.sampled_from([*EXACT, "https://evil.io", "null"])),
    method=st.sampled_from(["GET", "OPTIONS", "DELETE"]),
    request_method=st.one_of(st.none(), st.sampled_from(["GET", "PUT", "DELETE"])),
    app_vary=vary_values,
)
def test_vary_is_always_right(
    origin: str | None, method: str, request_method: str | None, app_vary: str | None
) -> None:
    decision = ENGINE.decide(
        method=method, origin=origin, request_method=request_method, request_headers=None
    )
    if decision.is_preflight:
        vary = dict(decision.headers)["Vary"]
        assert vary == PREFLIGHT_VARY
        return
    app_headers = [] if app_vary is None else [("Vary", app_vary)]
    final = with_cors_headers(app_headers, decision)
    varies = [v for n, v in final if n.lower() == "vary"]
    assert len(varies) == 1
    tokens = [t.strip().lower() for t in varies[0].split(",")]
    # The answer depends on Origin for this policy, whatever the request was.
    assert "origin" in tokens or tokens == ["*"]
    if app_vary:
        assert varies[0].startswith(app_vary)
    assert decision.kind in (DecisionKind.NOT_CORS, DecisionKind.ACTUAL_ALLOWED, DecisionKind.ACTUAL_DENIED)


LISTED = Engine(Policy(EXACT, allow_methods=["PUT"], allow_headers=["X-Token", "X-Requested-With"]))
_ALLOWED_NAMES = {
    "x-token",
    "x-requested-with",
    "accept",
    "accept-language",
    "content-language",
    "content-type",
}
_header_items = st.sampled_from(
    ["x-token", "X-Token", "content-type", "x-other", "", " ", "\t", "x-token ", "x token"]
)


@settings(max_examples=1000)
@given(items=st.lists(_header_items, max_size=5), separator=st.sampled_from([",", ", ", " ,"]))
def test_listed_request_headers_pass_exactly_when_each_item_is_allowed(
    items: list[str], separator: str
) -> None:
    """Whether written as browsers write it ("a,b") or otherwise, the list passes exactly when
    every non-empty item, trimmed of spaces and tabs and lowercased, is allowed."""
    value = separator.join(items)
    decision = LISTED.decide(method="OPTIONS", origin=EXACT[0], request_method="PUT", request_headers=value)
    names = [item.strip(" \t").lower() for item in value.split(",")]
    assert (decision.kind is DecisionKind.PREFLIGHT_ALLOWED) == all(not n or n in _ALLOWED_NAMES for n in names)
