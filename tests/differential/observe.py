"""Observation mode: run the scenarios in Chromium and print what it did, no corsight involved.

    python -m tests.differential.observe [--filter SUBSTRING] [--json OUT] [--fresh-contexts]
                                         [--record-observations]

Prints one line per scenario (outcome, preflight, message) and a summary of outcomes by kind.
``--record-observations`` rewrites ``tests/differential/chromium_observations.json``: Chromium's
real console texts grouped by error kind, ports replaced by ``{page}``/``{api}``/… placeholders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .chromium import Observation, observe
from .kinds import classify
from .routing import scenario_server
from .scenario import Scenario
from .scenarios import all_scenarios

OBSERVATIONS_FILE = Path(__file__).with_name("chromium_observations.json")


def launch(playwright: Any) -> Any:
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def normalize(text: str | None, origins: dict[str, str]) -> str | None:
    """``text`` with this run's origins, hosts and ports replaced by their placeholders."""
    if text is None:
        return None
    for label, origin in sorted(origins.items(), key=lambda item: -len(item[1])):
        text = text.replace(origin, "{" + label + "}")
    for label, origin in origins.items():
        host = origin.split("://", 1)[1]
        text = text.replace(host, "{" + label + "_host}")
        text = text.replace(":" + host.rsplit(":", 1)[1], ":{" + label + "_port}")
    return text


def summary_line(scenario: Scenario, observation: Observation) -> str:
    outcome = classify(observation.resolved, observation.console, observation.error)
    pre = observation.to_dict()["preflight"]
    preflight = (
        f"preflight ACRM={pre['access-control-request-method']!s} "
        f"ACRH={pre['access-control-request-headers']!s}"
        if pre["sent"]
        else "-"
    )
    return f"{scenario.id:55} {outcome.kind:40} {preflight}"


#: Scenarios whose outcome settles a question the reference digest leaves open or answers
#: differently; their observed outcome is recorded next to the question.
NOTABLE = {
    "pf-acah-auth-star": "Does Access-Control-Allow-Headers: * cover Authorization "
    "(credentials not included)? The digest (A.8, B.6, E.8g) says never.",
    "pf-acah-two-none-listed": "Which header is named when X-B, X-A are both disallowed?",
    "pf-acah-custom-and-json-none-listed": "Which header is named when X-Z, Content-Type "
    "(json) are both disallowed?",
    "pf-acah-json-and-custom-none-listed": "Which header is named when Content-Type (json), "
    "X-A are both disallowed?",
    "gen-124": "Which header is named when DPR, Content-Type (json), X-Requested-With are "
    "sent and none is allowed?",
    "redir-userinfo-api-api-user-pass": "RedirectContainsCredentials: is the hint empty?",
    "redir-userinfo-page-page-user-pass": "Same-origin redirect to a same-origin URL with "
    "userinfo (the spec allows it for basic tainting).",
    "redir-data-url": "Redirect to a data: URL in cors mode.",
    "redir-invalid-location": "Redirect to an unparsable Location.",
    "redir-too-many": "21 redirects.",
    "acao-non-ascii-same-origin": "Hint escaping of a non-ASCII Access-Control-Allow-Origin.",
    "hdr-dpr": "Chromium-only safelisted request header (client hint DPR).",
    "hdr-safelisted-total-over-1024": "The 1024-byte total of safelisted values.",
    "simple-500-acao": "An allowed 500 response: console lines.",
}


def grouped(
    scenarios: list[Scenario], observations: dict[str, Observation], origins: dict[str, str]
) -> dict[str, Any]:
    """Chromium's console texts grouped by outcome kind, for chromium_observations.json."""
    groups: dict[str, dict[str, Any]] = {}
    notable: dict[str, Any] = {}
    for scenario in scenarios:
        seen = observations[scenario.id]
        outcome = classify(seen.resolved, seen.console, seen.error)
        if scenario.id in NOTABLE:
            notable[scenario.id] = {
                "question": NOTABLE[scenario.id],
                "resolved": seen.resolved,
                "outcome": outcome.kind,
                "message": normalize(seen.message, origins),
                "console_other": [normalize(t, origins) for t in seen.console_other],
                "preflight_request_headers": seen.to_dict()["preflight"]["access-control-request-headers"],
                "request_headers": [list(h) for h in scenario.headers],
            }
        group = groups.setdefault(outcome.kind, {"count": 0, "examples": []})
        group["count"] += 1
        if outcome.kind == "allowed" and not seen.console_other:
            group.setdefault("scenarios", []).append(scenario.id)
            continue
        example = {
            "scenario": scenario.id,
            "console": [normalize(t, origins) for t in seen.console],
            "console_other": [normalize(t, origins) for t in seen.console_other],
            "js_error": seen.error,
        }
        if outcome.digest_difference:
            example["differs_from_digest"] = outcome.digest_difference
        group["examples"].append(example)
    return {
        "chromium": os.environ.get("CORSIGHT_CHROMIUM_VERSION", "see `chromium --version`"),
        "note": "Recorded by `python -m tests.differential.observe --record-observations`; "
        "texts are Chromium's own, with this run's origins replaced by placeholders.",
        "notable": notable,
        "kinds": dict(sorted(groups.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.differential.observe")
    parser.add_argument("--filter", default="", help="only scenarios whose id contains this")
    parser.add_argument("--json", type=Path, help="write the full observations here")
    parser.add_argument(
        "--fresh-contexts",
        action="store_true",
        help="one browser context per scenario (slower; checks isolation)",
    )
    parser.add_argument(
        "--record-observations", action="store_true", help=f"rewrite {OBSERVATIONS_FILE.name}"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print the messages too")
    args = parser.parse_args(argv)

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    scenarios = [s for s in all_scenarios() if args.filter in s.id]
    started = time.monotonic()
    with scenario_server(scenarios) as server, sync_playwright() as pw:
        browser = launch(pw)
        try:
            observations = observe(browser, server, scenarios, fresh_contexts=args.fresh_contexts)
        finally:
            browser.close()
        origins = dict(server.origins)
    elapsed = time.monotonic() - started

    kinds: Counter[str] = Counter()
    for scenario in scenarios:
        seen = observations[scenario.id]
        print(summary_line(scenario, seen))
        if args.verbose:
            for text in seen.console + seen.console_other:
                print("    " + str(normalize(text, origins)))
            if seen.error and not seen.console:
                print("    js: " + seen.error)
        kinds[classify(seen.resolved, seen.console, seen.error).kind] += 1
    print(f"\n{len(scenarios)} scenarios in {elapsed:.1f}s")
    for kind, count in sorted(kinds.items()):
        print(f"  {count:4} {kind}")

    if args.json:
        payload = {
            "origins": origins,
            "scenarios": [
                {"scenario": s.to_dict(), "chromium": observations[s.id].to_dict()} for s in scenarios
            ],
        }
        args.json.write_text(json.dumps(payload, indent=1))
    if args.record_observations:
        record = grouped(scenarios, observations, origins)
        OBSERVATIONS_FILE.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
