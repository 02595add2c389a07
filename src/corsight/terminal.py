"""The terminal form of corsight's reports: what ``corsight check`` and ``corsight har`` print.

One renderer for the terminal, whichever tool found the result: an exchange is printed one way,
a :class:`~corsight.diagnosis.Diagnosis` one way (its headline, the headers the server must
send, the configuration for ``--server``). The other forms of the same records are their
``to_dict()`` (JSON, through :func:`~corsight.safetext.dumps`) and the page of ``corsight ui``
(:mod:`corsight.ui.present`). Every value that came from a server or a file goes through
:func:`~corsight.safetext.styled`: shown as plain text, never as markup or control characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from corsight.diagnosis import SERVERS, Cause, Diagnosis
from corsight.safetext import styled

if TYPE_CHECKING:  # the records it prints; each command loads only its own tool
    from corsight.check import CheckResult
    from corsight.har import Report

CORS_HEADER_PREFIXES = ("access-control-", "origin", "vary", "location")
_VERDICTS = {
    "allowed": "[bold green]ALLOWED[/bold green]",
    "not-verified": "[bold yellow]NOT VERIFIED[/bold yellow]",
    "blocked": "[bold red]BLOCKED[/bold red]",
}


def _header_lines(console: Console, headers: Sequence[tuple[str, str]], arrow: str) -> None:
    for name, value in headers:
        style = "bold" if name.lower().startswith(CORS_HEADER_PREFIXES) else "dim"
        console.print(styled(f"   {arrow} [{style}]{{}}: {{}}[/{style}]", name, value))


def print_diagnosis(console: Console, diagnosis: Diagnosis, server: str | None, indent: str = "") -> None:
    """What is wrong and what to do: the summary, each header the server does not send as
    the browser needs it (and what it sends now), and the configuration for ``server``."""
    console.print(styled(indent + "[bold]fix:[/bold] {}", diagnosis.summary))
    if diagnosis.missing:
        console.print(styled(indent + "the server must send:"))
    for need in diagnosis.missing:
        line = indent + "   on the {} response: [bold]{}: {}[/bold]  ({})"
        console.print(styled(line, need.on, need.name, need.value, need.now))
    snippet = diagnosis.snippets.get(server) if server else None
    if snippet:
        # Plain lines, soft-wrapped: a configuration cut at the terminal's width cannot be pasted.
        console.print(styled(indent + "in {}:", server))
        for line in snippet.splitlines():
            console.print(styled(indent + "   {}", line))


# --- corsight check --------------------------------------------------------------------------


def print_check(console: Console, result: CheckResult, server: str | None = None) -> None:
    """The whole check: the requests as sent and answered, the browser's checks, the verdict
    with its cause, the console messages, the notes and the fix."""
    console.print(
        styled(
            "[bold]corsight check[/bold]  {} {}  from origin [bold]{}[/bold]  (credentials: {})",
            result.method,
            result.url,
            result.origin,
            result.credentials,
        )
    )
    console.print()
    console.rule("timeline", align="left")
    if not result.timeline:
        console.print("   nothing was sent")
    for exchange in result.timeline:
        step = exchange.request
        label = "preflight" if step.kind == "preflight" else "request"
        if not exchange.sent:
            # Not a failure: the tool chose not to send it (a neutral mark, not a red cross).
            line = "[yellow]○ not sent[/yellow] {} {} {}  (run with --send to send it)"
            console.print(styled(line, label, step.method, step.url))
            continue
        console.print(styled("[cyan]→ {}[/cyan] {} {}", label, step.method, step.url))
        _header_lines(console, step.headers, ">")
        if exchange.response is not None:
            console.print(styled("[cyan]← {}[/cyan]", exchange.response.status))
            _header_lines(console, exchange.response.headers, "<")
    console.print()
    console.rule("checks", align="left")
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("", "stage", "check", "detail"):
        table.add_column(column)
    for c in result.checks:
        if c.name == "not-sent":
            mark = "[yellow]○[/yellow]"
        else:
            mark = "[green]✓[/green]" if c.passed else "[red]✗[/red]"
        table.add_row(styled(mark), styled("{}", c.stage), styled("{}", c.name), styled("{}", c.detail))
    console.print(table)
    console.print()
    diagnosis = result.diagnosis
    if result.outcome == "blocked":
        console.print(styled(_VERDICTS["blocked"] + "  {}", result.error or ""))
    else:
        console.print(styled(_VERDICTS[result.outcome]))
    console.print(styled("{}", diagnosis.headline))
    if result.exposed_headers:
        console.print(styled("script can read: {}", ", ".join(result.exposed_headers)))
    if result.chrome:
        console.print()
        console.print(styled("[bold]Chrome console[/bold]"))
        console.print(styled("{}", result.chrome))
    if result.firefox:
        console.print(styled("[bold]Firefox console[/bold]"))
        console.print(styled("{}", result.firefox))
    for note in result.notes:
        console.print(styled("[yellow]note:[/yellow] {}", note))
    if diagnosis.cause in (Cause.ALLOWED, Cause.NOT_VERIFIED):
        return
    console.print()
    console.rule("fix", align="left")
    print_diagnosis(console, diagnosis, server)
    if diagnosis.snippets and not server:
        console.print(f"add --server {'|'.join(SERVERS)} for a ready configuration")


# --- corsight har ----------------------------------------------------------------------------


def print_har(console: Console, report: Report, server: str | None, show_all: bool) -> None:
    """The HAR's failed cross-origin requests by server (``show_all``: the passing ones too),
    each with the console messages, what cannot be known, and the fix."""
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
            failed = "[red]✗[/red] #{} {} {}  from {}  [red]{}[/red]"
            console.print(styled(failed, f.index, f.method, f.url, f.origin, f.error or "failed"))
            if f.diagnosis is not None:
                console.print(styled("   {}", f.diagnosis.headline))
            if f.chrome:
                console.print(styled("   Chrome:  {}", f.chrome))
            if f.firefox:
                console.print(styled("   Firefox: {}", f.firefox))
            for note in f.notes:
                console.print(styled("   [yellow]note:[/yellow] {}", note))
            if f.diagnosis is not None and f.diagnosis.cause.problem:
                print_diagnosis(console, f.diagnosis, server, indent="   ")
            if not f.known and f.check_command:
                console.print(styled("   find out: {}", f.check_command))
    for note in report.notes:
        console.print(styled("[yellow]note:[/yellow] {}", note))
    if not report.failed:
        console.print(styled("[green]no cross-origin request failed[/green]"))
