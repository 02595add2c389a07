"""The server engine: given a policy and a request's method and CORS headers, what to answer.

Sans-IO, like h11: adapters turn a framework's request into :meth:`Engine.decide`'s named
arguments and its :class:`Decision` into the framework's response; the engine is synchronous
(an adapter that can await awaits an origin callback's answer itself). Everything that does not depend on the
request is built once, here, at construction: for an exact allowed origin, deciding is one
dictionary lookup that returns a ready-made decision.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from corsight.httpsyntax import is_token
from corsight.origin_callback import Clock, OriginCallbackCache
from corsight.originsyntax import is_serialized_origin
from corsight.policy import SAFELISTED_REQUEST_HEADERS, Policy
from corsight.types import HeaderPairs

#: Longest ``Access-Control-Request-Headers`` parsed. Chromium sends sorted unique names, so a
#: real request stays far below this; a 1 MiB header of commas is denied without being split.
MAX_REQUEST_HEADERS_LENGTH = 4096

#: How many pattern-matched origins keep a ready-made decision (bounded: origins are attacker input).
PATTERN_CACHE_SIZE = 1024

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
PRIVATE_NETWORK_VARY = PREFLIGHT_VARY + ", Access-Control-Request-Private-Network"

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"

#: The status of a preflight that passes, and of one that is denied.
PREFLIGHT_ALLOWED_STATUS = 204
PREFLIGHT_DENIED_STATUS = 403


class DecisionKind(enum.Enum):
    """Which of the five answers a :class:`Decision` is."""

    NOT_CORS = "not-cors"
    PREFLIGHT_ALLOWED = "preflight-allowed"
    PREFLIGHT_DENIED = "preflight-denied"
    ACTUAL_ALLOWED = "actual-allowed"
    ACTUAL_DENIED = "actual-denied"


class Reason(str, enum.Enum):
    """Why a request was denied (machine-readable)."""

    ORIGIN = "origin"
    METHOD = "method"
    HEADERS = "headers"
    PRIVATE_NETWORK = "private-network"


class Decision:
    """What to answer.

    For preflights (``status`` is set) ``headers`` and ``body`` are the whole response, which
    the adapter sends without calling the application. Otherwise the application answers and
    the adapter adds ``headers`` (replacing any the app set under the same names) and merges
    ``vary`` into its ``Vary`` header. ``raw_headers``/``raw_vary`` are the same, encoded for
    ASGI, so that ready-made decisions are encoded once.
    """

    __slots__ = (
        "added", "body", "conflicts", "headers", "kind", "names", "raw_added", "raw_conflicts",
        "raw_headers", "raw_names", "raw_vary", "reason",
        "status", "status_line", "vary",
    )  # fmt: skip

    def __init__(
        self,
        kind: DecisionKind,
        headers: HeaderPairs = (),
        *,
        vary: str = "",
        status: int | None = None,
        reason: Reason | None = None,
        body: bytes = b"",
    ) -> None:
        self.kind = kind
        self.headers = headers
        self.vary = vary
        self.status = status
        self.status_line = f"{status} {HTTPStatus(status).phrase}" if status else ""
        self.reason = reason
        self.body = body
        self.names = frozenset(name.lower() for name, _ in headers)
        # ASGI header names are lowercase.
        self.raw_headers = tuple((n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers)
        self.raw_names = frozenset(n for n, _ in self.raw_headers)
        self.raw_vary = vary.encode("latin-1")
        #: Header names an app's response must not have for :attr:`added` (WSGI) or
        #: :attr:`raw_added` (ASGI) to be appended as they are, Vary included.
        self.conflicts = self.names | {"vary"}
        self.added = headers + ((("Vary", vary),) if vary else ())
        self.raw_conflicts = self.raw_names | {b"vary"}
        self.raw_added = self.raw_headers + (((b"vary", self.raw_vary),) if vary else ())

    @property
    def is_preflight(self) -> bool:
        return self.status is not None

    def __repr__(self) -> str:
        extra = f", reason={self.reason.value!r}" if self.reason else ""
        return f"Decision({self.kind.value}, {list(self.headers)!r}{extra})"


def merge_vary(existing: str | None, names: str) -> str:
    """An app's ``Vary`` value with ``names`` added, keeping what it had; ``*`` stays ``*``."""
    if not existing:
        return names
    present = {item.strip().lower() for item in existing.split(",")}
    if "*" in present:
        return existing
    missing = [n for n in names.split(", ") if n and n.lower() not in present]
    return ", ".join([existing, *missing]) if missing else existing


@dataclass(frozen=True)
class EngineTables:
    """What an engine compiled from its policy, read-only, for tools that carry the policy out
    elsewhere and must send exactly what the engine sends (``corsight export``).

    An allowed actual request gets ``Access-Control-Allow-Origin`` (its origin, or ``*`` when
    ``any_origin``), then ``actual_headers``, and ``actual_vary`` merged into Vary. A passing
    preflight (status :data:`PREFLIGHT_ALLOWED_STATUS`) gets ``Access-Control-Allow-Origin``,
    ``preflight_headers``, then what it echoes: its ``Access-Control-Request-Method`` when
    ``methods`` is ``None``; its requested header names when ``request_headers`` is ``None``
    and it names one; ``Access-Control-Allow-Private-Network: true`` when it asks for the
    private network and ``private_network`` allows it; and last ``Vary: preflight_vary``. The
    other answers are the ready-made decisions at the end.

    The origin tables are the ones the engine matches with; patterns and regexes only ever see
    an origin in a browser's serialization (:func:`corsight.originsyntax.is_serialized_origin`).
    """

    any_origin: bool
    #: Listed origins, ``null`` included when listed.
    exact_origins: frozenset[str]
    #: ``https://*.example.com:8443`` as ``("https", "example.com", "8443")``: one or more labels
    #: before the parent host; the port ``""`` is the scheme's default, ``"*"`` any port.
    subdomain_patterns: frozenset[tuple[str, str, str]]
    #: ``http://localhost:*`` as ``("http", "localhost")``: that host on any port or none.
    any_port_patterns: frozenset[tuple[str, str]]
    #: ``allow_origin_regex``, as written; each must match the whole origin.
    origin_regexes: tuple[str, ...]
    #: The methods a preflight may ask for, case-sensitive; ``None``: any method name (a token).
    methods: tuple[str, ...] | None
    #: The header names a preflight may ask for, lowercase, safelisted ones included; ``None``:
    #: any header name (a token).
    request_headers: frozenset[str] | None
    private_network: bool
    actual_headers: HeaderPairs
    actual_vary: str
    preflight_headers: HeaderPairs
    preflight_vary: str
    not_cors: Decision
    #: What an actual request gets when its origin is not allowed (with ``any_origin``, none is).
    actual_denied: Decision
    #: The answer to every denied preflight (only its body names the reason).
    preflight_denied: Decision


class Engine:
    """A policy compiled for deciding requests. ``clock`` is what the origin callback's answers
    expire on (``time.monotonic`` by default)."""

    def __init__(self, policy: Policy, *, clock: Clock | None = None) -> None:
        self.policy = policy
        p = policy
        self._wildcard = p.origins.allow_all  # never with credentials: Policy refuses it
        self._any_method = p.allow_methods == ("*",)
        self._any_header = p.allow_headers == ("*",)
        self._methods = frozenset(p.allow_methods)
        self._headers = frozenset(p.allow_headers) | SAFELISTED_REQUEST_HEADERS
        self._preflight_vary = PRIVATE_NETWORK_VARY if p.allow_private_network else PREFLIGHT_VARY
        self._actual_vary = "" if self._wildcard else "Origin"

        credentials: HeaderPairs = ()
        if p.allow_credentials:
            credentials = (("Access-Control-Allow-Credentials", "true"),)
        expose: HeaderPairs = ()
        if p.expose_headers:
            expose = (("Access-Control-Expose-Headers", ", ".join(p.expose_headers)),)
        self._simple_extra = credentials + expose
        self._preflight_extra = credentials  # exposing headers means nothing on a preflight
        if not self._any_method:
            self._preflight_extra += ((ALLOW_METHODS, ", ".join(p.allow_methods)),)
        if not self._any_header:
            self._preflight_extra += ((ALLOW_HEADERS, ", ".join(sorted(self._headers))),)
        if p.max_age is not None:
            self._preflight_extra += (("Access-Control-Max-Age", str(p.max_age)),)

        if self._wildcard:
            # The same answer for every origin, so no Vary: Origin is needed on actual
            # responses, and sending it also without an Origin keeps caches consistent.
            self._not_cors = self._actual("*")
        else:
            self._not_cors = Decision(DecisionKind.NOT_CORS, vary="Origin")
        self._denied = Decision(DecisionKind.ACTUAL_DENIED, vary="Origin", reason=Reason.ORIGIN)
        self._exact: dict[str, Decision] = {o: self._actual(o) for o in p.origins.exact}
        self._static_preflight = not (self._any_method or self._any_header)
        self._exact_preflight: dict[str, Decision] = (
            {o: self._preflight_ok(o, ()) for o in p.origins.exact} if self._static_preflight else {}
        )
        self._pattern_cache: dict[str, Decision] = {}
        #: The origin callback behind its answer cache, when the policy has one.
        self.origin_callback = (
            OriginCallbackCache(
                p.allow_origin_callback,
                size=p.origin_cache_size,
                ttl=p.origin_cache_ttl,
                clock=clock,
            )
            if p.allow_origin_callback is not None
            else None
        )
        #: Whether the origin callback is known to be async: synchronous adapters refuse it.
        self.is_async = self.origin_callback is not None and self.origin_callback.is_async
        #: Whether an adapter that can await must await the callback's answer (see
        #: :meth:`decide`): any callback may return an awaitable (a lambda around an async
        #: function does not look async).
        self.has_callback = self.origin_callback is not None
        self._ask = self.origin_callback.allows if self.origin_callback is not None else _never
        self._preflight_denials = {
            reason: Decision(
                DecisionKind.PREFLIGHT_DENIED,
                (("Content-Type", "text/plain; charset=utf-8"), ("Vary", self._preflight_vary)),
                status=PREFLIGHT_DENIED_STATUS,
                reason=reason,
                body=f"CORS preflight denied: {reason.value} not allowed\n".encode(),
            )
            for reason in Reason
        }

    @functools.cached_property
    def tables(self) -> EngineTables:
        """The compiled tables, for tools that carry the policy out elsewhere."""
        origins = self.policy.origins
        return EngineTables(
            any_origin=self._wildcard,
            exact_origins=origins.exact,
            subdomain_patterns=origins.subdomains,
            any_port_patterns=origins.any_port,
            origin_regexes=origins.regexes,
            methods=None if self._any_method else self.policy.allow_methods,
            request_headers=None if self._any_header else self._headers,
            private_network=self.policy.allow_private_network,
            actual_headers=self._simple_extra,
            actual_vary=self._actual_vary,
            preflight_headers=self._preflight_extra,
            preflight_vary=self._preflight_vary,
            not_cors=self._not_cors,
            # With any origin allowed, every request is answered alike, whatever its Origin.
            actual_denied=self._not_cors if self._wildcard else self._denied,
            preflight_denied=self._preflight_denials[Reason.ORIGIN],
        )

    # -- building decisions --------------------------------------------------------------

    def _actual(self, origin: str) -> Decision:
        headers = ((ALLOW_ORIGIN, origin), *self._simple_extra)
        return Decision(DecisionKind.ACTUAL_ALLOWED, headers, vary=self._actual_vary)

    def _preflight_ok(self, origin: str, reflected: HeaderPairs) -> Decision:
        headers = (
            (ALLOW_ORIGIN, "*" if self._wildcard else origin),
            *self._preflight_extra,
            *reflected,
            ("Vary", self._preflight_vary),
        )
        return Decision(DecisionKind.PREFLIGHT_ALLOWED, headers, status=PREFLIGHT_ALLOWED_STATUS)

    # -- deciding ------------------------------------------------------------------------

    def decide(
        self,
        *,
        method: str,
        origin: str | None = None,
        request_method: str | None = None,
        request_headers: str | None = None,
        request_private_network: bool = False,
        origin_allowed: bool | None = None,
    ) -> Decision:
        """Decide a request from its method and CORS request headers, all passed by name.

        ``origin`` is the ``Origin`` header (``None`` when absent; several headers joined by
        ``", "``, which never matches); ``request_method``, ``request_headers`` and
        ``request_private_network`` are ``Access-Control-Request-Method``, ``-Headers`` (the
        value as sent) and whether ``-Private-Network`` was sent. A preflight is an
        ``OPTIONS`` request with both ``Origin`` and ``Access-Control-Request-Method``; any
        other request with an ``Origin`` is an actual CORS request.

        An origin callback is called synchronously. Where its answer can be awaitable (an
        adapter that can await: see :func:`corsight.asgi.decide_awaiting`), the adapter awaits
        it for an origin that :meth:`asks_callback`, and passes it as ``origin_allowed``.
        """
        if origin is None:
            return self._not_cors
        if request_method is not None and method == "OPTIONS":
            ask = self._ask if origin_allowed is None else _ANSWERED[origin_allowed]
            return self._preflight(origin, request_method, request_headers, request_private_network, ask)
        # Ready-made decisions: listed origins, and pattern matches (which passed the gate).
        decision = self._exact.get(origin) or self._pattern_cache.get(origin)
        if decision is not None:
            return decision
        return self._decide_actual(origin, self._ask if origin_allowed is None else _ANSWERED[origin_allowed])

    def asks_callback(self, origin: str | None) -> bool:
        """Whether deciding ``origin`` needs the origin callback's answer: there is a callback,
        nothing listed or matched admits the origin, and it is a serialized origin (nothing odd
        ever reaches user code or gets reflected)."""
        if self.origin_callback is None or origin is None:
            return False
        origins = self.policy.origins
        return not (self._wildcard or origin in origins.exact or origin in self._pattern_cache) and (
            is_serialized_origin(origin) and not origins.matches_serialized(origin)
        )

    def _decide_actual(self, origin: str, ask: Callable[[str], bool]) -> Decision:
        """An actual request's decision past the ready-made ones; ``ask`` asks the callback."""
        if self._wildcard:
            return self._not_cors
        if not is_serialized_origin(origin):  # the gate: nothing else reaches what follows
            return self._denied
        if self.policy.origins.matches_serialized(origin):
            decision = self._actual(origin)
            if len(self._pattern_cache) < PATTERN_CACHE_SIZE:
                self._pattern_cache[origin] = decision
            return decision
        # Answers from a callback can change, so they are never kept as ready decisions.
        return self._actual(origin) if ask(origin) else self._denied

    def _admits(self, origin: str, ask: Callable[[str], bool]) -> bool:
        """Whether ``origin`` is allowed: listed, or a serialized origin that a pattern, a regex
        or the callback (asked only when nothing else admits it) allows."""
        if self._wildcard or origin in self.policy.origins.exact or origin in self._pattern_cache:
            return True
        if not is_serialized_origin(origin):
            return False
        return self.policy.origins.matches_serialized(origin) or ask(origin)

    def _preflight(
        self,
        origin: str,
        method: str,
        request_headers: str | None,
        private_network: bool,
        ask: Callable[[str], bool],
    ) -> Decision:
        ready = self._exact_preflight.get(origin)
        if ready is None and not self._admits(origin, ask):
            return self._preflight_denials[Reason.ORIGIN]
        reflected: HeaderPairs = ()
        if self._any_method:
            if not is_token(method):
                return self._preflight_denials[Reason.METHOD]
            reflected += ((ALLOW_METHODS, method),)
        elif method not in self._methods:
            return self._preflight_denials[Reason.METHOD]
        if request_headers:
            names = self._requested_headers(request_headers)
            if names is None:
                return self._preflight_denials[Reason.HEADERS]
            if self._any_header and names:
                reflected += ((ALLOW_HEADERS, ",".join(names)),)
        if private_network:
            if not self.policy.allow_private_network:
                return self._preflight_denials[Reason.PRIVATE_NETWORK]
            reflected += ((ALLOW_PRIVATE_NETWORK, "true"),)
        if ready is not None and not reflected:
            return ready
        return self._preflight_ok(origin, reflected)

    def _requested_headers(self, value: str) -> list[str] | None:
        """The header names a preflight asks for, to reflect when any is allowed (else ``[]``),
        or ``None`` when one is not allowed."""
        if len(value) > MAX_REQUEST_HEADERS_LENGTH:
            return None
        names: list[str] = []
        if self._any_header:
            for item in value.lower().split(","):
                name = item.strip(" \t")
                if name:
                    if not is_token(name):
                        return None
                    names.append(name)
            return names
        items = value.lower().split(",")
        allowed = self._headers
        if allowed.issuperset(items):  # as browsers send it: "a,b", no spaces, no empty items
            return names
        for item in items:
            name = item.strip(" \t")
            if name and name not in allowed:
                return None
        return names


def _never(origin: str) -> bool:
    return False


def _always(origin: str) -> bool:
    return True


#: The origin callback's answer, already known (awaited by an adapter), as the engine asks it.
_ANSWERED: dict[bool, Callable[[str], bool]] = {True: _always, False: _never}
