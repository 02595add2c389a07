"""How every ``corsight`` command reports input it cannot use or a failure before any
result: one line ``corsight <command>: error: <what>`` on stderr and exit status 2, never a
traceback (statuses 0 and 1 are each command's verdict). The message often quotes what a
server or a file said: it is shown :func:`~corsight.safetext.visible`, on one line."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from corsight.safetext import visible


def fail(command: str, message: str) -> NoReturn:
    """Print ``message`` as ``command``'s one-line error and exit with status 2."""
    click.echo(f"corsight {command}: error: {visible(message)}", err=True)
    sys.exit(2)
