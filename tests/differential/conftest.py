"""Fixtures of the differential test: the scenarios, the scripted server serving them, and
Chromium's observations of them (made once per session, shared by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .chromium import Observation, observe
from .routing import scenario_server
from .scenario import Scenario
from .scenarios import all_scenarios
from .server import ScriptedServer


@pytest.fixture(scope="session")
def scenarios() -> list[Scenario]:
    return all_scenarios()


@pytest.fixture(scope="session")
def scripted_server(scenarios: list[Scenario]) -> Iterator[ScriptedServer]:
    with scenario_server(scenarios) as server:
        yield server


@pytest.fixture(scope="module")
def observations(
    chromium: Any, scripted_server: ScriptedServer, scenarios: list[Scenario]
) -> dict[str, Observation]:
    """What Chromium did for every scenario (run before anything else touches the server)."""
    return observe(chromium, scripted_server, scenarios)
