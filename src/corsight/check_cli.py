"""``corsight check``: would a browser let a page of an origin read a URL? The command and its
human output (the command line's group loads this module only when ``check`` runs)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from corsight import safetext
from corsight.check import MAX_TIMEOUT, SERVERS, CheckError, CheckResult, check
from corsight.clierror import HeaderLine, Seconds, fail
from corsight.safetext import styled

CORS_HEADER_PREFIXES = ("access-control-", "origin", "vary", "location")


@click.command("check")
@click.argument("url")
@click.option("--origin", required=True, help="The page's origin, e.g. https://app.example.com")
@click.option("-X", "--request", "method", default="GET", show_default=True, help="HTTP method")
@click.option(
    "-H", "--header", "headers", multiple=True, type=HeaderLine(), help="Request header 'Name: value'"
)
@click.option(
    "--credentials",
    type=click.Choice(["omit", "same-origin", "include"]),
    default="same-origin",
    show_default=True,
    help="fetch()'s credentials mode",
)
@click.option("--data", "body", default=None, help="Request body (a string, as fetch sends it)")
@click.option("--send", is_flag=True, help="Also send methods other than GET/HEAD/OPTIONS")
@click.option("--server", type=click.Choice(SERVERS), default=None, help="Snippet for this server")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=Seconds(maximum=MAX_TIMEOUT),
    help="Seconds for the whole check (preflight, request and redirects)",
)
def check_command(
    url: str,
    origin: str,
    method: str,
    headers: tuple[tuple[str, str], ...],
    credentials: str,
    body: str | None,
    send: bool,
    server: str | None,
    as_json: bool,
    timeout: float,
) -> None:
    """Would a browser let a page of ORIGIN read URL? Sends what Chromium would send."""
    try:
        result = check(
            url,
            origin=origin,
            method=method,
            headers=list(headers),
            credentials=credentials,  # type: ignore[arg-type]
            body=body,
            send=send,
            timeout=timeout,
            server=server,
        )
    except CheckError as exc:
        fail("check", str(exc))
    if as_json:
        click.echo(safetext.dumps(result.to_dict(), indent=2))
    else:
        render(result, safetext.console(), server)
    sys.exit(0 if result.allowed else 1)


# --- human output --------------------------------------------------------------------------------


def _header_lines(console: Console, headers: list[list[str]], arrow: str) -> None:
    for name, value in headers:
        style = "bold" if name.lower().startswith(CORS_HEADER_PREFIXES) else "dim"
        console.print(styled(f"   {arrow} [{style}]{{}}: {{}}[/{style}]", name, value))


def render(result: CheckResult, console: Console, server: str | None = None) -> None:
    data: dict[str, Any] = result.to_dict()
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
    if not data["timeline"]:
        console.print("   nothing was sent")
    for step in data["timeline"]:
        label = "preflight" if step["kind"] == "preflight" else "request"
        if not step["sent"]:
            console.print(styled("[yellow]✗ not sent[/yellow] {} {} {}", label, step["method"], step["url"]))
            continue
        console.print(styled("[cyan]→ {}[/cyan] {} {}", label, step["method"], step["url"]))
        _header_lines(console, step["request_headers"], ">")
        response = step["response"]
        if response is not None:
            console.print(styled("[cyan]← {}[/cyan]", response["status"]))
            _header_lines(console, response["headers"], "<")
    console.print()
    console.rule("checks", align="left")
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("")
    table.add_column("stage")
    table.add_column("check")
    table.add_column("detail")
    for c in data["checks"]:
        mark = styled("[green]✓[/green]" if c["passed"] else "[red]✗[/red]")
        table.add_row(mark, styled("{}", c["stage"]), styled("{}", c["name"]), styled("{}", c["detail"]))
    console.print(table)
    console.print()
    if result.allowed:
        word = "ALLOWED" if result.complete else "ALLOWED SO FAR (not fully verified)"
        console.print(styled("[bold green]{}[/bold green]", word))
        if data["exposed_headers"]:
            console.print(styled("script can read: {}", ", ".join(data["exposed_headers"])))
    else:
        console.print(styled("[bold red]BLOCKED[/bold red]  {}", result.error or ""))
    if result.chrome:
        console.print()
        console.print(styled("[bold]Chrome console[/bold]"))
        console.print(styled("{}", result.chrome))
    if result.firefox:
        console.print(styled("[bold]Firefox console[/bold]"))
        console.print(styled("{}", result.firefox))
    for note in result.notes:
        console.print(styled("[yellow]note:[/yellow] {}", note))
    fixes = data["fixes"]
    if fixes and fixes.get("problem"):
        console.print()
        console.rule("fix", align="left")
        console.print(styled("{}", fixes["summary"]))
        wrong = [h for h in fixes["headers"] if not h["ok"]]
        if wrong:
            console.print("the server must send:")
            for h in wrong:
                now = "absent" if h["current"] is None else repr(h["current"])
                line = "   on the {} response: [bold]{}: {}[/bold]  (now {})"
                console.print(styled(line, h["on"], h["name"], h["value"], now))
        snippets = fixes.get("snippets") or {}
        if server and server in snippets:
            console.print()
            console.print(Syntax(snippets[server], _lexer(server), theme="ansi_dark"))
        elif snippets:
            console.print("add --server fastapi|starlette|flask|django|express|nginx for a ready snippet")


def _lexer(server: str) -> str:
    return {"express": "javascript", "nginx": "nginx"}.get(server, "python")
