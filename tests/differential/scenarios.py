"""The full scenario list the differential test runs: hand-written and generated."""

from __future__ import annotations

from .catalog import hand_written
from .generated import generated
from .scenario import Scenario


def all_scenarios() -> list[Scenario]:
    """Every scenario, in a stable order, ids unique."""
    scenarios = hand_written() + generated()
    ids = [s.id for s in scenarios]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate scenario ids")
    return scenarios
