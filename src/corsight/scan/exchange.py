"""One probe, sent the way a browser would send it and judged by the browser model.

Cross-origin probes are driven by :class:`corsight.browser.Fetch` with credentials
``include`` (redirects within the target's site followed, non-safe actual requests never
sent); the same answers are replayed through :func:`corsight.browser.simulate` with
credentials ``omit``. So "readable with credentials" and "readable without credentials" are
the model's verdicts, not rules of the scanner's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from corsight.browser import (
    Exchange,
    Fetch,
    Origin,
    Outgoing,
    PreflightCache,
    Request,
    Response,
    URLError,
    Verdict,
    cors_check,
    exposed_header_names,
    parse_origin,
    prepare_request,
    simulate,
    wire_headers,
)
from corsight.browser.messages import SAME_WITHOUT_CREDENTIALS, CorsError, NetError
from corsight.browser.private_network import (
    evaluate_private_network_preflight,
    private_network_preflight,
)
from corsight.scan.probes import Probe
from corsight.scan.target import ScanTarget, registrable_domain
from corsight.scan.transport import NetFailure, RawResponse, Transport
from corsight.types import HeaderPairs

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_REDIRECTS = 5


def _evidence(
    step: Outgoing, sent: HeaderPairs, response: Response | None = None, error: str | None = None
) -> Exchange:
    """The evidence of one request: the model's exchange record, holding the header lines as
    they went on the wire (the transport's Host and User-Agent included)."""
    request = Outgoing(step.kind, step.method, step.url, sent, credentials=step.credentials)
    return Exchange(request, response, error)


@dataclass
class Outcome:
    """What a probe found: the model's verdicts and the evidence."""

    probe: Probe
    hops: list[Exchange] = field(default_factory=list)
    with_credentials: bool = False
    without_credentials: bool = False
    include_error: CorsError | None = None
    omit_error: CorsError | None = None
    exposed: tuple[str, ...] = ()
    net_error: NetError | None = None
    error: str | None = None
    preflight_passed: bool = False
    pna_granted: bool = False
    note: str = ""
    requests: int = 0  # sent on the wire for this probe, retries and redirects included

    @property
    def evidence(self) -> Exchange | None:
        """The exchange that proves the outcome: the preflight for preflight probes, else the
        last."""
        if self.probe.kind == "preflight":
            for hop in self.hops:
                if hop.kind == "preflight":
                    return hop
        return self.hops[-1] if self.hops else None

    @property
    def status(self) -> int | None:
        hop = self.evidence
        return hop.status if hop else None

    @property
    def headers(self) -> HeaderPairs:
        hop = self.evidence
        return hop.response.headers if hop and hop.response else ()

    @property
    def origin_trusted(self) -> bool:
        """The server accepted this very origin (an echo), as opposed to answering ``*``."""
        if self.with_credentials:
            return True
        return self.without_credentials and self.include_error is not CorsError.WILDCARD_ORIGIN_NOT_ALLOWED

    @property
    def wildcard(self) -> bool:
        return self.without_credentials and self.include_error is CorsError.WILDCARD_ORIGIN_NOT_ALLOWED


@lru_cache(maxsize=1024)
def page_origin(text: str) -> Origin:
    """The probe's origin as the model's :class:`Origin`; hosts with characters that the
    model's strict parser refuses are split by hand (the point of those probes). Cached: every
    URL is probed with the same few dozen origins."""
    try:
        return parse_origin(text)
    except URLError:
        parts = urlsplit(text)
        return Origin(parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)


def _same_site(target: ScanTarget, url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == target.host:
        return True
    return target.registrable is not None and registrable_domain(host) == target.registrable


def _failure(outcome: Outcome, exc: NetFailure) -> Outcome:
    outcome.requests += exc.attempts
    outcome.net_error = exc.kind
    outcome.error = f"{exc.kind.value}: {exc.detail}"
    return outcome


async def send_direct(transport: Transport, target: ScanTarget, probe: Probe) -> Outcome:
    """A plain GET with the probe's Origin (or none: a same-origin fetch), judged with the
    model's CORS check as if a page of that origin had made it. Used for the baseline and the
    trusted candidates."""
    outcome = Outcome(probe)
    step = Outgoing("actual", "GET", target.url, () if probe.origin is None else (("Origin", probe.origin),))
    wire = wire_headers(step)
    try:
        answer = await transport.send("GET", target.url, wire)
    except NetFailure as exc:
        outcome.hops.append(_evidence(step, tuple(wire), error=exc.detail))
        return _failure(outcome, exc)
    outcome.requests += answer.attempts
    outcome.hops.append(_evidence(step, answer.sent, Response(answer.status, answer.headers)))
    if probe.origin is not None:
        inc, _ = cors_check(answer.headers, probe.origin, credentials_included=True)
        omit, _ = cors_check(answer.headers, probe.origin, credentials_included=False)
        outcome.with_credentials = inc is None
        outcome.without_credentials = omit is None
        outcome.include_error = inc.kind if inc else None
        outcome.omit_error = omit.kind if omit else None
        if omit is None:
            outcome.exposed = tuple(exposed_header_names(answer.headers, credentials_included=inc is None))
    return outcome


def _request(target: ScanTarget, probe: Probe, credentials: str) -> Request:
    """The model's request for a page of the probe's origin: prepared once per URL and probe
    shape, then given each probe's origin (prepare_request uses the origin for nothing else;
    tests/scan/test_scan_units.py holds it to that)."""
    assert probe.origin is not None
    template = _prepared(target.url, probe.method, probe.headers, credentials)
    return replace(template, origin=page_origin(probe.origin))


@lru_cache(maxsize=256)
def _prepared(url: str, method: str, headers: tuple[tuple[str, str], ...], credentials: str) -> Request:
    return prepare_request(
        url,
        origin=Origin("https", "corsight-template.invalid", 443),
        method=method,
        headers=list(headers),
        credentials=credentials,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class _Judgement:
    with_credentials: bool
    include_error: CorsError | None
    without_credentials: bool
    omit_error: CorsError | None
    exposed: tuple[str, ...]


# The model's judgement of a hostile GET that its first answer settled (no redirect followed),
# by (target's origin, page's origin, method, headers, status, response headers). CORS compares
# origins and headers, never the path (tests/scan/test_scan_units.py holds the model to that), and
# an API answers most probes alike on every path: a scan of many URLs of one site judges each
# distinct answer once.
_JUDGED: dict[tuple[Any, ...], _Judgement] = {}
MAX_JUDGED = 50_000


def _judged(outcome: Outcome, judgement: _Judgement) -> Outcome:
    outcome.with_credentials = judgement.with_credentials
    outcome.include_error = judgement.include_error
    outcome.without_credentials = judgement.without_credentials
    outcome.omit_error = judgement.omit_error
    outcome.exposed = judgement.exposed
    outcome.preflight_passed = True
    return outcome


# The header lines of a hostile GET's first request, which the model sends straight to the
# target URL, by (target's origin, page's origin, method, headers): the same on every path.
_FIRST: dict[tuple[Any, ...], list[tuple[str, str]]] = {}


async def send_fetch(transport: Transport, target: ScanTarget, probe: Probe) -> Outcome:
    """Drive the model's fetch for a page of the probe's origin, with credentials."""
    outcome = Outcome(probe)
    shape = (target.origin, probe.origin, probe.method, probe.headers) if probe.kind == "get" else None
    early: RawResponse | NetFailure | None = None
    if shape is not None and shape in _FIRST:
        # Send what the model is known to send first, and skip the model if the answer is one
        # it already judged for this site.
        try:
            early = await transport.send("GET", target.url, _FIRST[shape])
        except NetFailure as exc:
            early = exc
        if isinstance(early, RawResponse):
            judgement = _JUDGED.get((*shape, early.status, early.headers))
            if judgement is not None:
                outcome.requests += early.attempts
                first_step = Outgoing("actual", "GET", target.url, (), credentials=True)
                outcome.hops.append(_evidence(first_step, early.sent, Response(early.status, early.headers)))
                return _judged(outcome, judgement)
    request = _request(target, probe, "include")
    fetch = Fetch(request, cache=PreflightCache())
    answers: dict[tuple[str, str], Response] = {}
    step: Outgoing | Verdict = fetch.start()
    if shape is not None and isinstance(step, Outgoing) and step.kind == "actual" and step.url == target.url:
        if len(_FIRST) >= MAX_JUDGED:
            _FIRST.clear()
        first = _FIRST.setdefault(shape, wire_headers(step))
        if early is not None and first != wire_headers(step):  # pragma: no cover - defensive
            outcome.requests += early.attempts
            early = None  # not what the model sends now: send that instead
    stopped_before_actual = False
    settled: tuple[Any, ...] | None = None
    while isinstance(step, Outgoing):
        if step.kind == "actual" and step.method not in SAFE_METHODS:
            stopped_before_actual = True
            step = fetch.stop(f"the {step.method} request itself is not sent by the scanner")
            break
        if len(outcome.hops) > MAX_REDIRECTS * 2 or not _same_site(target, step.url):
            outcome.note = f"redirect to {step.url} not followed (outside the target's site)"
            step = fetch.stop(outcome.note)
            break
        wire = wire_headers(step)
        try:
            if early is not None:  # the first request, already sent with these same headers
                answer, early = early, None
                if isinstance(answer, NetFailure):
                    raise answer
            else:
                answer = await transport.send(step.method, step.url, wire)
        except NetFailure as exc:
            outcome.hops.append(_evidence(step, tuple(wire), error=exc.detail))
            _failure(outcome, exc)
            step = fetch.network_error(exc.kind, exc.detail)
            break
        outcome.requests += answer.attempts
        response = Response(answer.status, answer.headers)  # already a tuple of str pairs
        outcome.hops.append(_evidence(step, answer.sent, response))
        answers[(step.method, step.url)] = response
        if shape is not None and step.kind == "actual" and len(outcome.hops) == 1:
            settled = (*shape, answer.status, answer.headers)
            judgement = _JUDGED.get(settled)
            if judgement is not None:
                return _judged(outcome, judgement)
        step = fetch.receive(response)
    verdict = step
    outcome.with_credentials = verdict.allowed and verdict.complete
    outcome.include_error = verdict.cors_error
    outcome.preflight_passed = stopped_before_actual or any(h.kind == "actual" for h in outcome.hops)
    if outcome.with_credentials:
        outcome.exposed = verdict.exposed_headers
    if probe.kind == "get" and outcome.net_error is None:
        if outcome.with_credentials or verdict.cors_error in SAME_WITHOUT_CREDENTIALS:
            # What the credentialed fetch proved holds without credentials too: every check is
            # as strict or less without them, and the model names the refusals credentials
            # cannot cause (tests/browser/test_browser_credentials.py holds it to that).
            outcome.without_credentials = outcome.with_credentials
            outcome.omit_error = verdict.cors_error
        else:
            # The same request with credentials "omit" (prepare_request's result differs only
            # in that field), replayed against the same answers.
            omitted = simulate(replace(request, credentials="omit"), answers)
            outcome.without_credentials = omitted.allowed and omitted.complete
            outcome.omit_error = omitted.cors_error
            if outcome.without_credentials:
                outcome.exposed = omitted.exposed_headers
        if settled is not None and len(verdict.exchanges) == 1 and outcome.note == "":
            if len(_JUDGED) >= MAX_JUDGED:
                _JUDGED.clear()
            _JUDGED[settled] = _Judgement(
                outcome.with_credentials,
                outcome.include_error,
                outcome.without_credentials,
                outcome.omit_error,
                outcome.exposed,
            )
    return outcome


async def send_pna(transport: Transport, target: ScanTarget, probe: Probe) -> Outcome:
    """A private-network preflight (as Chromium sends before a public page reaches a private
    address), judged by the model with and without credentials."""
    assert probe.origin is not None
    outcome = Outcome(probe)
    step = private_network_preflight(_request(target, probe, "include"), probe.origin)
    wire = wire_headers(step)
    try:
        answer = await transport.send(step.method, step.url, wire)
    except NetFailure as exc:
        outcome.hops.append(_evidence(step, tuple(wire), error=exc.detail))
        return _failure(outcome, exc)
    outcome.requests += answer.attempts
    outcome.hops.append(_evidence(step, answer.sent, Response(answer.status, answer.headers)))
    include, omit = (
        evaluate_private_network_preflight(
            _request(target, probe, credentials), answer.status, answer.headers, probe.origin
        )
        for credentials in ("include", "omit")
    )
    outcome.with_credentials = include.failure is None
    outcome.include_error = include.failure.kind if include.failure else None
    outcome.without_credentials = omit.failure is None
    outcome.omit_error = omit.failure.kind if omit.failure else None
    outcome.pna_granted = include.granted
    outcome.preflight_passed = outcome.with_credentials or outcome.without_credentials
    return outcome


async def send_probe(transport: Transport, target: ScanTarget, probe: Probe) -> Outcome:
    if probe.kind == "pna":
        return await send_pna(transport, target, probe)
    if (probe.trusted and probe.kind == "get") or probe.origin is None:
        return await send_direct(transport, target, probe)
    return await send_fetch(transport, target, probe)
