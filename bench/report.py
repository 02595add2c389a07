"""corsight's performance targets, the checks of the figures against them, and how the figures
are shown: a table for people, JSON for machines.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

from bench import adversarial
from bench.suite import Results, Row
from bench.workload import ORIGIN_COUNTS

#: corsight's added time per request, at most this fraction of the incumbent's, by side.
MAX_RATIO = {"asgi": 0.3, "wsgi": 0.1}

#: corsight's added time with the most origins, at most this multiple of its time with one.
MAX_SCALING = 1.2


@dataclass
class Check:
    kind: str  # "ratio" (shown in the table), "scaling" or "adversarial"
    name: str
    value: float
    limit: float
    unit: str
    #: False when the figures are smaller than their own noise: neither a pass nor a miss is shown.
    conclusive: bool = True

    @property
    def ok(self) -> bool:
        """Met, or not shown to be missed (an inconclusive check never fails the run)."""
        return self.value <= self.limit or not self.conclusive

    @property
    def verdict(self) -> str:
        if not self.conclusive:
            return "NOISY"
        return "ok" if self.value <= self.limit else "MISSED"


def checks(results: Results, outcomes: list[adversarial.Outcome]) -> list[Check]:
    found = []
    for row in results.rows:
        found.append(
            Check(
                "ratio",
                f"{row.side} {row.scenario}, {row.origins} origins: corsight / {row.incumbent}",
                row.ratio,
                MAX_RATIO[row.side],
                "x",
                conclusive=_clear(row),
            )
        )
    fewest, most = ORIGIN_COUNTS[0], ORIGIN_COUNTS[-1]
    by_key = {(r.side, r.scenario, r.origins): r for r in results.rows}
    for side, scenario in dict.fromkeys((r.side, r.scenario) for r in results.rows):
        one, many = by_key[side, scenario, fewest], by_key[side, scenario, most]
        found.append(
            Check(
                "scaling",
                f"{side} {scenario}: corsight with {most} origins / with {fewest}",
                _ratio(many.corsight_us, one.corsight_us),
                MAX_SCALING,
                "x",
                conclusive=_clear(one) and _clear(many),
            )
        )
    for outcome in outcomes:
        if outcome.contender == "corsight":
            found.append(
                Check(
                    "adversarial",
                    f"{outcome.side} corsight denies the 1 MiB preflight",
                    outcome.ms,
                    adversarial.LIMIT_MS,
                    "ms",
                )
            )
    return found


def _clear(row: Row) -> bool:
    """Whether corsight's figure in ``row`` stands out of its measurement noise."""
    return row.corsight_us > row.corsight_noise_us


def _ratio(value: float, reference: float) -> float:
    # A negative or zero reference cannot be met by anything but an equally small value.
    if reference <= 0:
        return 1.0 if value <= reference else float("inf")
    return value / reference


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("corsight", "starlette", "flask", "flask-cors", "werkzeug"):
        found[package] = version(package)
    return found


def table(
    results: Results, outcomes: list[adversarial.Outcome], found: list[Check], settings: dict[str, Any]
) -> str:
    v = versions()
    lines = [
        f"corsight {v['corsight']} vs starlette {v['starlette']} (ASGI), flask-cors {v['flask-cors']} "
        f"on Flask {v['flask']} (WSGI); Python {v['python']}",
        f"{settings['statistic']} of {settings['repeats']} interleaved rounds of "
        f"~{settings['batch_ms']:g} ms batches per entry; requested origin = the last one configured",
        "",
        "added µs per request = contender minus bare app on the same request"
        " (* = answered without calling the app, so contender minus floor app);",
        "±noise = how far the lower quartile of rounds sits above the fastest, contender plus baseline",
        "",
        f"{'side':<5} {'scenario':<11} {'origins':>7}  {'corsight':>9} {'±noise':>7}  {'vs':<10} {'other':>9}"
        f"  {'ratio':>6}  {'target':>7}",
    ]
    by_name = {c.name: c for c in found}
    for row in results.rows:
        check = by_name[f"{row.side} {row.scenario}, {row.origins} origins: corsight / {row.incumbent}"]
        lines.append(
            f"{row.side:<5} {row.scenario:<11} {row.origins:>7}  "
            f"{_us(row.corsight_us, row.corsight_baseline):>9} {row.corsight_noise_us:>7.2f}  "
            f"{row.incumbent:<10} "
            f"{_us(row.incumbent_us, row.incumbent_baseline):>9}  {row.ratio:>6.3f}  "
            f"{'≤ ' + format(check.limit, 'g'):>7}  {check.verdict}"
        )
    b = results.baselines_us
    lines += [
        "",
        "baselines, µs per request: "
        + ", ".join(f"{key} {value:.2f}" for key, value in b.items() if not key.endswith("asgi floor")),
        "",
        "adversarial preflight (Access-Control-Request-Headers: 1 MiB of commas), ms per request:",
    ]
    for o in outcomes:
        verdict = "denied" if o.denied else "allowed"
        lines.append(
            f"  {o.side:<5} {o.contender:<10} {o.ms:>10.3f} ms  ({verdict}, status {o.status}, "
            f"best of {o.calls} call{'s' if o.calls != 1 else ''})"
        )
    lines += ["", "targets:"]
    for check in found:
        if check.kind == "ratio":
            continue  # already in the table
        lines.append(
            f"  {check.verdict:<6}  {check.name}: {check.value:.3f} {check.unit} "
            f"(target ≤ {check.limit:g} {check.unit})"
        )
    missed = [c for c in found if not c.ok]
    noisy = [c for c in found if not c.conclusive]
    lines += [
        "",
        f"{len(found) - len(missed) - len(noisy)} of {len(found)} targets met, {len(missed)} MISSED",
    ]
    if noisy:
        lines[-1] += (
            f", {len(noisy)} NOISY (corsight's figure is below its noise: "
            "not counted as missed; rerun on a quieter machine)"
        )
    return "\n".join(lines)


def _us(value: float, baseline: str) -> str:
    return f"{value:.2f}{'*' if baseline == 'floor' else ' '}"


def as_json(
    results: Results, outcomes: list[adversarial.Outcome], found: list[Check], settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "versions": versions(),
        "settings": settings,
        "unit": "microseconds added per request",
        "rows": [{**asdict(row), "ratio": row.ratio} for row in results.rows],
        "baselines_us": results.baselines_us,
        "totals_us": results.totals_us,
        "samples_us": results.samples_us,
        "adversarial": [asdict(o) for o in outcomes],
        "checks": [{**asdict(c), "ok": c.ok, "verdict": c.verdict} for c in found],
        "ok": all(c.ok for c in found),
    }
