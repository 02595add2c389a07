"""From probe outcomes to findings: which classes hit, how severe (by what the browser model
let a hostile page read), and the evidence for each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from corsight.browser import CorsError
from corsight.browser.checks import get_header
from corsight.httpsyntax import varies_on
from corsight.scan.classes import CLASSES, ORIGIN_CLASSES, MisconfigClass
from corsight.scan.exchange import Outcome
from corsight.scan.severity import Severity, rate
from corsight.scan.target import ScanTarget

EVIDENCE_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-private-network",
    "access-control-expose-headers",
    "access-control-max-age",
    "vary",
    "cache-control",
    "location",
)
INVALID_ORIGIN_ERRORS = frozenset(
    {CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES, CorsError.INVALID_ALLOW_ORIGIN_VALUE}
)
# Statuses a cache may store without explicit freshness (RFC 9110 §15.1, "heuristically cacheable").
CACHEABLE_STATUSES = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})


@dataclass
class Finding:
    """One misconfiguration on one URL, with the probe and response headers that prove it."""

    cls: MisconfigClass
    url: str
    severity: Severity
    explanation: str
    outcome: Outcome
    also: list[Outcome] = field(default_factory=list)
    related: list[Outcome] = field(default_factory=list)
    implied: list[str] = field(default_factory=list)  # classes this hit decided, not probed

    @property
    def class_id(self) -> str:
        return self.cls.id

    def evidence_headers(self) -> list[list[str]]:
        return [[n, v] for n, v in self.outcome.headers if n.lower() in EVIDENCE_HEADERS]

    def to_dict(self) -> dict[str, Any]:
        hop = self.outcome.evidence
        probe = self.outcome.probe
        return {
            "class": self.cls.id,
            "title": self.cls.title,
            "severity": self.severity.label,
            "url": self.url,
            "explanation": self.explanation,
            "fix": self.cls.fix,
            "probe": {
                "origin": probe.origin,
                "label": probe.label,
                "method": hop.method if hop else probe.method,
                "url": hop.url if hop else self.url,
                "request_headers": [[n, v] for n, v in hop.request.headers] if hop else [],
            },
            "response": {
                "status": hop.status if hop else None,
                "headers": self.evidence_headers(),
            },
            "readable": {
                "with_credentials": self.outcome.with_credentials,
                "without_credentials": self.outcome.without_credentials,
                "exposed_headers": list(self.outcome.exposed),
            },
            "also_accepted": [
                {"class": o.probe.class_id, "origin": o.probe.origin, "label": o.probe.label}
                for o in self.also
            ],
            "implied": self.implied,
        }


def _readable_phrase(outcome: Outcome) -> str:
    if outcome.with_credentials:
        return "can read it with the victim's cookies"
    if outcome.without_credentials:
        return "can read it (without cookies)"
    return "is answered with CORS headers but cannot read it"


def _severity(outcome: Outcome, target: ScanTarget, cls: MisconfigClass) -> Severity:
    return rate(
        with_credentials=outcome.with_credentials,
        without_credentials=outcome.without_credentials,
        internal=target.internal,
        cap=min(cls.cap, outcome.probe.cap),
    )


def _origin_findings(target: ScanTarget, attacks: Sequence[Outcome]) -> list[Finding]:
    by_class: dict[str, list[tuple[Severity, Outcome]]] = {}
    for outcome in attacks:
        class_id = outcome.probe.class_id
        if class_id is None or outcome.probe.kind != "get" or not outcome.origin_trusted:
            continue
        cls = CLASSES[class_id]
        by_class.setdefault(class_id, []).append((_severity(outcome, target, cls), outcome))
    findings = []
    for class_id, hits in by_class.items():
        hits.sort(key=lambda pair: pair[0], reverse=True)
        severity, main = hits[0]
        cls = CLASSES[class_id]
        where = " (internal target)" if target.internal and not main.with_credentials else ""
        explanation = f"A page on {main.probe.origin} {_readable_phrase(main)}{where}. {cls.description}"
        findings.append(Finding(cls, target.url, severity, explanation, main, [o for _, o in hits[1:]]))
    # Fold the hits a broader class explains into its finding.
    present = {f.class_id: f for f in findings}
    folded: set[str] = set()
    for finding in sorted(findings, key=lambda f: len(f.cls.implies), reverse=True):
        if finding.class_id in folded:
            continue
        for implied in finding.cls.implies:
            other = present.get(implied)
            if other is None or implied in folded or other.severity > finding.severity:
                continue
            finding.also += [other.outcome, *other.also]
            folded.add(implied)
    return [f for f in findings if f.class_id not in folded]


# Classes whose many probes a broader hit can make pointless: a server that lets a hostile page
# read with credentials from any origin, or from every origin that starts with or contains a
# trusted one, accepts these too or has no check left for them to bypass. Their hits could only
# be folded into that finding (it is already high), so they are decided, not sent.
DEDUCIBLE = frozenset({"special-characters", "third-party-origin", "localhost-origin"})


def implied_classes(target: ScanTarget, outcomes: Iterable[Outcome]) -> dict[str, tuple[str, str]]:
    """Deducible classes decided by a hit among ``outcomes``: class -> (deciding class, why)."""
    decided: dict[str, tuple[str, str]] = {}
    for outcome in outcomes:
        by = outcome.probe.class_id
        if by is None or outcome.probe.kind != "get" or not outcome.with_credentials:
            continue
        cls = CLASSES[by]
        if _severity(outcome, target, cls) < Severity.HIGH:
            continue
        for class_id in DEDUCIBLE.intersection(cls.implies):
            decided.setdefault(
                class_id,
                (
                    by,
                    f"implied by {by}: {outcome.probe.origin} is readable with credentials, so this"
                    " class's probes could add nothing to that finding; not sent",
                ),
            )
    return decided


def _first(outcomes: Iterable[Outcome], test: Any) -> Outcome | None:
    return next((o for o in outcomes if test(o)), None)


def _cacheable(outcome: Outcome) -> bool:
    status = outcome.status
    cache_control = (get_header(outcome.headers, "cache-control") or "").lower()
    return status in CACHEABLE_STATUSES and "no-store" not in cache_control


def _passive_findings(
    target: ScanTarget, baseline: Outcome, calibration: Sequence[Outcome], attacks: Sequence[Outcome]
) -> list[Finding]:
    findings: list[Finding] = []
    gets = [o for o in [*calibration, *attacks] if o.probe.kind == "get" and o.status is not None]
    wildcard = _first(gets, lambda o: o.wildcard)
    if wildcard is not None:
        cls = CLASSES["wildcard-origin"]
        sev = _severity(wildcard, target, cls)
        where = (
            " This target is internal: the browser of anyone inside becomes a proxy."
            if target.internal
            else ""
        )
        findings.append(
            Finding(
                cls, target.url, sev, f"Any page can read this response without cookies.{where}", wildcard
            )
        )
    invalid = _first(
        [*gets], lambda o: o.include_error in INVALID_ORIGIN_ERRORS or o.omit_error in INVALID_ORIGIN_ERRORS
    )
    if invalid is not None:
        value = get_header(invalid.headers, "access-control-allow-origin")
        kind = invalid.include_error or invalid.omit_error
        findings.append(
            Finding(
                CLASSES["invalid-allow-origin"],
                target.url,
                Severity.INFO,
                f"Access-Control-Allow-Origin {value!r} is rejected by browsers"
                f" ({kind.value if kind else 'invalid'}): no page can read the response.",
                invalid,
            )
        )
    static = get_header(baseline.headers, "access-control-allow-origin") if baseline.status else None
    values = {get_header(o.headers, "access-control-allow-origin") for o in gets} | {static}
    dynamic = len(values) > 1
    echoed = [
        o for o in gets if o.origin_trusted and get_header(o.headers, "access-control-allow-origin") != static
    ]
    credentialed = _first(echoed, lambda o: o.with_credentials)
    if dynamic and credentialed is not None:
        hostile = sorted({o.probe.origin or "" for o in echoed if not o.probe.trusted})
        tail = (
            f" {len(hostile)} hostile origin(s) were accepted: see the other findings."
            if hostile
            else " No hostile origin was accepted by corsight's probes."
        )
        findings.append(
            Finding(
                CLASSES["credentials-dynamic-origin"],
                target.url,
                Severity.INFO,
                f"{credentialed.probe.origin} is echoed with Access-Control-Allow-Credentials: true.{tail}",
                credentialed,
            )
        )
    if dynamic:
        unvaried = _first(
            gets, lambda o: not varies_on(get_header(o.headers, "vary"), "origin") and _cacheable(o)
        )
        if unvaried is not None:
            other = _first(
                gets,
                lambda o: (
                    get_header(o.headers, "access-control-allow-origin")
                    != get_header(unvaried.headers, "access-control-allow-origin")
                ),
            )
            acao = get_header(unvaried.headers, "access-control-allow-origin")
            findings.append(
                Finding(
                    CLASSES["missing-vary-origin"],
                    target.url,
                    Severity.LOW,
                    f"Access-Control-Allow-Origin changes with the Origin (here {acao or 'absent'}) but"
                    f" the cacheable response (status {unvaried.status}) has no 'Vary: Origin'.",
                    unvaried,
                    related=[other] if other else [],
                )
            )
    return findings


def _preflight_findings(target: ScanTarget, preflights: Sequence[Outcome]) -> list[Finding]:
    findings: list[Finding] = []
    permissive = [o for o in preflights if o.probe.kind == "preflight" and o.preflight_passed]
    if permissive:
        permissive.sort(key=lambda o: o.probe.trusted)
        main = permissive[0]
        cls = CLASSES["permissive-preflight"]
        asked = ", ".join(sorted({o.probe.label.split(" (")[0] for o in permissive}))
        if main.probe.trusted:
            sev = Severity.INFO
            who = f"the trusted origin {main.probe.origin}"
        else:
            sev = Severity.HIGH
            who = f"the hostile origin {main.probe.origin}"
        findings.append(
            Finding(
                cls,
                target.url,
                sev,
                f"A credentialed preflight from {who} is allowed for {asked}.",
                main,
                also=permissive[1:],
            )
        )
    pna = _first(preflights, lambda o: o.probe.kind == "pna" and o.pna_granted and o.preflight_passed)
    if pna is not None:
        cls = CLASSES["private-network-access"]
        if target.internal:
            sev = rate(with_credentials=pna.with_credentials, without_credentials=True, internal=True)
            note = "This target is internal: public pages can reach it through visitors' browsers."
        else:
            sev = Severity.INFO
            note = "It matters only if this host is on a private network (scan with --internal if so)."
        findings.append(
            Finding(
                cls,
                target.url,
                sev,
                f"The private-network preflight from {pna.probe.origin} is granted. {note}",
                pna,
            )
        )
    return findings


def find_misconfigurations(
    target: ScanTarget,
    baseline: Outcome,
    calibration: Sequence[Outcome],
    attacks: Sequence[Outcome],
    preflights: Sequence[Outcome],
) -> list[Finding]:
    """Every class is evaluated; findings come back worst first."""
    findings = _origin_findings(target, attacks)
    findings += _passive_findings(target, baseline, calibration, attacks)
    findings += _preflight_findings(target, preflights)
    findings.sort(key=lambda f: (-f.severity, f.class_id))
    return findings


ALL_CLASS_IDS = tuple(CLASSES)
__all__ = [
    "ALL_CLASS_IDS",
    "DEDUCIBLE",
    "ORIGIN_CLASSES",
    "Finding",
    "find_misconfigurations",
    "implied_classes",
]
