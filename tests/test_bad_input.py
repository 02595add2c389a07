"""Bad input to any command: one line on stderr naming what is wrong, exit status 2, never a
traceback, and nothing written to stdout. Each row is something a new user typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:9/"
ORIGIN = "http://127.0.0.1:1"

BAD = [
    # check
    ["check", URL, "--origin", ORIGIN, "--timeout", "-1"],
    ["check", URL, "--origin", ORIGIN, "--timeout", "nan"],
    ["check", URL, "--origin", ORIGIN, "--timeout", "0"],
    ["check", "http://127.0.0.1:99999/", "--origin", ORIGIN],
    ["check", URL, "--origin", "localhost:5173"],
    ["check", URL, "--origin", "http://127.0.0.1:1/path"],
    ["check", "not a url", "--origin", ORIGIN],
    ["check", URL],
    ["check", URL, "--origin", ORIGIN, "-H", "NoColon"],
    ["check", URL, "--origin", ORIGIN, "--credentials", "sometimes"],
    ["check", URL, "--origin", ORIGIN, "--server", "tomcat"],
    ["check", URL, "--origin", ORIGIN, "--bogus"],
    # scan
    ["scan", "--timeout", "inf", URL],
    ["scan", "--delay", "-2", URL],
    ["scan", "--fail-on", "severe", URL],
    ["scan", "-i", "/nonexistent/urls.txt"],
    ["scan", "-o", "/nonexistent/dir/report.json", URL],
    # har
    ["har", "/nonexistent/session.har"],
    ["har", "{tmp}/not-json.har"],
    ["har", "{tmp}"],
    # lint and export
    ["lint", "/nonexistent/corsight.toml"],
    ["lint", "{tmp}/broken.toml"],
    ["export", "--to", "tomcat", "--allow-origin", "https://a.example"],
    ["export", "--to", "nginx", "--allow-origin", "https://a.example/"],
    ["export", "--to", "nginx", "--config", "{tmp}/five.toml"],
    # proxy (refused before anything listens)
    ["proxy", "--upstream", "not-a-url", "--allow-origin", "https://a.example"],
    ["proxy", "--allow-origin", "https://a.example", "--port", "99999"],
    ["proxy", "--allow-origin", "https://a.example", "--access-log", "/missing/dir/log.json"],
    ["proxy", "--allow-origin", "https://a.example", "--access-log", "{tmp}"],
    # ui
    ["ui", "--no-open", "--port", "99999"],
    ["ui", "--no-open", "--host", "192.0.2.1"],
    # the group
    ["chek"],
    ["--bogus"],
]


#: A configuration with several problems is one line per problem (in the file's order), not one
#: line of 900 characters.
LINES = {"export --to nginx --config {tmp}/five.toml": 5}

#: What the line must say, where saying only "invalid" would leave the user guessing.
HINTS = {
    "check http://127.0.0.1:99999/ --origin http://127.0.0.1:1": "the port is not a number from 1 to 65535",
    f"check {URL} --origin localhost:5173": "write 'http://localhost:5173'",
    "scan -o /nonexistent/dir/report.json http://127.0.0.1:9/": "its folder does not exist",
    "proxy --allow-origin https://a.example --access-log /missing/dir/log.json": "cannot write the access log",
    "chek": "Did you mean 'check'?",
}


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    (folder / "not-json.har").write_text("{ this is not json")
    (folder / "broken.toml").write_text("allow_origins = [\n")
    (folder / "five.toml").write_text(
        'allow_origins = ["https://a.example/", "*.com", "ftp://x"]\n'
        'allow_credentials = "yes"\nmax_age = -5\n'
    )
    return folder


@pytest.mark.parametrize("argv", BAD, ids=lambda argv: " ".join(argv))
def test_bad_input_is_one_line_and_exit_2(argv: list[str], tmp: Path) -> None:
    written = " ".join(argv)
    argv = [arg.replace("{tmp}", str(tmp)) for arg in argv]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "corsight", *argv], capture_output=True, text=True, env=env, timeout=60
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == LINES.get(written, 1), done.stderr
    assert all(line.startswith(lines[0].partition(": error: ")[0]) for line in lines), done.stderr
    assert lines[0].startswith("corsight"), lines[0]
    assert HINTS.get(written, "") in lines[0]
    if written in LINES:
        numbers = [int(line.split(".toml:")[1].split(":")[0]) for line in lines]
        assert numbers == sorted(numbers), lines
    assert done.stdout == "", done.stdout
