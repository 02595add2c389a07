"""The human report: findings worst first, each with its proof and fix; then targets that
could not be scanned; then a summary line. Every value is put in through
:func:`corsight.safetext.styled`: what the scanned server sent is shown, never obeyed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from corsight.safetext import styled
from corsight.scan.runner import ScanReport
from corsight.scan.severity import Severity

STYLES = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def print_scan(report: ScanReport, console: Console, *, details: bool = True) -> None:
    """Print the human report of a scan (``corsight scan`` without ``--json``/``--sarif``)."""
    findings = sorted(report.findings, key=lambda f: (-f.severity, f.url, f.class_id))
    if findings:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
        table.add_column("severity")
        table.add_column("class", no_wrap=True)
        table.add_column("url", overflow="fold")
        table.add_column("probe origin", overflow="fold")
        for f in findings:
            style = STYLES[f.severity]
            table.add_row(
                styled(f"[{style}]{{}}[/{style}]", f.severity.label),
                styled("{}", f.class_id),
                styled("{}", f.url),
                styled("{}", f.outcome.probe.origin),
            )
        console.print(table)
    if details:
        for f in findings:
            if f.severity == Severity.INFO:
                continue
            style = STYLES[f.severity]
            heading = f"[{style}]{{}}[/{style}] [bold]{{}}[/bold]"
            console.print()
            console.print(styled(heading, f.severity.label.upper(), f.cls.title))
            console.print(styled("  {}", f.url))
            console.print(styled("  {}", f.explanation))
            hop = f.outcome.evidence
            if hop is not None:
                origin = next((v for n, v in hop.request.headers if n.lower() == "origin"), None)
                console.print(styled("  > {} with Origin: {}", hop.method, origin))
                console.print(styled("  < {}", hop.status))
                for name, value in f.evidence_headers():
                    console.print(styled("  < {}: {}", name, value))
            if f.also:
                shown = ", ".join(str(o.probe.origin) for o in f.also[:4])
                more = f" and {len(f.also) - 4} more" if len(f.also) > 4 else ""
                console.print(styled("  also accepted: {}{}", shown, more))
            if f.implied:
                console.print(styled("  implied, not probed: {}", ", ".join(f.implied)))
            console.print(styled("  [green]fix:[/green] {}", f.cls.fix))
    errors = [r for r in report.results if r.error is not None]
    if errors:
        console.print()
        console.print(styled("[bold]not scanned[/bold]"))
        for r in errors:
            console.print(styled("  {}: {}", r.url, r.error or ""))
    data = report.to_dict()["summary"]
    counts = ", ".join(f"{n} {label}" for label, n in data["findings"].items() if n)
    console.print()
    console.print(
        f"{data['scanned']} of {data['targets']} URL(s) scanned, {counts or 'no findings'};"
        f" {data['requests']} requests in {data['seconds']:.1f} s"
    )
