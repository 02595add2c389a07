"""``corsight lint``: every problem with its fix; exit 0 clean, 1 errors, 2 unreadable; --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corsight.cli import main

BAD = """
allow_origins = ["https://a.com/", "https://b.com"]
allow_credentials = true
max_age = 999999
expose_headers = "*"

[routes."/public/"]
allow_origins = "*"

[routes."/x"]
allow_methods = ["TRACE"]
"""


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lint", *args], env=env)
    return result.exit_code, result.output


def test_every_problem_printed_with_fix(tmp_path: Path) -> None:
    path = tmp_path / "corsight.toml"
    path.write_text(BAD)
    code, out = run([str(path)])
    assert code == 1, out
    assert "error corsight.E001" in out and "'https://a.com/' ends with '/'" in out
    assert "fix: browsers send the origin with no path; write 'https://a.com'" in out
    assert "error corsight.E007" in out and "max_age: 999999 is out of range" in out
    assert "error corsight.E010" in out and "expose_headers: '*' with allow_credentials = true" in out
    assert 'routes."/public/".allow_origins' in out
    assert 'routes."/x".allow_methods' in out and "browsers never send TRACE" in out
    assert out.rstrip().endswith("5 errors")


def test_clean_config_exits_zero_and_summarizes(tmp_path: Path) -> None:
    path = tmp_path / "corsight.toml"
    path.write_text('allow_origins = ["https://app.example.com"]\n[routes."/public/"]\nallow_origins = "*"\n')
    code, out = run([str(path)])
    assert code == 0, out
    assert "route /public/: allow_origins=['*']" in out
    assert "other paths: allow_origins=['https://app.example.com']" in out
    assert out.rstrip().endswith("ok")


def test_json_output(tmp_path: Path) -> None:
    path = tmp_path / "corsight.toml"
    path.write_text(BAD)
    code, out = run(["--json", str(path)])
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["sources"] == [str(path)]
    assert {p["id"] for p in data["problems"]} == {
        "corsight.E001",
        "corsight.E007",
        "corsight.E010",
        "corsight.E003",
    }
    first = data["problems"][0]
    assert set(first) == {"id", "level", "source", "line", "setting", "value", "message", "fix"}
    path.write_text('allow_origins = ["https://app.example.com"]\n')
    code, out = run(["--json", str(path)])
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert data["policy"]["default"]["allow_origins"] == ["https://app.example.com"]


def test_unreadable_file_exits_two(tmp_path: Path) -> None:
    code, out = run([str(tmp_path / "missing.toml")])
    assert code == 2 and "cannot be read" in out
    broken = tmp_path / "corsight.toml"
    broken.write_text("allow_origins = [")
    code, out = run([str(broken)])
    assert code == 2 and "is not valid TOML" in out
    code, out = run(["--json", str(broken)])
    assert code == 2 and json.loads(out)["problems"][0]["id"] == "corsight.E016"


def test_without_file_reads_discovered_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CORSIGHT_")]:
        monkeypatch.delenv(name)
    code, out = run([])
    assert code == 2 and "none found" in out
    (tmp_path / "pyproject.toml").write_text('[tool.corsight]\nallow_origins = ["https://app.example.com"]\n')
    code, out = run([], env={"CORSIGHT_ALLOW_CREDENTIALS": "perhaps"})
    assert code == 1
    assert "environment: CORSIGHT_ALLOW_CREDENTIALS = 'perhaps': expected true or false" in out
    code, out = run([], env={"CORSIGHT_ALLOW_CREDENTIALS": "true"})
    assert code == 0, out
    assert "allow_credentials=True" in out


def test_env_is_ignored_for_an_explicit_file_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "corsight.toml"
    path.write_text('allow_origins = ["https://app.example.com"]\n')
    env = {"CORSIGHT_MAX_AGE": "-3"}
    assert run([str(path)], env=env)[0] == 0
    code, out = run(["--env", str(path)], env=env)
    assert code == 1 and "CORSIGHT_MAX_AGE" in out


def test_installed_command_runs() -> None:
    exe = Path(sys.executable).with_name("corsight")
    result = subprocess.run([str(exe), "lint", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "every problem" in result.stdout
