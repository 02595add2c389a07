"""Puts what Chromium did and what ``corsight.check`` says side by side, field by field.

Fields compared (Chromium's side from :class:`~.chromium.Observation`, corsight's from
``check(...).to_dict()``):

- ``allowed``: the fetch resolved / ``allowed``.
- ``message.chrome``: the console text that explains a failure (see
  :attr:`Observation.message`) / ``message.chrome``.
- ``preflight.sent`` and, when both sent one, the ``Origin``,
  ``Access-Control-Request-Method`` and ``Access-Control-Request-Headers`` of the *last*
  preflight (the one that decided; ``to_dict()["preflight"]`` is the last one too), plus
  ``preflight.count`` from corsight's ``timeline`` when it has one.
- ``actual.origin``: the ``Origin`` of the last actual request, when both sent one.
- ``exposed_headers``: the names script could read, when both allowed the response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .chromium import Observation
from .scenario import Scenario

PREFLIGHT_HEADERS = ("origin", "access-control-request-method", "access-control-request-headers")


@dataclass
class Comparison:
    """One scenario: both sides' views and the fields where they differ."""

    id: str
    category: str
    chromium: dict[str, Any]
    corsight: dict[str, Any]
    disagreements: list[tuple[str, Any, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{self.id}: {name}: chromium={ours!r} corsight={theirs!r}"
            for name, ours, theirs in self.disagreements
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "agree": not self.disagreements,
            "disagreements": [{"field": n, "chromium": a, "corsight": b} for n, a, b in self.disagreements],
            "chromium": self.chromium,
            "corsight": self.corsight,
        }


def _get(pairs: list[list[str]] | list[tuple[str, str]], name: str) -> str | None:
    values = [v for n, v in pairs if n.lower() == name]
    return ", ".join(values) if values else None


def chromium_view(observation: Observation) -> dict[str, Any]:
    preflights = observation.preflights()
    actuals = observation.actuals()
    last = preflights[-1] if preflights else None
    return {
        "allowed": observation.resolved,
        "message.chrome": observation.message,
        "preflight.sent": last is not None,
        "preflight.count": len(preflights),
        **{f"preflight.{h}": last.header(h) if last else None for h in PREFLIGHT_HEADERS},
        "actual.sent": bool(actuals),
        "actual.origin": actuals[-1].header("origin") if actuals else None,
        "exposed_headers": observation.readable_headers,
    }


def corsight_view(result: dict[str, Any]) -> dict[str, Any]:
    preflight, actual = result["preflight"], result["actual"]
    timeline = result.get("timeline")
    count = None
    if isinstance(timeline, list):
        count = sum(1 for step in timeline if step.get("kind") == "preflight" and step.get("sent"))
    return {
        "allowed": result["allowed"],
        "message.chrome": result["message"]["chrome"],
        "preflight.sent": preflight["sent"],
        "preflight.count": count,
        **{f"preflight.{h}": _get(preflight["request_headers"], h) for h in PREFLIGHT_HEADERS},
        "actual.sent": actual["sent"],
        "actual.origin": _get(actual["request_headers"], "origin"),
        "exposed_headers": sorted(result["exposed_headers"]) if result["allowed"] else None,
        "error": result["error"],
    }


def disagreements(ours: dict[str, Any], theirs: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The fields where Chromium's view ``ours`` and corsight's ``theirs`` differ."""
    fields = ["allowed", "message.chrome", "preflight.sent"]
    if ours["preflight.sent"] and theirs["preflight.sent"]:
        fields += [f"preflight.{h}" for h in PREFLIGHT_HEADERS]
        if theirs["preflight.count"] is not None:
            fields.append("preflight.count")
    if ours["actual.sent"] and theirs["actual.sent"]:
        fields.append("actual.origin")
    if ours["allowed"] and theirs["allowed"]:
        fields.append("exposed_headers")
    return [(f, ours[f], theirs[f]) for f in fields if ours[f] != theirs[f]]


def compare(
    scenario: Scenario,
    observation: Observation,
    origins: dict[str, str],
    check: Callable[..., Any],
) -> Comparison:
    """Run ``check`` for ``scenario`` against the scripted server and compare with Chromium."""
    ours = chromium_view(observation)
    try:
        result = check(
            scenario.url(origins),
            origin=origins["page"],
            method=scenario.method,
            headers=list(scenario.headers),
            credentials=scenario.credentials,
            body=scenario.body,
            send=True,
        ).to_dict()
    except Exception as error:  # a crash is a disagreement to report, not a harness failure
        theirs = {"exception": f"{type(error).__name__}: {error}"}
        return Comparison(
            scenario.id, scenario.category, ours, theirs, [("exception", None, theirs["exception"])]
        )
    theirs = corsight_view(result)
    return Comparison(scenario.id, scenario.category, ours, theirs, disagreements(ours, theirs))
