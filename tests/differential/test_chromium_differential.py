"""Issue #3's acceptance test: ``corsight.check`` agrees with real Chromium on every scenario.

Each scenario's ``fetch()`` runs in headless Chromium from the page origin against the scripted
loopback server; then ``corsight.check`` makes the same request against the same server. The
fields compared are listed in :mod:`tests.differential.compare`. On disagreement the failure
message has one line per scenario and field; the full comparison is written as JSON to
``<artifacts>/differential.json`` either way.

Run: ``./run test tests/differential`` (or ``.venv/bin/python -m pytest tests/differential``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .chromium import Observation
from .compare import compare
from .scenario import Scenario
from .server import ScriptedServer

pytestmark = pytest.mark.browser


def _check_function() -> Any:
    """``corsight.check``; if the package attribute is shadowed by the submodule (see
    :func:`test_corsight_check_is_the_function`), the function inside it, so that behaviour is
    still judged."""
    import corsight

    check = corsight.check
    return check if not isinstance(check, ModuleType) else check.check


def test_corsight_check_is_the_function() -> None:
    """The public entry point is ``corsight.check(url, ...)``, also after the submodule loads."""
    import corsight
    import corsight.check  # as any user of corsight.check.CheckResult does

    assert callable(corsight.check), f"corsight.check is {corsight.check!r}, not the function"


def test_chromium_differential(
    scenarios: list[Scenario],
    observations: dict[str, Observation],
    scripted_server: ScriptedServer,
    artifacts_dir: Path,
) -> None:
    check = _check_function()
    origins = scripted_server.origins
    comparisons = [compare(s, observations[s.id], origins, check) for s in scenarios]
    disagreeing = [c for c in comparisons if c.disagreements]
    agreed = len(comparisons) - len(disagreeing)
    rate = agreed / len(comparisons)
    by_field = Counter(name for c in disagreeing for name, _, _ in c.disagreements)

    report = artifacts_dir / "differential.json"
    report.write_text(
        json.dumps(
            {
                "scenarios": len(comparisons),
                "agreed": agreed,
                "agreement": rate,
                "disagreements_by_field": dict(by_field),
                "origins": origins,
                "comparisons": [
                    {**c.to_dict(), "scenario": s.to_dict()}
                    for c, s in zip(comparisons, scenarios, strict=True)
                ],
            },
            indent=1,
        )
    )
    lines = [line for c in disagreeing for line in c.lines()]
    assert not disagreeing, (
        f"corsight.check agrees with Chromium on {agreed}/{len(comparisons)} scenarios "
        f"({rate:.1%}); disagreements by field: {dict(by_field)}; full report: {report}\n" + "\n".join(lines)
    )
