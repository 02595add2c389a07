"""Tests of the harness itself: that its isolation claim holds in Chromium and that the
scenarios reach every outcome the differential test is meant to judge."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .catalog import acam, acao
from .chromium import Observation
from .kinds import classify
from .routing import scenario_server
from .scenario import Hop, Reply, Scenario

pytestmark = pytest.mark.browser

#: Every outcome the scenarios must produce at least once.
REQUIRED_OUTCOMES = {
    "allowed",
    "MissingAllowOriginHeader",
    "WildcardOriginNotAllowed",
    "MultipleAllowOriginValues",
    "InvalidAllowOriginValue",
    "AllowOriginMismatch",
    "InvalidAllowCredentials",
    "PreflightMissingAllowOriginHeader",
    "PreflightWildcardOriginNotAllowed",
    "PreflightMultipleAllowOriginValues",
    "PreflightInvalidAllowOriginValue",
    "PreflightAllowOriginMismatch",
    "PreflightInvalidAllowCredentials",
    "PreflightInvalidStatus",
    "PreflightDisallowedRedirect",
    "InvalidAllowMethodsPreflightResponse",
    "InvalidAllowHeadersPreflightResponse",
    "MethodDisallowedByPreflightResponse",
    "HeaderDisallowedByPreflightResponse",
    "RedirectContainsCredentials",
    "TypeError (thrown by fetch)",
    "network error (no CORS message)",
}


def test_scenarios_reach_every_outcome(
    scenarios: list[Scenario], observations: dict[str, Observation]
) -> None:
    outcomes = Counter(classify(o.resolved, o.console, o.error).kind for o in observations.values())
    assert len(scenarios) >= 300
    assert not REQUIRED_OUTCOMES - set(outcomes), f"never observed: {REQUIRED_OUTCOMES - set(outcomes)}"
    assert "unrecognized" not in outcomes


def test_preflight_cache_is_per_url(chromium: Any) -> None:
    """The runner reuses pages: safe only because Chromium's preflight cache is keyed by URL.

    Shown here: a second identical fetch skips the preflight (so a cache exists and would leak
    between scenarios sharing a URL), while the same request to another path preflights again.
    """
    reply = Hop(
        "api", Reply(200, (acao(),)), Reply(204, (acao(), acam("PUT"), ("Access-Control-Max-Age", "600")), "")
    )
    scenarios = [Scenario("cache-a", "harness", (reply,)), Scenario("cache-b", "harness", (reply,))]
    with scenario_server(scenarios) as server:
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.goto(server.origins["page"] + "/")
            for scenario in (scenarios[0], scenarios[0], scenarios[1]):
                page.evaluate("(url) => fetch(url, {method: 'PUT'})", scenario.url(server.origins))
        finally:
            context.close()
        preflights = Counter(r.path for r in server.recorder.requests if r.method == "OPTIONS")
    assert preflights == {"/s/cache-a/0": 1, "/s/cache-b/0": 1}
