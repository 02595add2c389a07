"""``corsight check``: would a browser let a page of an origin read a URL? The command (the
command line's group loads this module only when ``check`` runs); it prints the result in the
terminal form (:mod:`corsight.terminal`) or as JSON.

Exit statuses: 0 allowed, 1 blocked, 3 not verified (the actual request was not sent: see
``--send``), 2 usage or network error (one line on stderr).
"""

from __future__ import annotations

import sys

import click

from corsight import safetext
from corsight.check import MAX_TIMEOUT, CheckError, check
from corsight.clierror import EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_OK, HeaderLine, Seconds, fail
from corsight.diagnosis import SERVERS
from corsight.terminal import print_check

EXIT_STATUS = {"allowed": EXIT_OK, "blocked": EXIT_FAILED, "not-verified": EXIT_NOT_VERIFIED}


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
@click.option("--server", type=click.Choice(SERVERS), default=None, help="Show the fix for this server")
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
    """Would a browser let a page of ORIGIN read URL? Sends what Chromium would send.

    \b
    Example:
      corsight check https://api.example.com/items --origin https://app.example.com -X PUT --send

    \b
    Exit statuses: 0 allowed, 1 blocked, 3 not verified (the actual request was not
    sent: methods other than GET, HEAD and OPTIONS need --send), 2 usage or network error.
    """
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
        print_check(safetext.console(), result, server)
    sys.exit(EXIT_STATUS[result.outcome])
