"""``corsight har``: the command line over :mod:`corsight.har`.

Exit statuses: 0 when every cross-origin request passed, 1 when any failed, 2 when the file
cannot be read or is not a well-formed HAR (one line on stderr naming what is wrong: see
:mod:`corsight.harfile`).
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from corsight import safetext
from corsight.check import SERVERS
from corsight.clierror import fail
from corsight.har import HarError, Report, analyze_file
from corsight.safetext import styled


@click.command("har")
# Not dir_okay=False: click's refusal is a usage text; the reader says it in one line.
@click.argument("file", type=click.Path())
@click.option("--server", type=click.Choice(SERVERS), default=None, help="Show the fix for this server")
@click.option("--all", "show_all", is_flag=True, help="Also list the cross-origin requests that passed")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def har_command(file: str, server: str | None, show_all: bool, as_json: bool) -> None:
    """Which cross-origin requests of a HAR file failed, with the console message and the fix."""
    try:
        report = analyze_file(file, server=server)
    except HarError as exc:
        fail("har", str(exc))
    if as_json:
        click.echo(safetext.dumps(report.to_dict(), indent=2))
    else:
        render(report, safetext.console(), server, show_all)
    sys.exit(1 if report.failed else 0)


def render(report: Report, console: Console, server: str | None, show_all: bool) -> None:
    console.print(
        styled(
            "[bold]corsight har[/bold]  {}: {} entries, {} cross-origin, [bold]{} failed[/bold]",
            report.source,
            report.entries,
            report.cross_origin,
            len(report.failed),
        )
    )
    for target, findings in report.by_server().items():
        shown = [f for f in findings if f.failed or show_all]
        if not shown:
            continue
        console.print()
        console.rule(styled("server {}", target), align="left")
        for f in shown:
            if not f.failed:
                passed = "[green]✓[/green] #{} {} {}  from {}"
                console.print(styled(passed, f.index, f.method, f.url, f.origin))
                continue
            console.print(
                styled(
                    "[red]✗[/red] #{} {} {}  from {}  [red]{}[/red]",
                    f.index,
                    f.method,
                    f.url,
                    f.origin,
                    f.error or "failed",
                )
            )
            if f.chrome:
                console.print(styled("   Chrome:  {}", f.chrome))
            if f.firefox:
                console.print(styled("   Firefox: {}", f.firefox))
            for note in f.notes:
                console.print(styled("   [yellow]note:[/yellow] {}", note))
            fix = f.fix
            if fix.get("summary"):
                console.print(styled("   [bold]fix:[/bold] {}", fix["summary"]))
                for h in fix.get("headers", []):
                    if not h["ok"]:
                        line = "      on the {} response: {}: {}"
                        console.print(styled(line, h["on"], h["name"], h["value"]))
                snippet = (fix.get("snippets") or {}).get(server) if server else None
                if snippet:
                    for line in snippet.splitlines():
                        console.print(styled("      {}", line))
            if not f.known and f.check_command:
                console.print(styled("   find out: {}", f.check_command))
    for note in report.notes:
        console.print(styled("[yellow]note:[/yellow] {}", note))
    if not report.failed:
        console.print(styled("[green]no cross-origin request failed[/green]"))
