"""``corsight har``: the command line over :mod:`corsight.har`.

Exit statuses: 0 when every cross-origin request passed, 1 when any failed, 2 when the file
cannot be read or is not a well-formed HAR (one line on stderr naming what is wrong: see
:mod:`corsight.harfile`).
"""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape

from corsight.check import SERVERS
from corsight.clierror import fail
from corsight.har import HarError, Report, analyze_file


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
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        render(report, Console(highlight=False, soft_wrap=True), server, show_all)
    sys.exit(1 if report.failed else 0)


def render(report: Report, console: Console, server: str | None, show_all: bool) -> None:
    console.print(
        f"[bold]corsight har[/bold]  {escape(report.source)}: {report.entries} entries,"
        f" {report.cross_origin} cross-origin, [bold]{len(report.failed)} failed[/bold]"
    )
    for target, findings in report.by_server().items():
        shown = [f for f in findings if f.failed or show_all]
        if not shown:
            continue
        console.print()
        console.rule(f"server {escape(target)}", align="left")
        for f in shown:
            if not f.failed:
                console.print(
                    f"[green]✓[/green] #{f.index} {escape(f.method)} {escape(f.url)}  from {escape(f.origin)}"
                )
                continue
            label = escape(f.error or "failed")
            console.print(
                f"[red]✗[/red] #{f.index} {escape(f.method)} {escape(f.url)}  from {escape(f.origin)}"
                f"  [red]{label}[/red]"
            )
            if f.chrome:
                console.print(f"   Chrome:  {escape(f.chrome)}")
            if f.firefox:
                console.print(f"   Firefox: {escape(f.firefox)}")
            for note in f.notes:
                console.print(f"   [yellow]note:[/yellow] {escape(note)}")
            fix = f.fix
            if fix.get("summary"):
                console.print(f"   [bold]fix:[/bold] {escape(fix['summary'])}")
                for h in fix.get("headers", []):
                    if not h["ok"]:
                        console.print(
                            f"      on the {h['on']} response: {escape(h['name'])}: {escape(h['value'])}"
                        )
                snippet = (fix.get("snippets") or {}).get(server) if server else None
                if snippet:
                    for line in snippet.splitlines():
                        console.print(f"      {escape(line)}")
            if not f.known and f.check_command:
                console.print(f"   find out: {escape(f.check_command)}")
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    if not report.failed:
        console.print("[green]no cross-origin request failed[/green]")
