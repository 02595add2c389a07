"""The ``corsight`` command group: the command list, mistyped commands, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from corsight.cli import first_sentence, main

SRC = str(Path(__file__).resolve().parent.parent / "src")


def test_the_command_list_shows_whole_sentences() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.splitlines()]
    check = next(line for line in lines if line.startswith("check "))
    assert check.endswith("?")
    assert not any(line.endswith("...") for line in lines[1:])
    assert "Start with:  corsight check" in result.output


def test_first_sentence_stops_at_the_first_full_stop_or_question() -> None:
    assert first_sentence("Would it pass? Sends what Chromium\nwould send.") == "Would it pass?"
    assert (
        first_sentence("A proxy (open mode, or --upstream URL).\n\nMore.")
        == "A proxy (open mode, or --upstream URL)."
    )
    assert first_sentence("No full stop here") == "No full stop here"


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(main, ["chek", "http://x"])
    assert result.exit_code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.output
    far = CliRunner().invoke(main, ["zzzzzz"])
    assert far.exit_code == 2 and "Did you mean" not in far.output


def test_ctrl_c_exits_130_quietly() -> None:
    # A real interrupt delivered to a real process, in a command that is busy (as check, scan and
    # ui are while they wait on the network).
    code = (
        "import sys, time, click\n"
        "from corsight import cli\n"
        "@click.command('nap')\n"
        "def nap():\n"
        "    print('ready', flush=True); time.sleep(30)\n"
        "cli.main.add_command(nap)\n"
        "sys.argv = ['corsight', 'nap']\n"
        "cli.main()\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "Aborted" not in err and "Traceback" not in err


def _one_line_error(argv: list[str]) -> str:
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    return line


def test_usage_errors_are_one_line() -> None:
    assert _one_line_error(["check", "--bogus"]) == "corsight check: error: No such option '--bogus'."
    assert _one_line_error(["chek"]) == "corsight: error: No such command 'chek'. Did you mean 'check'?"


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "x", "1e9"])
@pytest.mark.parametrize("option", [["scan", "--timeout"], ["check", "--timeout"]])
def test_durations_must_be_finite_and_positive(option: list[str], value: str) -> None:
    line = _one_line_error([*option, value, "http://127.0.0.1:9/", "--origin", "http://127.0.0.1:1"])
    assert line.startswith(f"corsight {option[0]}: error: Invalid value for '--timeout': '{value}'")


def test_a_delay_may_be_zero_but_not_negative() -> None:
    line = _one_line_error(["scan", "--delay", "-1", "http://127.0.0.1:9/"])
    assert "a number of seconds at least 0" in line


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_header_without_a_colon_is_one_line(command: str) -> None:
    line = _one_line_error([command, "-H", "X-Token", "http://127.0.0.1:9/", "--origin", "http://127.0.0.1:1"])
    assert line == f"corsight {command}: error: Invalid value for '-H' / '--header': 'X-Token' is not 'Name: value'"


@pytest.mark.parametrize("command", ["check", "export", "har", "lint", "proxy", "scan", "ui"])
def test_each_command_help_has_an_example_and_its_exit_statuses(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=120)
    assert result.exit_code == 0
    assert f"corsight {command} " in result.output  # an example to copy
    assert "Exit status" in result.output and " 2 " in result.output


@pytest.mark.parametrize("command", ["check", "export", "har", "lint", "proxy", "scan", "ui"])
def test_every_option_is_documented(command: str) -> None:
    ctx = click.Context(main)
    sub = main.get_command(ctx, command)
    assert sub is not None
    bare = [p.opts[0] for p in sub.params if isinstance(p, click.Option) and not p.help and not p.hidden]
    assert bare == [], f"corsight {command}: options without help: {bare}"
