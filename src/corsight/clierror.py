"""What every ``corsight`` command shares: its exit statuses, how it reports input it cannot use
(one line ``corsight <command>: error: <what>`` on stderr and status 2, never a traceback), and
the option types several commands take (``-H`` header lines, durations). An error message often
quotes what a server or a file said: it is shown :func:`~corsight.safetext.visible`, on one
line."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from corsight.errors import Problem
from corsight.safetext import visible

#: Exit statuses, the same for every command: the verdict (allowed / blocked, or no finding at
#: the --fail-on level / a finding), a usage or network error, a verdict that could not be
#: verified (``check`` without ``--send``: nothing failed, but the actual request was not
#: sent), and an interrupt (the shell's).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_VERIFIED = 3
EXIT_INTERRUPTED = 130


def fail(command: str, message: str) -> NoReturn:
    """Print ``message`` as ``command``'s one-line error and exit with status 2 (``command``
    empty for the ``corsight`` group itself)."""
    fail_each(command, [message])


def fail_each(command: str, messages: Sequence[Problem | str]) -> NoReturn:
    """Print each message (a configuration's problems: five are five lines, not one of 900
    characters) as one of ``command``'s error lines and exit with status 2."""
    who = f"corsight {command}" if command else "corsight"
    for message in messages:
        click.echo(f"{who}: error: {visible(str(message))}", err=True)
    sys.exit(EXIT_USAGE)


def need_extra(command: str, missing: str | None, extra: str) -> NoReturn:
    """``command`` cannot run because the module ``missing`` of the ``extra`` is not installed."""
    fail(command, f"{missing} is missing: pip install 'corsight[{extra}]'")


class HeaderLine(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A ``-H 'Name: value'`` option, as curl takes it: the name and the value, trimmed."""

    name = "'Name: value'"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value  # already converted (a default)
        name, sep, text = str(value).partition(":")
        if not sep or not name.strip():
            self.fail(f"{value!r} is not 'Name: value'", param, ctx)
        return name.strip(), text.strip()


class Seconds(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A duration option: a finite number of seconds above ``minimum`` (or equal to it when
    ``inclusive``) and at most a day, so that ``nan``, ``inf`` and ``-1`` are usage errors,
    not a socket layer's traceback or a wait without end."""

    name = "seconds"

    def __init__(self, minimum: float = 0.0, *, inclusive: bool = False, maximum: float = 86400.0) -> None:
        self.minimum, self.inclusive, self.maximum = minimum, inclusive, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        low_ok = seconds >= self.minimum if self.inclusive else seconds > self.minimum
        if not (math.isfinite(seconds) and low_ok and seconds <= self.maximum):
            bound = "at least" if self.inclusive else "greater than"
            self.fail(
                f"{value!r}: a number of seconds {bound} {self.minimum:g} and at most {self.maximum:g}"
                " is needed",
                param,
                ctx,
            )
        return seconds
