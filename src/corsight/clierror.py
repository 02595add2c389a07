"""How every ``corsight`` command reports input it cannot use or a failure before any
result: one line ``corsight <command>: error: <what>`` on stderr and exit status 2, never a
traceback (statuses 0 and 1 are each command's verdict). The message often quotes what a
server or a file said: it is shown :func:`~corsight.safetext.visible`, on one line."""

from __future__ import annotations

import math
import sys
from typing import Any, NoReturn

import click

from corsight.safetext import visible


def fail(command: str, message: str) -> NoReturn:
    """Print ``message`` as ``command``'s one-line error and exit with status 2 (``command``
    empty for the ``corsight`` group itself)."""
    who = f"corsight {command}" if command else "corsight"
    click.echo(f"{who}: error: {visible(message)}", err=True)
    sys.exit(2)


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
