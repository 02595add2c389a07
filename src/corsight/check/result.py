"""What :func:`corsight.check` returns (:class:`CheckResult`) or raises (:class:`CheckError`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from corsight.browser import Check, Exchange, Request, Verdict
from corsight.diagnosis import Diagnosis

#: ``not-verified``: nothing failed, but the actual request was not sent (``--send``).
Outcome = Literal["allowed", "blocked", "not-verified"]


class CheckError(Exception):
    """The check could not be made: bad input or a network failure (exit status 2)."""


@dataclass(frozen=True)
class CheckResult:
    """What :func:`~corsight.check` found: the request fetch() made (``None`` when fetch()
    throws first), the browser model's ``verdict`` on it, the ``timeline`` of requests with
    their header lines as they went out and what came back, and the ``diagnosis``.
    ``to_dict()`` is the JSON form (``corsight check --json``)."""

    url: str
    origin: str
    method: str
    credentials: str
    request: Request | None
    verdict: Verdict | None
    diagnosis: Diagnosis
    preflight_needed: bool = False
    timeline: tuple[Exchange, ...] = ()
    notes: tuple[str, ...] = ()
    #: Chrome's console line when fetch() throws before sending anything.
    type_error: str | None = None

    @property
    def allowed(self) -> bool:
        """Nothing blocked the request (see :attr:`complete` and :attr:`outcome`)."""
        return self.verdict is not None and self.verdict.allowed

    @property
    def complete(self) -> bool:
        """False when the actual request was not sent: its response is unverified."""
        return self.verdict is None or self.verdict.complete

    @property
    def outcome(self) -> Outcome:
        if not self.allowed:
            return "blocked"
        return "allowed" if self.complete else "not-verified"

    @property
    def error(self) -> str | None:
        """Chromium's name for the error (``kMissingAllowOriginHeader``, ``net::ERR_…``), or
        ``TypeError`` when fetch() throws."""
        return self.verdict.error if self.verdict is not None else "TypeError"

    @property
    def chrome(self) -> str | None:
        return self.verdict.chrome if self.verdict is not None else self.type_error

    @property
    def firefox(self) -> str | None:
        return self.verdict.firefox if self.verdict is not None else None

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.verdict.checks if self.verdict is not None else ()

    @property
    def exposed_headers(self) -> list[str]:
        return list(self.verdict.exposed_headers) if self.verdict is not None and self.allowed else []

    @property
    def fixes(self) -> dict[str, Any]:
        """The diagnosis in its JSON form (``to_dict()["fixes"]``)."""
        return self.diagnosis.to_dict()

    def last(self, kind: Literal["preflight", "actual"]) -> Exchange | None:
        """The last request of ``kind`` in the timeline (a redirect's hops are ``actual``)."""
        return next((e for e in reversed(self.timeline) if e.request.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        pre = self.last("preflight")
        act = self.last("actual")
        pre_json = pre.to_dict() if pre is not None else None
        act_json = act.to_dict() if act is not None else None
        return {
            "url": self.url,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "outcome": self.outcome,
            "allowed": self.allowed,
            "complete": self.complete,
            "error": self.error,
            "message": {"chrome": self.chrome, "firefox": self.firefox},
            "preflight": {
                "needed": self.preflight_needed,
                "sent": pre is not None and pre.sent,
                "request_headers": pre_json["request_headers"] if pre_json else [],
                "response": pre_json["response"] if pre_json else None,
            },
            "actual": {
                "sent": act is not None and act.sent,
                "method": act.request.method if act is not None else self.method,
                "url": act.request.url if act is not None else self.url,
                "request_headers": act_json["request_headers"] if act_json else [],
                "response": act_json["response"] if act_json else None,
            },
            "exposed_headers": self.exposed_headers,
            "checks": [c.to_dict() for c in self.checks],
            "timeline": [e.to_dict() for e in self.timeline],
            "fixes": self.fixes,
            "notes": list(self.notes),
        }
