"""What is measured: for each side (ASGI, WSGI) and scenario (simple GET, preflight), corsight
and the incumbent with each number of origins, plus the baselines their time is taken from.

A middleware's *added* time is its time minus the bare app's on the same request. When a
middleware answers a preflight itself without calling the app (corsight always; Starlette
too), subtracting the app's own OPTIONS handling would credit the middleware with work it
skipped, so its baseline is instead the floor: the cheapest possible app of the same protocol.
Which case applies is not assumed but observed during verification.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bench import asgi_apps, verify, wsgi_apps
from bench.timing import Entry, measure
from bench.workload import (
    DENIED_ORIGIN,
    ORIGIN_COUNTS,
    Request,
    Response,
    allowed_origins,
    preflight,
    simple_get,
)

#: The scenarios: a name and the request it sends for a given origin.
SCENARIOS: dict[str, Callable[[str], Request]] = {"simple GET": simple_get, "preflight": preflight}


@dataclass
class Row:
    """One line of the results: corsight and the incumbent on one scenario and origin count."""

    side: str
    scenario: str
    origins: int
    incumbent: str
    corsight_us: float
    incumbent_us: float
    corsight_baseline: str  # "app" or "floor"
    incumbent_baseline: str
    corsight_noise_us: float  # spread of corsight's and its baseline's rounds: how far to trust it

    @property
    def ratio(self) -> float:
        return self.corsight_us / self.incumbent_us if self.incumbent_us > 0 else float("inf")


@dataclass
class Results:
    rows: list[Row]
    baselines_us: dict[str, float]  # "asgi simple GET app" -> µs per request
    totals_us: dict[str, float]  # every entry's own time, by key
    samples_us: dict[str, list[float]]  # every entry's per-request time in each round, by key


class Side(Protocol):
    """The calling conventions of one side (``asgi_apps.Side``, ``wsgi_apps.Side``)."""

    name: str
    incumbent: str

    def build(self, contender: str, origins: list[str]) -> Any: ...
    def baselines(self) -> dict[str, Any]: ...
    def call(self, app: Any, request: Request) -> Response: ...
    def timer(self, app: Any, request: Request) -> Callable[[int], float]: ...
    def close(self) -> None: ...


def _check(side: Side, contender: str, count: int, scenario: str, app: Any) -> bool:
    """Verify ``app`` on the scenario's allowed and denied requests; whether it called the app."""
    origin = allowed_origins(count)[-1]
    make = SCENARIOS[scenario]
    response = side.call(app, make(origin))
    check = verify.allowed_simple if scenario == "simple GET" else verify.allowed_preflight
    problems = check(response, origin, vary_origin=contender == "corsight")
    problems += verify.denied(side.call(app, make(DENIED_ORIGIN)), strict=contender == "corsight")
    if problems:
        where = f"{side.name} {contender} with {count} origin(s), {scenario}"
        raise verify.VerificationError(f"{where}: " + "; ".join(problems))
    return response.app_called


@dataclass
class _Plan:
    """One scenario on one side, verified and ready to time."""

    side: Side
    scenario: str
    baselines: list[str]
    baseline_of: dict[tuple[str, int], str]  # (contender, origins) -> "app" | "floor"
    entries: list[Entry]

    @property
    def prefix(self) -> str:
        return f"{self.side.name} {self.scenario}"


def run(*, repeats: int, batch_seconds: float, statistic: str, log: Callable[[str], None]) -> Results:
    """Verify every contender on every scenario, then time each scenario's entries interleaved."""
    sides: list[Side] = [asgi_apps.Side(), wsgi_apps.Side()]
    try:
        plans = [plan for side in sides for plan in _prepare(side, log)]
        results = Results([], {}, {}, {})
        for plan in plans:
            log(f"timing {plan.prefix}: {len(plan.entries)} entries x {repeats} rounds")
            measure(plan.entries, repeats=repeats, batch_seconds=batch_seconds)
            _collect(plan, results, statistic)
        return results
    finally:
        for side in sides:
            side.close()


def _prepare(side: Side, log: Callable[[str], None]) -> list[_Plan]:
    log(f"building and verifying {side.name} contenders with {', '.join(map(str, ORIGIN_COUNTS))} origins")
    contenders = ("corsight", side.incumbent)
    apps = {(c, n): side.build(c, allowed_origins(n)) for c in contenders for n in ORIGIN_COUNTS}
    baselines = side.baselines()
    plans = []
    for scenario, make in SCENARIOS.items():
        baseline_of = {
            key: "app" if _check(side, *key, scenario, app) else "floor" for key, app in apps.items()
        }
        one = make(allowed_origins(1)[-1])
        for name, app in baselines.items():
            response = side.call(app, one)
            if not response.app_called or response.values("access-control-allow-origin"):
                raise verify.VerificationError(
                    f"{side.name} {scenario}: the {name} baseline answered {response}"
                )
        entries = [Entry(name, side.timer(app, one)) for name, app in baselines.items()]
        entries += [
            Entry(f"{c} {n}", side.timer(app, make(allowed_origins(n)[-1]))) for (c, n), app in apps.items()
        ]
        plans.append(_Plan(side, scenario, list(baselines), baseline_of, entries))
    return plans


def _collect(plan: _Plan, results: Results, statistic: str) -> None:
    entries = {e.key: e for e in plan.entries}
    for key, entry in entries.items():
        results.totals_us[f"{plan.prefix} {key}"] = entry.best(statistic) * 1e6
        results.samples_us[f"{plan.prefix} {key}"] = [round(t * 1e6, 4) for t in entry.samples]
    baselines = {name: entries[name] for name in plan.baselines}
    baselines.setdefault("floor", baselines["app"])
    for name, entry in baselines.items():
        results.baselines_us[f"{plan.prefix} {name}"] = entry.best(statistic) * 1e6
    incumbent = plan.side.incumbent
    for count in ORIGIN_COUNTS:
        cb, ib = plan.baseline_of["corsight", count], plan.baseline_of[incumbent, count]
        corsight, other = entries[f"corsight {count}"], entries[f"{incumbent} {count}"]
        results.rows.append(
            Row(
                side=plan.side.name,
                scenario=plan.scenario,
                origins=count,
                incumbent=incumbent,
                corsight_us=corsight.added_to(baselines[cb], statistic) * 1e6,
                incumbent_us=other.added_to(baselines[ib], statistic) * 1e6,
                corsight_baseline=cb,
                incumbent_baseline=ib,
                corsight_noise_us=(corsight.spread() + baselines[cb].spread()) * 1e6,
            )
        )


_START = time.perf_counter()


def stderr_log(message: str) -> None:
    print(f"bench [{time.perf_counter() - _START:5.1f} s]: {message}", file=sys.stderr, flush=True)
