"""The diagnosis: what really went wrong with a ``fetch()``, in words, and the fix.

:func:`diagnose` turns the browser model's :class:`~corsight.browser.Verdict` on a request
(with the exchanges it saw) into one typed :class:`Diagnosis`: the :class:`Cause` — a 405 on
``OPTIONS`` or an authentication layer is not fixed like a missing header —, its headline and a
summary that says what to do, the response headers the server must send
(:class:`RequiredHeader`, judged by the browser model), and the fix as the policy that lets the
request through (:class:`PolicyFix`) with a ready configuration for each server (``corsight
export``'s output). Every tool — ``check``, ``har``, ``testing``, ``ui`` — renders this one
record; none decides a cause of its own. Pure: no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal

from corsight.browser.checks import Check, get_header, is_redirect
from corsight.browser.fetch import Exchange, Verdict
from corsight.browser.messages import NET_ERROR_EXPLANATIONS, CorsError
from corsight.browser.request import Request, RequestError, needs_preflight
from corsight.browser.requirements import (
    HeaderRequirement,
    preflight_requirements,
    response_requirements,
)
from corsight.errors import PolicyError
from corsight.httpsyntax import vary_names
from corsight.policy import DEFAULT_METHODS
from corsight.types import HeaderLines

if TYPE_CHECKING:
    from corsight.export import Exported

#: The servers a fix is written for (``--server``), in the order help texts list them.
SERVERS = ("fastapi", "starlette", "flask", "django", "express", "nginx", "apache", "caddy")
#: ``corsight export`` target per server: any ASGI app takes the FastAPI configuration.
EXPORT_TARGET = {"starlette": "fastapi"}


class Cause(str, Enum):
    """What really went wrong (or that nothing did): its ``problem`` family (``--json``'s
    ``problem``: ``None`` when nothing failed) and its ``words`` as a headline (for the CORS
    headers, the failed check says which; for a request not sent, which one)."""

    problem: str | None
    words: str

    def __new__(cls, value: str, problem: str | None = None, words: str = "") -> Cause:
        member = str.__new__(cls, value)
        member._value_ = value
        member.problem = problem
        member.words = words
        return member

    ALLOWED = "allowed", None, "The page's script can read the response"
    NOT_VERIFIED = "not-verified", None
    FETCH_REFUSED = "fetch-refused", "request", "fetch() throws before sending anything"
    CORS_HEADERS = "cors-headers", "cors"  # missing or wrong
    POLICY_REFUSAL = (
        "policy-refusal",  # a CORS middleware answered the preflight 403
        "policy",
        "The server's CORS policy refuses this origin, method or headers",
    )
    PREFLIGHT_NOT_HANDLED = (
        "preflight-not-handled",  # OPTIONS → 404, 405 or 501
        "preflight-not-handled",
        "Nothing on the server answers the preflight",
    )
    AUTH_BEFORE_CORS = (
        "auth-before-cors",  # OPTIONS → 401 or 403 from authentication
        "auth",
        "Authentication rejects the preflight, which never carries credentials",
    )
    PREFLIGHT_SERVER_ERROR = "preflight-server-error", "server-error", "The server fails on the preflight"
    SERVER_ERROR = (
        "server-error",  # the response is a 5xx without CORS headers
        "server-error",
        "The server fails, and its error response has no CORS headers",
    )
    PREFLIGHT_REDIRECT = (
        "preflight-redirect",
        "redirect",
        "The preflight is redirected, and browsers never follow a preflight's redirect",
    )
    REDIRECT_TAINTED_ORIGIN = (
        "redirect-tainted-origin",
        "redirect",
        "A redirect to another origin made the browser send Origin: null",
    )
    REDIRECT_CREDENTIALS = "redirect-credentials", "redirect", "A redirect's Location contains user:password@"
    REDIRECT_FAILED = (
        "redirect-failed",
        "redirect",
        "A redirect stops the request",
    )  # refused by the network stack
    NETWORK = "network", "network", "The request fails in the network, before CORS is checked"

    @property
    def fixed_by_policy(self) -> bool:
        """Whether CORS settings on the server are (part of) the fix."""
        return self.problem in ("cors", "policy", "preflight-not-handled", "auth", "server-error")


_STAGES = {
    "preflight": "The preflight response",
    "redirect": "The redirect response",
    "actual": "The response",
}
_CHECK_WORDS = {
    "allow-origin": "{stage} does not allow this origin: {detail}",
    "allow-credentials": "{stage} does not allow credentials: Access-Control-Allow-Credentials {detail}",
    "method": "{stage} does not allow the method: {detail}",
    "headers": "{stage} does not allow a request header: {detail}",
    "ok-status": "{stage} is not a success: {detail}",
}

Stage = Literal["preflight", "redirect", "actual"]


@dataclass(frozen=True)
class RequiredHeader:
    """A header the server must send ``on`` a response (the ``preflight``, a ``redirect`` or
    the ``actual`` one): a ``value`` that passes, the response's own value (``current``, ``None``
    when absent) and whether that one passes (``ok``). ``received`` is False when that response
    was never seen (the request was not sent): then nothing is known of its headers."""

    on: Stage
    name: str
    value: str
    current: str | None
    ok: bool
    received: bool = True

    @property
    def now(self) -> str:
        """What the response sends today, in words: ``now absent``, ``now 'x'``, or that it is
        unknown (the request was not sent)."""
        if not self.received:
            return "unknown: not sent"
        return "now absent" if self.current is None else f"now {self.current!r}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PolicyFix:
    """The CORS policy that lets the request through: its origin, the methods beyond the
    defaults (GET, HEAD, POST), the request headers to allow, and credentials."""

    origin: str
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    credentials: bool = False

    def settings(self) -> dict[str, object]:
        """The :class:`~corsight.policy.Policy` keywords that differ from the defaults."""
        settings: dict[str, object] = {"allow_origins": [self.origin]}
        if self.methods:
            settings["allow_methods"] = [*DEFAULT_METHODS, *self.methods]
        if self.headers:
            settings["allow_headers"] = list(self.headers)
        if self.credentials:
            settings["allow_credentials"] = True
        return settings

    def export(self, server: str) -> Exported:
        """The configuration for ``server`` (one of :data:`SERVERS`): ``corsight export``'s
        output for this policy, proved in the real servers. Raises :class:`PolicyError` or
        :class:`ExportError` when no safe configuration exists."""
        return _exported(self, EXPORT_TARGET.get(server, server))

    def snippet(self, server: str) -> str:
        """:meth:`export`'s content, or a comment saying why there is none."""
        from corsight.export import ExportError

        try:
            return self.export(server).content
        except (PolicyError, ExportError) as exc:
            return f"# corsight cannot write this configuration safely: {exc}\n"


# A HAR's failed requests mostly share an origin, methods and headers: each configuration is
# built once (a Policy and an export take milliseconds), not once per request and server.
# Callers must not modify the Exported they get.
@functools.lru_cache(maxsize=1024)
def _exported(fix: PolicyFix, target: str) -> Exported:
    from corsight.export import export  # the exporters load only when a fix is written
    from corsight.policy import Policy

    return export(Policy(**fix.settings()), target)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong and the fix. ``title`` is the cause in words and ``summary`` what to
    do; ``required`` the headers the server must send (those with ``ok`` False are missing or
    wrong), ``fix`` the policy that sends them (``None`` when CORS settings cannot help: a
    redirect, the network, fetch() itself), ``snippets`` its configuration per server, and
    ``step`` the exchange that decided (where the browser stopped, or the last one)."""

    cause: Cause
    title: str
    summary: str
    required: tuple[RequiredHeader, ...] = ()
    fix: PolicyFix | None = None
    snippets: Mapping[str, str] = field(default_factory=dict)
    step: Exchange | None = None

    @property
    def headline(self) -> str:
        """The title with the step that decided it: ``… the preflight (OPTIONS → 405)``."""
        step = self.step
        if step is None or step.response is None:
            return self.title
        return f"{self.title} ({step.request.method} → {step.response.status})"

    @property
    def missing(self) -> tuple[RequiredHeader, ...]:
        """The required headers the server does not send as needed (or not known to)."""
        return tuple(r for r in self.required if not r.ok)

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``fixes`` in ``corsight check --json``, ``fix`` in ``har --json``)."""
        return {
            "problem": self.cause.problem,
            "cause": self.cause.value,
            "title": self.title,
            "summary": self.summary,
            "headers": [r.to_dict() for r in self.required],
            "snippets": dict(self.snippets),
        }


@dataclass(frozen=True)
class Context:
    """What a tool knows besides the request and the verdict: the servers to write a
    configuration for (none: no snippets)."""

    servers: Sequence[str] = SERVERS


def diagnose(request: Request, verdict: Verdict, context: Context = Context()) -> Diagnosis:
    """The cause of ``verdict`` on ``request`` and the fix. A 5xx, an unanswered preflight or a
    redirect is not fixed by a CORS header alone, and the diagnosis says so."""
    exchanges = verdict.exchanges
    if verdict.allowed:
        if verdict.complete:
            summary = "Chromium lets the page read the response."
            return Diagnosis(Cause.ALLOWED, Cause.ALLOWED.words, summary, step=_last(exchanges))
        method = (verdict.final_request or request).method
        title = f"Nothing failed, but the {method} itself was not sent: its response is unchecked"
        summary = (
            f"Nothing failed so far, but the {method} request was not sent (it may change data on"
            " the server), so its response's CORS headers are unverified: run with --send to send it."
        )
        return Diagnosis(Cause.NOT_VERIFIED, title, summary)
    cause, summary = _cause(verdict)
    title = cause.words or _check_words(verdict.failed_check)
    step = exchanges[-1] if exchanges else None
    if not cause.fixed_by_policy:
        return Diagnosis(cause, title, summary, step=step)
    hop = verdict.final_request or request
    fix = PolicyFix(
        origin=request.origin.serialize(),
        methods=() if hop.method in DEFAULT_METHODS else (hop.method,),
        headers=tuple(hop.unsafe_header_names()),
        credentials=hop.credentials_included,
    )
    preflighted = any(e.request.kind == "preflight" for e in exchanges) or (
        verdict.cors_applies and needs_preflight(request)
    )
    snippets = {server: fix.snippet(server) for server in context.servers}
    return Diagnosis(cause, title, summary, _required(hop, verdict, preflighted), fix, snippets, step)


def diagnose_refused(error: RequestError) -> Diagnosis:
    """fetch() throws before sending anything (a forbidden method, a body on GET…)."""
    summary = f"fetch() throws before sending anything: {error.message.text}"
    return Diagnosis(Cause.FETCH_REFUSED, Cause.FETCH_REFUSED.words, summary)


# --- the cause ---------------------------------------------------------------------------------


def _last(exchanges: Sequence[Exchange], kind: str | None = None) -> Exchange | None:
    return next((e for e in reversed(exchanges) if kind is None or e.request.kind == kind), None)


def _status(exchange: Exchange | None) -> int | None:
    return exchange.response.status if exchange is not None and exchange.response is not None else None


def _varies_on_preflight(exchange: Exchange) -> bool:
    """Whether a preflight response's Vary names Access-Control-Request-Method: the mark of a
    CORS middleware that looked at the preflight (corsight's engine answers refusals 403)."""
    assert exchange.response is not None
    return "access-control-request-method" in vary_names(get_header(exchange.response.headers, "vary"))


def _tainted(verdict: Verdict) -> bool:
    """Whether a redirect to another origin made the browser send ``Origin: null``."""
    last = _last(verdict.exchanges)
    if last is None or verdict.final_request is None or verdict.final_request.origin.serialize() == "null":
        return False
    return get_header(last.request.headers, "origin") == "null"


_TAINT_VISIBLE = frozenset(
    {
        CorsError.ALLOW_ORIGIN_MISMATCH,
        CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
        CorsError.MISSING_ALLOW_ORIGIN_HEADER,
        CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER,
    }
)


def _cause(verdict: Verdict) -> tuple[Cause, str]:
    """The cause of a failed fetch and its summary, from the failure and the statuses seen."""
    pre = _last(verdict.exchanges, "preflight")
    pre_status = _status(pre)
    act_status = _status(_last(verdict.exchanges, "actual"))
    kind = verdict.cors_error
    if kind is CorsError.PREFLIGHT_DISALLOWED_REDIRECT:
        assert pre is not None and pre.response is not None
        location = get_header(pre.response.headers, "location")
        return Cause.PREFLIGHT_REDIRECT, (
            f"The preflight was redirected (to {location}); browsers never follow a redirect for a"
            " preflight. Call the final URL directly (a missing trailing slash or http→https"
            " redirect is the usual cause)."
        )
    if kind is CorsError.REDIRECT_CONTAINS_CREDENTIALS:
        return (
            Cause.REDIRECT_CREDENTIALS,
            "The redirect's Location contains user:password@; remove the userinfo.",
        )
    if verdict.net_error is not None:
        net = verdict.net_error
        cause = Cause.REDIRECT_FAILED if "REDIRECT" in net.value else Cause.NETWORK
        return cause, f"{net.value}: not a CORS problem. {NET_ERROR_EXPLANATIONS[net]}"
    if pre_status is not None and act_status is None:
        if pre_status >= 500:
            return Cause.PREFLIGHT_SERVER_ERROR, (
                f"The preflight (OPTIONS) got HTTP {pre_status}: the server failed. No CORS header"
                " fixes that — look at the server's log for the OPTIONS request. Once it answers"
                " 2xx, it also needs the headers below."
            )
        if pre_status == 403 and pre is not None and _varies_on_preflight(pre):
            return Cause.POLICY_REFUSAL, (
                "The preflight got HTTP 403 from a CORS middleware (its Vary names the preflight's"
                " headers): the server's CORS policy refuses this origin, method or headers. Add"
                " them to the policy, as below."
            )
        if pre_status in (401, 403):
            return Cause.AUTH_BEFORE_CORS, (
                f"The preflight got HTTP {pre_status}: authentication rejects it, but browsers"
                " never send credentials on a preflight. Let OPTIONS through before"
                " authentication (put the CORS middleware first)."
            )
        if pre_status in (404, 405, 501):
            return Cause.PREFLIGHT_NOT_HANDLED, (
                f"The preflight got HTTP {pre_status}: nothing on the server answers OPTIONS for"
                " this URL. A CORS middleware answers preflights for you."
            )
    if act_status is not None and act_status >= 500:
        return Cause.SERVER_ERROR, (
            f"The response is HTTP {act_status}: the server failed, and its error response lacks"
            " CORS headers. Fix the error (see the server's log); error responses should also"
            " carry the CORS headers, which a middleware wrapping the whole app does."
        )
    if kind in _TAINT_VISIBLE and _tainted(verdict):
        return Cause.REDIRECT_TAINTED_ORIGIN, (
            "A redirect to another origin tainted the request: the browser now sends"
            " 'Origin: null'. Call the final URL directly instead of allowing 'null'."
        )
    return Cause.CORS_HEADERS, "The server's CORS headers do not allow this request."


def _check_words(check: Check | None) -> str:
    """A failed browser check in words: ``The response does not allow this origin: …``."""
    if check is None:
        return "The browser blocks this request"
    stage = _STAGES.get(check.stage, "The response")
    words = _CHECK_WORDS.get(check.name, "{stage} fails the browser's " + check.name + " check: {detail}")
    return words.format(stage=stage, detail=check.detail)


# --- the headers the server must send -----------------------------------------------------------


def _required(hop: Request, verdict: Verdict, preflighted: bool) -> tuple[RequiredHeader, ...]:
    """What the preflight (when one is needed) and the response that decided must carry, each
    judged by the browser model against the response the browser saw there. The response is
    the last one when the fetch ended on it — a redirect's is a redirect's —, else unseen."""
    exchanges = verdict.exchanges
    page = hop.origin.serialize()
    rows: list[RequiredHeader] = []
    if preflighted:
        rows += _rows("preflight", _last(exchanges, "preflight"), hop, page, preflight_requirements)
    last = _last(exchanges)
    final = last if last is not None and last.request.kind == "actual" and last.response else None
    redirect = (
        final is not None
        and final.response is not None
        and is_redirect(final.response.status, final.response.headers)
    )
    on: Stage = "redirect" if redirect else "actual"
    rows += _rows(on, final, hop, page, response_requirements)
    if on == "actual":
        headers = final.response.headers if final is not None and final.response is not None else ()
        ok = "origin" in vary_names(get_header(headers, "vary"))
        rows.append(
            RequiredHeader("actual", "Vary", "Origin", get_header(headers, "vary"), ok, final is not None)
        )
    return tuple(rows)


def _rows(
    on: Stage,
    exchange: Exchange | None,
    hop: Request,
    page: str,
    requirements: Callable[[Request, HeaderLines, str], tuple[HeaderRequirement, ...]],
) -> list[RequiredHeader]:
    response = exchange.response if exchange is not None else None
    headers = response.headers if response is not None else ()
    # Judged against the Origin the browser really sent there (``null`` once tainted).
    origin = (get_header(exchange.request.headers, "origin") if exchange is not None else None) or page
    return [
        RequiredHeader(
            on, r.name, r.value, r.current, r.passes and response is not None, response is not None
        )
        for r in requirements(hop, headers, origin)
    ]


__all__ = [
    "EXPORT_TARGET",
    "SERVERS",
    "Cause",
    "Context",
    "Diagnosis",
    "PolicyFix",
    "RequiredHeader",
    "diagnose",
    "diagnose_refused",
]
