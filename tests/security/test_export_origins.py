"""Class guarded: an exported server configuration (nginx, Apache, Caddy, Express) admits an
origin the engine refuses — e.g. `https://evil.example/.example.com` through a user regex
`https://.*\\.example\\.com`, because the exported gate only filtered characters, not the shape
of a serialized origin.

Every exported target applies the plan's regexes (the real servers are held to the plan in
tests/export/test_export_servers.py); here the plan is held to the engine over the same hostile origins
the engine's own grammar test uses."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

from corsight import Policy
from corsight.engine import Engine
from corsight.export.model import build_plan
from corsight.originsyntax import is_serialized_origin
from tests.security.test_origin_grammar import candidates

POLICIES = {
    "lax regex": Policy(allow_origin_regex=r"https://.*\.example\.com"),
    "subdomains": Policy(["https://*.example.com"], allow_credentials=True),
    "any port": Policy(["http://localhost:*"]),
    "regex and list": Policy(
        ["https://app.example.com"], allow_origin_regex=[r"https://[a-z]+\.example\.org"]
    ),
}


def _engine_allows(policy: Policy, origin: str) -> bool:
    decision = Engine(policy).decide(method="GET", origin=origin)
    return any(name == "Access-Control-Allow-Origin" for name, _ in decision.headers)


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize(
    "origin",
    ["https://evil.example/.example.com", "https://u@a.example.com", "https://a]b.example.com",
     "http://localhost:05173", "https://a.example.com/x", "https://evil.example#.example.com"],
)  # fmt: skip
def test_exported_plan_refuses_what_no_browser_sends(name: str, origin: str) -> None:
    assert not build_plan(POLICIES[name]).allows_origin(origin)


def _regex_cannot_tell(origin: str) -> bool:
    """The two finer points of the grammar a regex in a server config does not state (see
    docs/security.md): a default port written out, and a host of numeric labels that a browser
    would have rewritten as canonical IPv4. Browsers never send either."""
    scheme, _, rest = origin.partition("://")
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and rest.endswith(default) and is_serialized_origin(origin[: -len(default)]):
        return True
    host = rest.rpartition(":")[0] if ":" in rest and not rest.endswith("]") else rest
    return bool(host) and all(label.isdigit() or label.startswith("0x") for label in host.split(".") if label)


@settings(max_examples=400, deadline=None)
@given(origin=candidates)
def test_exported_plan_admits_nothing_the_engine_refuses(origin: str) -> None:
    assume(not _regex_cannot_tell(origin))
    for policy in POLICIES.values():
        if build_plan(policy).allows_origin(origin):
            assert _engine_allows(policy, origin), origin
