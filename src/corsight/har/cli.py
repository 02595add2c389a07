"""``corsight har``: the command line over :mod:`corsight.har`; it prints the report in the
terminal form (:mod:`corsight.terminal`) or as JSON.

Exit statuses: 0 when every cross-origin request passed, 1 when any failed, 2 when the file
cannot be read or is not a well-formed HAR (one line on stderr naming what is wrong: see
:mod:`corsight.har.file`).
"""

from __future__ import annotations

import sys

import click

from corsight import safetext
from corsight.clierror import EXIT_FAILED, EXIT_OK, fail
from corsight.diagnosis import SERVERS
from corsight.har import HarError, analyze_file
from corsight.terminal import print_har


@click.command("har")
# Not dir_okay=False: click's refusal is a usage text; the reader says it in one line.
@click.argument("file", type=click.Path())
@click.option("--server", type=click.Choice(SERVERS), default=None, help="Show the fix for this server")
@click.option("--all", "show_all", is_flag=True, help="Also list the cross-origin requests that passed")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def har_command(file: str, server: str | None, show_all: bool, as_json: bool) -> None:
    """Which cross-origin requests of a HAR file failed, with the console message and the fix.

    \b
    Examples:
      corsight har session.har --server nginx
      corsight har - < session.har          (FILE '-' reads standard input)

    \b
    Exit statuses: 0 no cross-origin request failed, 1 some did, 2 the file cannot be
    read or is not a HAR.
    """
    try:
        report = analyze_file(file, server=server)
    except HarError as exc:
        fail("har", str(exc))
    if as_json:
        click.echo(safetext.dumps(report.to_dict(), indent=2))
    else:
        print_har(safetext.console(), report, server, show_all)
    sys.exit(EXIT_FAILED if report.failed else EXIT_OK)
