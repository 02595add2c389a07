"""The ``corsight scan`` command: inputs, exit statuses, JSON and SARIF validated against
their schemas, headers passed through, no progress bar when not on a terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from corsight.cli import main
from tests.scanlab import HOST, app
from tests.scanlab.schemas import SARIF_2_1_0_ESSENTIALS, SCAN_REPORT
from tests.servers import serve_asgi

seen_headers: list[dict[str, str]] = []


async def _recording_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        seen_headers.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
    await app(scope, receive, send)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_asgi(_recording_app) as base:
        yield int(base.rsplit(":", 1)[1])


def _run(port: int, *args: str, stdin: str | None = None) -> Any:
    runner = CliRunner()
    base = ["scan", "--resolve", f"{HOST}:{port}:127.0.0.1", "-c", "32", "--per-host", "32"]
    return runner.invoke(main, [*base, *args], input=stdin, catch_exceptions=False)


def _url(port: int, path: str) -> str:
    return f"http://{HOST}:{port}{path}"


def test_exit_1_on_a_finding_and_table_output(port: int) -> None:
    result = _run(port, _url(port, "/startswith"), _url(port, "/exact"))
    assert result.exit_code == 1
    assert "prefix-match" in result.output
    assert "fix:" in result.output
    assert "2 of 2 URL(s) scanned" in result.output


def test_exit_0_when_below_fail_on(port: int) -> None:
    assert _run(port, _url(port, "/exact")).exit_code == 0
    assert _run(port, "--fail-on", "high", _url(port, "/localhost")).exit_code == 0
    assert _run(port, "--fail-on", "low", _url(port, "/localhost")).exit_code == 1
    assert _run(port, "--fail-on", "never", _url(port, "/reflect-creds")).exit_code == 0


def test_usage_errors_exit_2(port: int) -> None:
    assert _run(port).exit_code == 2
    assert _run(port, "--resolve", "nonsense", _url(port, "/exact")).exit_code == 2
    assert _run(port, "-H", "no colon", _url(port, "/exact")).exit_code == 2
    assert _run(port, "--json", "--sarif", _url(port, "/exact")).exit_code == 2
    assert _run(port, "--fail-on", "critical", _url(port, "/exact")).exit_code == 2


def test_json_matches_schema_and_reports_unreachable_urls(port: int) -> None:
    result = _run(port, "--json", _url(port, "/null"), "http://127.0.0.1:9/", "--retries", "0")
    assert result.exit_code == 1
    data = json.loads(result.output)
    jsonschema.validate(data, SCAN_REPORT)
    assert data["summary"]["errors"] == 1 and data["summary"]["scanned"] == 1
    classes = [f["class"] for f in data["results"][0]["findings"]]
    assert classes[0] == "null-origin"
    assert data["results"][1]["status"] == "error"


def test_sarif_matches_schema(port: int, tmp_path: Path) -> None:
    out = tmp_path / "scan.sarif"
    result = _run(
        port, "--sarif", "-o", str(out), _url(port, "/parser"), "http://127.0.0.1:9/", "--retries", "0"
    )
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    jsonschema.validate(data, SARIF_2_1_0_ESSENTIALS, format_checker=jsonschema.FormatChecker())
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["special-characters"] == "error"
    assert run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"


def test_urls_from_file_and_stdin(port: int, tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# lab\n{_url(port, '/exact')}\n\n{_url(port, '/static')}\n")
    data = json.loads(_run(port, "--json", "-i", str(listing)).output)
    assert [r["url"] for r in data["results"]] == [_url(port, "/exact"), _url(port, "/static")]
    data = json.loads(_run(port, "--json", "-", stdin=_url(port, "/no-cors") + "\n").output)
    assert [r["url"] for r in data["results"]] == [_url(port, "/no-cors")]
    data = json.loads(_run(port, "--json", "-i", "-", stdin=_url(port, "/exact") + "\n").output)
    assert data["summary"]["targets"] == 1


def test_extra_headers_reach_the_server(port: int) -> None:
    seen_headers.clear()
    _run(port, "-H", "Cookie: session=lab", "-H", "Authorization: Bearer t", _url(port, "/no-cors"))
    assert seen_headers
    assert all(
        h.get("cookie") == "session=lab" and h.get("authorization") == "Bearer t" for h in seen_headers
    )
    assert all(h["host"] == f"{HOST}:{port}" for h in seen_headers)


def test_no_progress_bar_when_piped(port: int) -> None:
    runner = CliRunner()
    args = ["scan", "--resolve", f"{HOST}:{port}:127.0.0.1", "--json", _url(port, "/exact")]
    result = runner.invoke(main, args)
    json.loads(result.stdout)
    assert result.stderr == ""


def test_a_url_that_cannot_be_scanned_is_exit_2_unless_fail_on_never() -> None:
    # A typo'd URL or a server that is down must not pass a CI job as "nothing found".
    refused = CliRunner().invoke(main, ["scan", "--retries", "0", "http://127.0.0.1:9/"])
    assert refused.exit_code == 2
    (line,) = refused.stderr.splitlines()
    assert line.startswith("corsight scan: error: 1 of 1 URLs could not be scanned")
    accepted = CliRunner().invoke(main, ["scan", "--retries", "0", "--fail-on", "never", "http://127.0.0.1:9/"])
    assert accepted.exit_code == 0
