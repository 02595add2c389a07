"""``corsight scan``: the click command over :func:`corsight.scan.runner.scan_async`.

Exit statuses: 0 no finding at or above ``--fail-on``, 1 at least one, 2 a usage error or a URL
that could not be scanned (unless ``--fail-on never``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

import click

from corsight.clierror import EXIT_FAILED, EXIT_OK, HeaderLine, Seconds, fail
from corsight.safetext import console, dumps
from corsight.scan.runner import ScanOptions, ScanReport, run, scan_async
from corsight.scan.sarif import to_sarif
from corsight.scan.severity import Severity
from corsight.scan.transport import ResolveError, TransportOptions, parse_resolve

FAIL_ON = ("high", "medium", "low", "info", "never")


def _lines(stream: IO[str]) -> list[str]:
    return [line.strip() for line in stream if line.strip() and not line.lstrip().startswith("#")]


def collect_urls(args: Iterable[str], input_file: IO[str] | None, stdin: IO[str]) -> list[str]:
    """URLs from the arguments (``-`` reads stdin), then from ``-i FILE`` (``-i -``: stdin)."""
    urls: list[str] = []
    for arg in args:
        urls += _lines(stdin) if arg == "-" else [arg]
    if input_file is not None:
        urls += _lines(input_file)
    return list(dict.fromkeys(urls))


def failed(report: ScanReport, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    worst = report.worst()
    return worst is not None and worst >= Severity.parse(fail_on)


@click.command("scan")
@click.argument("urls", nargs=-1)
@click.option("-i", "--input", "input_file", type=click.File("r"), help="Read URLs from FILE ('-': stdin)")
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    type=HeaderLine(),
    help="Extra request header, e.g. 'Cookie: s=1'",
)
@click.option("--resolve", multiple=True, metavar="HOST:PORT:ADDR", help="Connect to ADDR for HOST:PORT")
@click.option(
    "--origin",
    "trusted",
    multiple=True,
    help="An origin the server is meant to trust (your front-end); probes are aimed at it",
)
@click.option("--internal", is_flag=True, help="The targets are only reachable inside a network")
@click.option("-k", "--insecure", is_flag=True, help="Do not verify TLS certificates")
@click.option("--cacert", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify TLS")
@click.option("--timeout", default=10.0, show_default=True, type=Seconds(), help="Seconds per request")
@click.option(
    "--retries",
    default=1,
    show_default=True,
    type=click.IntRange(0, 5),
    help="Times to resend a probe after a reset or timeout",
)
@click.option(
    "-c",
    "--concurrency",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Requests at once",
)
@click.option(
    "--per-host", default=4, show_default=True, type=click.IntRange(1, 100), help="Requests at once per host"
)
@click.option(
    "--delay",
    default=0.0,
    show_default=True,
    type=Seconds(inclusive=True),
    help="Seconds between requests to one host",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--sarif", "as_sarif", is_flag=True, help="Print the report as SARIF 2.1.0")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE (checked before scanning, written after)",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="low",
    show_default=True,
    help="Exit 1 from this severity up ('never': exit 0 whatever is found, and for unscanned URLs)",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)")
def scan_command(
    urls: tuple[str, ...],
    input_file: IO[str] | None,
    headers: tuple[tuple[str, str], ...],
    resolve: tuple[str, ...],
    trusted: tuple[str, ...],
    internal: bool,
    insecure: bool,
    cacert: str | None,
    timeout: float,
    retries: int,
    concurrency: int,
    per_host: int,
    delay: float,
    as_json: bool,
    as_sarif: bool,
    output: str | None,
    fail_on: str,
    progress: bool | None,
) -> None:
    """Find the CORS misconfigurations of URLS that let a hostile page read data.

    Every class is probed; severity follows what the browser model says a hostile page could
    read (with the victim's cookies: high).

    \b
    Examples:
      corsight scan https://api.example.com/me -H 'Cookie: session=…' --origin https://app.example.com
      corsight scan -i urls.txt --sarif -o corsight.sarif --fail-on medium

    \b
    Exit statuses: 0 nothing at or above --fail-on, 1 a finding there, 2 a usage error or a
    URL that could not be scanned (unless --fail-on never), 130 interrupted.
    """
    if output is not None and not Path(output).resolve().parent.is_dir():
        fail("scan", f"cannot write the report to {output}: its folder does not exist")
    if as_json and as_sarif:
        raise click.UsageError("choose one of --json and --sarif")
    targets = collect_urls(urls, input_file, sys.stdin)
    if not targets:
        raise click.UsageError("no URL given (arguments, -i FILE, or '-' for stdin)")
    try:
        table = parse_resolve(resolve)
    except ResolveError as exc:
        raise click.BadParameter(str(exc), param_hint="--resolve") from None
    verify: bool | str = False if insecure else (cacert or True)
    options = ScanOptions(
        transport=TransportOptions(
            timeout=timeout,
            retries=retries,
            concurrency=concurrency,
            per_host=per_host,
            delay=max(0.0, delay),
            verify=verify,
            resolve=table,
            headers=list(headers),
        ),
        trusted_origins=trusted,
        internal=internal,
    )
    show = sys.stderr.isatty() if progress is None else progress
    report = _run(targets, options, show)
    with open(output, "w", encoding="utf-8") if output else nullcontext(sys.stdout) as out:
        if as_json or as_sarif:
            data: dict[str, Any] = report.to_dict() if as_json else to_sarif(report)
            out.write(dumps(data, indent=2) + "\n")
        else:
            from corsight.scan.table import print_scan  # rich only for the human report: --json starts faster

            print_scan(report, console(file=out))
    if failed(report, fail_on):
        sys.exit(EXIT_FAILED)
    unscanned = [result for result in report.results if result.error is not None]
    if unscanned and fail_on != "never":
        # A typo'd URL or a server that is down must not pass a CI job as "nothing found".
        first = unscanned[0]
        fail("scan", f"{len(unscanned)} of {len(report.results)} URLs could not be scanned"
                     f" (first: {first.url}: {first.error}); --fail-on never accepts that")  # fmt: skip
    sys.exit(EXIT_OK)


def _run(targets: list[str], options: ScanOptions, show: bool) -> ScanReport:
    if not show:
        return run(scan_async(targets, options))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("scan", total=len(targets))
        return run(scan_async(targets, options, progress=lambda url: bar.advance(task)))
