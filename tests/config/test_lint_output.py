"""Guards what ``corsight lint`` tells a user about a file (issue 16, "Output that tells the
truth"): the classes "advice written in Python inside a TOML file" (``True``, ``None``,
``name=value``), "a fix that turns 'GET, PUT' into a one-element list", "a problem without its
``file:line``", "a file path reported as a setting" (``--json`` on a parse error), and "a
configuration in a parent folder that lint does not find" (it walks up as ruff and pytest do,
to the repository's root).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corsight.cli import main


def lint(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lint", *args], env=env or {})
    return result.exit_code, result.output


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_advice_is_written_in_toml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "corsight.toml",
        'allow_origins = "*"\nallow_credentials = true\nallow_private_network = "yes"\nmax_age = 90000\n'
        "allow_origin_regex = ['https://www.example\\.com']\n",
    )
    code, out = lint(str(path))
    assert code == 1, out
    assert "write true or false, not a string" in out
    assert "'*' with allow_credentials = true would let every website" in out
    assert "e.g. allow_origins = ['https://app.example.com']" in out
    assert "allow_origin_regex: 'https://www.example\\.com' has an unescaped '.'" in out
    assert not re.search(r"\bTrue\b|\bFalse\b|\bNone\b|\w=\[", out), out


def test_a_comma_joined_string_is_suggested_as_its_items(tmp_path: Path) -> None:
    path = write(tmp_path / "corsight.toml", 'allow_origins = ["https://a.example.com"]\nallow_methods = "GET, PUT"\n')
    code, out = lint(str(path))
    assert code == 1
    assert "fix: pass a list, as in allow_methods = ['GET', 'PUT']" in out
    assert "['GET, PUT']" not in out


def test_each_problem_has_its_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "app"\n\n'
        "[tool.corsight]\n"
        "allow_origins = [\n"  # 5
        '    "https://ok.example.com",\n'
        '    "https://a.example.com/",  # the item with the problem\n'  # 7
        "]\n"
        "max_age = -1\n"  # 9
        "alow_headers = ['X-Token']\n"  # 10
        "\n"
        '[tool.corsight.routes."/x"]\n'  # 12
        'allow_methods = ["TRACE"]\n'  # 13
        '[tool.corsight.routes."api"]\n',  # 14
    )
    code, out = lint(str(path))
    assert code == 1, out
    shown = f"{path}"
    assert f"error corsight.E001 {shown}:7: tool.corsight.allow_origins: 'https://a.example.com/'" in out
    assert f"error corsight.E007 {shown}:9: tool.corsight.max_age: -1 is out of range" in out
    assert f"error corsight.E011 {shown}:10: tool.corsight.alow_headers = ['X-Token']" in out
    assert f'error corsight.E003 {shown}:13: tool.corsight.routes."/x".allow_methods' in out
    assert f'error corsight.E012 {shown}:14: tool.corsight.routes."api"' in out
    lines = [int(n) for n in re.findall(rf"{re.escape(shown)}:(\d+):", out)]
    assert lines == sorted(lines)  # in the file's order
    code, out = lint("--json", str(path))
    assert sorted(p["line"] for p in json.loads(out)["problems"]) == [7, 9, 10, 13, 14]


def test_a_parse_error_names_the_file_as_its_source(tmp_path: Path) -> None:
    path = write(tmp_path / "corsight.toml", 'allow_origins = ["https://a.example.com"]\nmax_age = \n')
    code, out = lint("--json", str(path))
    assert code == 2
    (problem,) = json.loads(out)["problems"]
    assert problem["setting"] == "" and problem["source"] == str(path) and problem["line"] == 2
    assert problem["id"] == "corsight.E016"
    code, out = lint(str(path))
    assert code == 2 and f"corsight lint: error: {path}:2: is not valid TOML" in out


def test_the_configuration_is_found_in_a_parent_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "corsight.toml", 'allow_origins = ["https://a.example.com/"]\n')
    write(tmp_path / "corsight.toml", 'allow_origins = ["https://ok.example.com"]\n')
    monkeypatch.chdir(write(repo / "src" / "app" / "x.py", "").parent)
    code, out = lint()
    assert code == 1 and out.startswith("corsight lint: ../../corsight.toml\n"), out
    assert "../../corsight.toml:1: allow_origins: 'https://a.example.com/' ends with '/'" in out
    (repo / "corsight.toml").unlink()
    code, out = lint()  # the file above the repository is not this project's
    assert code == 2 and "none found" in out
