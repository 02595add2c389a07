"""Severity: what a hostile page could really do with what the browser model allowed.

Readable with the victim's credentials is high; readable without credentials is low, unless
the target is only reachable from inside a network (then a page the victim visits turns
their browser into a proxy into it: high); not readable at all is informational. Some classes
need a precondition the attacker may not have (control of a subdomain, a network position, a
program on the victim's machine) and are capped.
"""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


def rate(
    *,
    with_credentials: bool,
    without_credentials: bool,
    internal: bool,
    cap: Severity = Severity.HIGH,
) -> Severity:
    """The severity of a response a hostile page got, as judged by the browser model."""
    if with_credentials:
        base = Severity.HIGH
    elif without_credentials:
        base = Severity.HIGH if internal else Severity.LOW
    else:
        base = Severity.INFO
    return min(base, cap)


# SARIF's `level` and GitHub code scanning's `security-severity` (0.0-10.0) for each severity.
SARIF_LEVEL = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.HIGH: "8.1",
    Severity.MEDIUM: "5.4",
    Severity.LOW: "3.1",
    Severity.INFO: "0.0",
}
