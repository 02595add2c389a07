"""The README's demo command keeps working: failure in Chromium, same prediction, fixed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_demo_shows_diagnoses_and_fixes(chromium: Any) -> None:
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--json"],
        cwd=root, capture_output=True, text=True, timeout=180, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout)
    assert outcome["before"]["chromium_allowed"] is False
    assert outcome["before"]["corsight_allowed"] is False
    assert outcome["before"]["message_matches"] is True
    assert outcome["after"] == {"chromium_allowed": True, "status": 200, "corsight_allowed": True}
    assert outcome["scan"]["fixed_high"] == []
    assert "any-origin" in outcome["scan"]["copied_snippet_high"]
    assert outcome["proxy"] == {"chromium_allowed": True, "status": 200}
    assert outcome["export"]["nginx_ok"] is True
