"""The fetch driver: a sans-IO state machine that walks one ``fetch()`` through preflight,
actual request and redirects, and ends in a :class:`Verdict`.

The caller does the I/O::

    fetch = Fetch(request, cache=cache, now=time.monotonic())
    step = fetch.start()
    while isinstance(step, Outgoing):
        step = fetch.receive(send_somehow(step))      # or fetch.network_error(NetError...)
    verdict = step

``Fetch.stop()`` ends early (e.g. a tool that must not send a non-idempotent request) with a
verdict that says what was not verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from corsight.browser.cache import PreflightCache
from corsight.browser.checks import (
    FORBIDDEN_RESPONSE_HEADERS,
    Check,
    Failure,
    cors_check,
    evaluate_preflight,
    exposed_header_names,
    header_lines,
    is_redirect,
)
from corsight.browser.messages import (
    CorsError,
    NetError,
    chrome_message,
    chrome_net_message,
    firefox_key,
    firefox_message,
)
from corsight.browser.redirects import follow_redirect
from corsight.browser.request import (
    Request,
    access_control_request_headers,
    preflight_headers,
    preflight_reasons,
)
from corsight.browser.urls import is_http_url, origin_of, same_origin

#: Which step of a fetch an exchange is: the preflight or the actual request.
StepKind = Literal["preflight", "actual"]


@dataclass(frozen=True)
class Response:
    """What a server answered: status and header lines exactly as received."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, status: int, headers: Sequence[tuple[str, str]] = ()) -> Response:
        return cls(status, tuple((str(n), str(v)) for n, v in headers))


@dataclass(frozen=True)
class Outgoing:
    """A request the browser sends now: ``kind`` is ``preflight`` or ``actual``. ``headers`` are
    the ones the page's request carries plus those the CORS protocol adds (Chromium also adds
    Host, User-Agent, Accept-*, Sec-Fetch-*, Referer: the transport's business)."""

    kind: StepKind
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None
    credentials: bool = False


@dataclass(frozen=True)
class Exchange:
    """One request of a fetch and what came of it: the ``response``, or the network ``error``
    that took its place; neither when the request was not ``sent`` (a tool stopped before it).
    The one record of a request/response pair: ``corsight check`` puts the header lines as they
    went out in ``request.headers``, ``corsight har`` those the HAR recorded."""

    request: Outgoing
    response: Response | None = None
    error: str | None = None
    sent: bool = True

    def to_dict(self) -> dict[str, object]:
        """The JSON form (an entry of ``corsight check --json``'s ``timeline``)."""
        response = self.response
        return {
            "kind": self.request.kind,
            "method": self.request.method,
            "url": self.request.url,
            "sent": self.sent,
            "request_headers": [[n, v] for n, v in self.request.headers],
            "response": None
            if response is None
            else {"status": response.status, "headers": [[n, v] for n, v in response.headers]},
        }

    @property
    def kind(self) -> StepKind:
        return self.request.kind

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status


@dataclass(frozen=True)
class Verdict:
    """The outcome of a fetch as the page experiences it."""

    allowed: bool
    cors_error: CorsError | None = None
    net_error: NetError | None = None
    hint: str = ""
    chrome: str | None = None
    firefox: str | None = None
    failed_check: Check | None = None
    checks: tuple[Check, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    exposed_headers: tuple[str, ...] = ()
    complete: bool = True
    cors_applies: bool = True
    notes: tuple[str, ...] = ()
    final_request: Request | None = None

    @property
    def error(self) -> str | None:
        if self.cors_error is not None:
            return self.cors_error.value
        if self.net_error is not None:
            return self.net_error.value
        return None


@dataclass
class Fetch:
    """One ``fetch()`` of ``request``; see the module docstring for the loop."""

    request: Request
    cache: PreflightCache = field(default_factory=PreflightCache)
    now: float = 0.0
    authorization_covered_by_wildcard: bool = True
    initiator: str = "fetch"

    def __post_init__(self) -> None:
        self._current = self.request
        self._tainted = False
        self._cors_flag = False
        self._redirects = 0
        self._checks: list[Check] = []
        self._exchanges: list[Exchange] = []
        self._pending: Outgoing | None = None
        self._notes: list[str] = []
        self._done: Verdict | None = None
        self.cache.authorization_covered_by_wildcard = self.authorization_covered_by_wildcard

    # --- public state -------------------------------------------------------------------------

    @property
    def serialized_origin(self) -> str:
        """The ``Origin`` the browser sends now: ``null`` once a redirect tainted the request."""
        return "null" if self._tainted else self.request.origin.serialize()

    @property
    def current(self) -> Request:
        return self._current

    @property
    def pending(self) -> Outgoing | None:
        return self._pending

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(self._checks)

    # --- driving ----------------------------------------------------------------------------------

    def start(self) -> Outgoing | Verdict:
        for dropped in self.request.dropped_headers:
            self._check(
                "request",
                "forbidden-header",
                True,
                f"{dropped.name} is a forbidden request header: fetch() drops it silently",
            )
        return self._begin_hop()

    def receive(self, response: Response) -> Outgoing | Verdict:
        """Feed the response to the pending request."""
        pending = self._take_pending()
        self._exchanges.append(Exchange(pending, response))
        if pending.kind == "preflight":
            return self._on_preflight(response)
        return self._on_actual(response)

    def network_error(self, error: NetError, detail: str = "") -> Verdict:
        """The pending request got no HTTP response (refused, reset, TLS, timeout…)."""
        pending = self._take_pending()
        self._exchanges.append(Exchange(pending, None, error.value))
        self._check(pending.kind, "network", False, detail or f"{error.value}: no HTTP response")
        return self._finish_net(error)

    def stop(self, reason: str) -> Verdict:
        """End before sending the pending request; the verdict reports what was not verified."""
        pending = self._take_pending()
        self._notes.append(reason)
        self._check(pending.kind, "not-sent", True, reason)
        return self._verdict(True, complete=False)

    # --- internals ------------------------------------------------------------------------------

    def _take_pending(self) -> Outgoing:
        if self._pending is None:
            raise RuntimeError("no request is pending")
        pending, self._pending = self._pending, None
        return pending

    def _check(self, stage: str, name: str, passed: bool, detail: str) -> Check:
        check = Check(name, passed, detail, stage)
        self._checks.append(check)
        return check

    def _begin_hop(self) -> Outgoing | Verdict:
        req = self._current
        url_origin = origin_of(req.url)
        if not same_origin(req.origin, url_origin):
            self._cors_flag = True
        if not self._cors_flag:
            self._check("request", "same-origin", True, "same-origin request: CORS does not apply")
            return self._send_actual()
        if not is_http_url(req.url):
            check = self._check("request", "scheme", False, f"{req.url} is not http(s)")
            return self._fail(Failure(CorsError.CORS_DISABLED_SCHEME), check)
        reasons = preflight_reasons(req)
        if not reasons:
            self._check(
                "preflight",
                "needed",
                True,
                "not needed: method and headers are CORS-safelisted (a 'simple' request)",
            )
            return self._send_actual()
        origin = self.serialized_origin
        if self.cache.can_skip_preflight(req, origin, req.url, self.now):
            self._check(
                "preflight",
                "cache",
                True,
                "needed (" + "; ".join(reasons) + ") but a cached preflight result covers it",
            )
            return self._send_actual()
        self._check("preflight", "needed", True, "needed: " + "; ".join(reasons))
        self._pending = Outgoing("preflight", "OPTIONS", req.url, tuple(preflight_headers(req, origin)))
        return self._pending

    def _send_actual(self) -> Outgoing:
        req = self._current
        headers = list(req.headers)
        if self._cors_flag or req.method not in ("GET", "HEAD"):
            headers.append(("Origin", self.serialized_origin))
        self._pending = Outgoing(
            "actual",
            req.method,
            req.url,
            tuple(headers),
            req.body_bytes,
            credentials=req.credentials == "include"
            or (req.credentials == "same-origin" and not self._cors_flag),
        )
        return self._pending

    def _on_preflight(self, response: Response) -> Outgoing | Verdict:
        req = self._current
        origin = self.serialized_origin
        failure, checks, result = evaluate_preflight(
            req,
            response.status,
            response.headers,
            origin,
            authorization_covered_by_wildcard=self.authorization_covered_by_wildcard,
        )
        for c in checks:
            self._checks.append(Check(c.name, c.passed, c.detail, "preflight"))
        if failure is not None or result is None:
            self.cache.clear(origin, req.url)
            assert failure is not None
            return self._fail(failure, self._checks[-1], response)
        stored = self.cache.store(origin, req.url, result, self.now)
        self._check(
            "preflight",
            "max-age",
            True,
            f"cached for {result.max_age} s" if stored else "not cached (max-age 0 or less)",
        )
        return self._send_actual()

    def _on_actual(self, response: Response) -> Outgoing | Verdict:
        req = self._current
        if self._cors_flag and response.status != 304:
            failure, checks = cors_check(
                response.headers,
                self.serialized_origin,
                credentials_included=req.credentials_included,
            )
            stage = "redirect" if is_redirect(response.status, response.headers) else "actual"
            for c in checks:
                self._checks.append(Check(c.name, c.passed, c.detail, stage))
            if failure is not None:
                return self._fail(failure, self._checks[-1], response)
        if is_redirect(response.status, response.headers):
            outcome = follow_redirect(
                req,
                response.status,
                response.headers,
                redirect_count=self._redirects,
                tainted=self._tainted,
                cors_flag=self._cors_flag,
            )
            if outcome.request is None:
                check = self._check("redirect", "location", False, outcome.detail)
                if outcome.cors_error is not None:
                    return self._fail(Failure(outcome.cors_error), check, response)
                assert outcome.net_error is not None
                return self._finish_net(outcome.net_error)
            self._redirects += 1
            was_tainted = self._tainted
            self._tainted = outcome.tainted
            detail = f"{response.status} to {outcome.location}"
            if outcome.request.method != req.method:
                detail += f"; method becomes {outcome.request.method} without a body"
            if self._tainted and not was_tainted:
                detail += "; the origin is now tainted: later requests send 'Origin: null'"
            self._check("redirect", "follow", True, detail)
            self._current = outcome.request
            return self._begin_hop()
        if not self._cors_flag:
            names = sorted({n.lower() for n, _ in response.headers} - FORBIDDEN_RESPONSE_HEADERS)
            return self._verdict(True, exposed=names)
        exposed = exposed_header_names(response.headers, credentials_included=req.credentials_included)
        self._check("actual", "exposed-headers", True, "script can read: " + ", ".join(exposed))
        return self._verdict(True, exposed=exposed)

    def _fail(self, failure: Failure, check: Check, response: Response | None = None) -> Verdict:
        req = self._current
        chrome = chrome_message(
            failure.kind,
            url=req.url,
            origin=self.request.origin.serialize(),
            hint=failure.hint,
            initial_url=self.request.url,
            initiator=self.initiator,
        )
        lines = len(header_lines(response.headers, "access-control-allow-origin")) if response else 0
        key = firefox_key(failure.kind, allow_origin_lines=lines)
        firefox = None
        if key is not None:
            arg = failure.firefox_arg
            if key in ("CORSMissingAllowOrigin2", "CORSPreflightDidNotSucceed3") and response:
                arg = str(response.status)
            firefox = firefox_message(key, url=req.url, arg=arg)
        return self._verdict(
            False,
            cors_error=failure.kind,
            hint=failure.hint,
            chrome=chrome,
            firefox=firefox,
            failed=check,
        )

    def _finish_net(self, error: NetError) -> Verdict:
        req = self._current
        chrome = chrome_net_message(error)
        firefox = firefox_message("CORSDidNotSucceed2", url=req.url, arg="(null)")
        failed = next((c for c in reversed(self._checks) if not c.passed), None)
        return self._verdict(False, net_error=error, chrome=chrome, firefox=firefox, failed=failed)

    def _verdict(
        self,
        allowed: bool,
        *,
        cors_error: CorsError | None = None,
        net_error: NetError | None = None,
        hint: str = "",
        chrome: str | None = None,
        firefox: str | None = None,
        failed: Check | None = None,
        exposed: Sequence[str] = (),
        complete: bool = True,
    ) -> Verdict:
        self._done = Verdict(
            allowed=allowed,
            cors_error=cors_error,
            net_error=net_error,
            hint=hint,
            chrome=chrome,
            firefox=firefox,
            failed_check=failed,
            checks=tuple(self._checks),
            exchanges=tuple(self._exchanges),
            exposed_headers=tuple(exposed),
            complete=complete,
            cors_applies=self._cors_flag,
            notes=tuple(self._notes),
            final_request=self._current,
        )
        return self._done


def simulate(
    request: Request,
    responses: dict[tuple[str, str], Response],
    *,
    cache: PreflightCache | None = None,
    now: float = 0.0,
    authorization_covered_by_wildcard: bool = True,
) -> Verdict:
    """Run a fetch against scripted responses keyed by ``(method, url)``; a missing key is a
    connection refused. Handy for tests, docs and what-if questions."""
    fetch = Fetch(
        request,
        cache=cache if cache is not None else PreflightCache(),
        now=now,
        authorization_covered_by_wildcard=authorization_covered_by_wildcard,
    )
    step = fetch.start()
    while isinstance(step, Outgoing):
        response = responses.get((step.method, step.url))
        if response is None:
            return fetch.network_error(NetError.CONNECTION_REFUSED)
        step = fetch.receive(response)
    return step


__all__ = [
    "Exchange",
    "Fetch",
    "Outgoing",
    "Response",
    "Verdict",
    "access_control_request_headers",
    "simulate",
]
