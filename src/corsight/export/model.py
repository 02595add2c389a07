"""What an exported configuration must do, read from the tables its Engine compiled.

No CORS rule is written here a second time: the headers are the engine's own
(:class:`~corsight.engine.EngineTables`), so that the exported configs send what corsight's
middleware sends, and the origin patterns are the engine's tables, not the settings parsed
again. What the engine decides by lookup (is this origin, method, header list allowed?) becomes
anchored regular expressions in a dialect that PCRE (nginx, Apache), RE2 (Caddy) and JavaScript
(Express) all read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from corsight.engine import (
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    ALLOW_PRIVATE_NETWORK,
    PREFLIGHT_ALLOWED_STATUS,
    Decision,
    Engine,
)
from corsight.errors import PolicyError
from corsight.policy import Policy
from corsight.types import HeaderPair, HeaderPairs

#: Placeholders in header value templates: the request's Origin, its
#: Access-Control-Request-Method and its Access-Control-Request-Headers.
ORIGIN = "{origin}"
REQUEST_METHOD = "{request_method}"
REQUEST_HEADERS = "{request_headers}"

#: A request Origin the engine may match against patterns: the shape of the serialized-origin
#: grammar the engine enforces (corsight.originsyntax) that a plain regex can state: a scheme,
#: one host (dot-separated labels of 1-63 characters, or a bracketed IPv6 literal) and a port
#: from 1 to 65535 without a leading zero. No '/', '@' or second host can pass, so a user's pattern never sees
#: `https://evil.example/.example.com`. Every exported server applies it before the patterns.
CANONICAL_ORIGIN_REGEX = (
    r"^[a-z][a-z0-9+.-]*://(?:[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*|\[[0-9a-f:.]+\])"
    r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$"
)

#: An HTTP token (a method name), with the characters that quoting in configs dislikes
#: (``#``, ``'``, backtick) written as hex escapes.
TOKEN_REGEX = r"[!\x23$%&\x27*+.^_\x60|~0-9A-Za-z-]+"

Condition = Literal["always", "request-headers", "private-network"]


@dataclass(frozen=True)
class Header:
    """One response header: ``value`` may hold the placeholders above; ``when`` says whether it
    is sent only if the preflight carries a non-empty Access-Control-Request-Headers
    (``request-headers``) or Access-Control-Request-Private-Network (``private-network``)."""

    name: str
    value: str
    when: Condition = "always"


@dataclass(frozen=True)
class PlannedResponse:
    """What one kind of request gets. ``status`` is set for preflights, which the server answers
    itself with ``body``; otherwise the application answers and ``headers`` are added to its
    response (replacing headers of the same names) and ``vary`` is merged into its Vary."""

    headers: tuple[Header, ...]
    vary: str = ""
    status: int | None = None
    body: str = ""

    def header(self, name: str) -> Header | None:
        return next((h for h in self.headers if h.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class Plan:
    """A Policy as a server configuration must carry it out.

    Request kinds, decided in this order, as the engine does:

    - *preflight*: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``; it is
      answered by the server itself: ``preflight_ok`` when the origin, the method, the header
      list and the private-network request are allowed, else ``preflight_denied``;
    - *actual allowed*: any other request whose Origin is allowed;
    - *actual denied*: any other request with an Origin that is not;
    - *not CORS*: no Origin header.
    """

    policy: Policy
    any_origin: bool
    exact_origins: tuple[str, ...]
    patterns: tuple[str, ...]
    methods: tuple[str, ...] | None
    request_headers: tuple[str, ...] | None
    private_network: bool
    preflight_ok: PlannedResponse | None
    preflight_denied: PlannedResponse
    actual_allowed: PlannedResponse
    actual_denied: PlannedResponse
    not_cors: PlannedResponse
    notes: list[str] = field(default_factory=list)

    # --- the regexes every target uses -------------------------------------------------------

    @property
    def exact_regex(self) -> str | None:
        """Anchored regex for the exactly listed origins (``null`` included when listed)."""
        if not self.exact_origins:
            return None
        return "^(?:" + "|".join(escape(o) for o in sorted(self.exact_origins)) + ")$"

    @property
    def pattern_regex(self) -> str | None:
        """Anchored regex for the subdomain, any-port and user patterns; it applies only to an
        Origin that also matches :data:`CANONICAL_ORIGIN_REGEX`, as in the engine."""
        if not self.patterns:
            return None
        return "^(?:" + "|".join(self.patterns) + ")$"

    @property
    def method_regex(self) -> str | None:
        """Anchored, case-sensitive regex for an allowed Access-Control-Request-Method."""
        if self.methods is None:
            return "^" + TOKEN_REGEX + "$"
        if not self.methods:
            return None
        return "^(?:" + "|".join(escape(m) for m in self.methods) + ")$"

    @property
    def headers_regex(self) -> str:
        """Anchored regex, to apply case-insensitively, for an allowed
        Access-Control-Request-Headers (absent or empty is allowed too)."""
        item = (
            TOKEN_REGEX
            if self.request_headers is None
            else ("(?:" + "|".join(escape(h) for h in self.request_headers) + ")")
        )
        return rf"^[ \t]*(?:{item})?[ \t]*(?:,[ \t]*(?:{item})?[ \t]*)*$"

    def allows_origin(self, origin: str) -> bool:
        """The regexes above applied as every target applies them (used to test the plan)."""
        if self.any_origin:
            return True
        exact, pattern = self.exact_regex, self.pattern_regex
        if exact and re.search(exact, origin):
            return True
        return bool(pattern and re.search(CANONICAL_ORIGIN_REGEX, origin) and re.search(pattern, origin))

    def preflight_allowed(
        self, origin: str, request_method: str, request_headers: str | None, private_network: bool
    ) -> bool:
        """Whether a preflight passes every test an exported config makes."""
        method_regex = self.method_regex
        return (
            self.allows_origin(origin)
            and method_regex is not None
            and re.search(method_regex, request_method) is not None
            and re.search(self.headers_regex, request_headers or "", re.IGNORECASE) is not None
            and (self.private_network or not private_network)
        )

    def respond(
        self,
        method: str,
        origin: str | None,
        request_method: str | None = None,
        request_headers: str | None = None,
        private_network: bool = False,
    ) -> tuple[int | None, list[HeaderPair], str]:
        """Carry the plan out for one request, as every target does: the status of a preflight
        answer (``None`` when the application answers), the headers, and the Vary to merge."""
        if origin is None:
            answer = self.not_cors
        elif method == "OPTIONS" and request_method is not None:
            ok = self.preflight_ok is not None and self.preflight_allowed(
                origin, request_method, request_headers, private_network
            )
            answer = self.preflight_ok if ok and self.preflight_ok else self.preflight_denied
        else:
            answer = self.actual_allowed if self.allows_origin(origin) else self.actual_denied
        values = {
            ORIGIN: origin or "",
            REQUEST_METHOD: request_method or "",
            REQUEST_HEADERS: request_headers or "",
        }
        headers = []
        for header in answer.headers:
            if header.when == "request-headers" and not (request_headers or "").strip(" \t,"):
                continue
            if header.when == "private-network" and not private_network:
                continue
            headers.append(
                (header.name, values.get(header.value, header.value).replace(ORIGIN, values[ORIGIN]))
            )
        return answer.status, headers, answer.vary


# --- regex helpers ------------------------------------------------------------------------------

_KEEP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:/,;=<>@!~&")
_HEX = frozenset("'\"#`\\%")


def escape(text: str) -> str:
    """Escape a literal for PCRE, RE2 and JavaScript alike; quote-hostile characters become
    ``\\xHH`` so that the regex can sit inside any config's quotes."""
    out = []
    for char in text:
        if char in _KEEP:
            out.append(char)
        elif char in _HEX or not char.isprintable() or ord(char) > 0x7E:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append("\\" + char)
    return "".join(out)


_PORT = "(?::[1-9][0-9]{0,4})"
_LABELS = r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"


def subdomain_regex(scheme: str, parent: str, port: str) -> str:
    """One of the engine's subdomain patterns (:attr:`EngineTables.subdomain_patterns
    <corsight.engine.EngineTables.subdomain_patterns>`) as an unanchored portable regex."""
    return escape(scheme) + "://" + _LABELS + r"\." + escape(parent) + _port_regex(port)


def any_port_regex(scheme: str, host: str) -> str:
    """One of the engine's any-port patterns as an unanchored portable regex."""
    return escape(scheme) + "://" + escape(host) + _port_regex("*")


def _port_regex(port: str) -> str:
    if port == "*":
        return _PORT + "?"
    return ":" + port if port else ""


# The subset of Python's regex syntax that PCRE, RE2 and JavaScript read the same way.
_ALLOWED_ESCAPES = frozenset("dDwWsS.-/\\[](){}*+?|^$:_")
_GROUP_OPENERS = ("(?:",)


def portable_regex(regex: str) -> str:
    """A user's ``allow_origin_regex`` in the portable dialect, or :class:`PolicyError` saying
    which construct has no equivalent in the servers' regex engines."""
    i = 0
    out = []
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            nxt = regex[i + 1 : i + 2]
            if nxt not in _ALLOWED_ESCAPES:
                raise PolicyError(
                    f"allow_origin_regex: {regex!r} uses '\\{nxt}', which nginx, Apache, Caddy and "
                    "JavaScript do not all read as Python does; write it with classes and '\\.'"
                )
            out.append(regex[i : i + 2])
            i += 2
            continue
        if char == "(" and regex[i + 1 : i + 2] == "?" and not regex.startswith(_GROUP_OPENERS, i):
            raise PolicyError(
                f"allow_origin_regex: {regex!r} uses a '(?…)' construct other than '(?:'; "
                "lookarounds, named groups and inline flags do not exist in every server's regex engine"
            )
        if char == "{" and regex[i + 1 : i + 2].isalpha():
            raise PolicyError(
                f"allow_origin_regex: {regex!r} has '{{' before a letter (a placeholder in Caddy)"
            )
        if char in _HEX:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
        i += 1
    return "".join(out)


# --- building the plan ----------------------------------------------------------------------------


def _headers(pairs: HeaderPairs) -> tuple[Header, ...]:
    return tuple(Header(name, value) for name, value in pairs)


def _planned(decision: Decision, body: str | None = None) -> PlannedResponse:
    """A ready-made decision as it is: nothing in it depends on the request."""
    body = decision.body.decode() if body is None else body
    return PlannedResponse(_headers(decision.headers), vary=decision.vary, status=decision.status, body=body)


def build_plan(policy: Policy, *, portable: bool = True) -> Plan:
    """The plan for ``policy``; :class:`PolicyError` when no config file can carry it out.
    ``portable=False`` keeps user regexes in Python's dialect (for targets that run corsight)."""
    if policy.allow_origin_callback is not None:
        raise PolicyError(
            "allow_origin_callback: a Python callback decides origins at request time, which no "
            "exported config can run; list the origins or patterns instead"
        )
    tables = Engine(policy).tables
    patterns = [subdomain_regex(*pattern) for pattern in sorted(tables.subdomain_patterns)]
    patterns += [any_port_regex(*pattern) for pattern in sorted(tables.any_port_patterns)]
    patterns += ["(?:" + (portable_regex(r) if portable else r) + ")" for r in tables.origin_regexes]
    origin = "*" if tables.any_origin else ORIGIN

    preflight_ok: PlannedResponse | None = None
    if tables.methods != ():  # with no method allowed, no preflight passes
        headers = [Header(ALLOW_ORIGIN, origin), *_headers(tables.preflight_headers)]
        if tables.methods is None:
            headers.append(Header(ALLOW_METHODS, REQUEST_METHOD))
        if tables.request_headers is None:
            headers.append(Header(ALLOW_HEADERS, REQUEST_HEADERS, "request-headers"))
        if tables.private_network:
            headers.append(Header(ALLOW_PRIVATE_NETWORK, "true", "private-network"))
        headers.append(Header("Vary", tables.preflight_vary))
        preflight_ok = PlannedResponse(tuple(headers), status=PREFLIGHT_ALLOWED_STATUS)

    plan = Plan(
        policy=policy,
        any_origin=tables.any_origin,
        exact_origins=tuple(sorted(tables.exact_origins)),
        patterns=tuple(patterns),
        methods=tables.methods,
        request_headers=None if tables.request_headers is None else tuple(sorted(tables.request_headers)),
        private_network=tables.private_network,
        preflight_ok=preflight_ok,
        # One answer for every denied preflight: a server config does not tell which test failed.
        preflight_denied=_planned(tables.preflight_denied, body="CORS preflight denied by the CORS policy\n"),
        actual_allowed=PlannedResponse(
            (Header(ALLOW_ORIGIN, origin), *_headers(tables.actual_headers)), vary=tables.actual_vary
        ),
        actual_denied=_planned(tables.actual_denied),
        not_cors=_planned(tables.not_cors),
    )
    if patterns:
        plan.notes.append(
            "origin patterns are matched only for origins as browsers write them (lowercase, no "
            "default port), as corsight's engine does; the 1024-character bound is left to the "
            "server's header size limit"
        )
    if tables.request_headers is None:
        plan.notes.append(
            "allow_headers='*': the preflight's Access-Control-Request-Headers is echoed as sent "
            "(browsers send it lowercase and comma-separated, which is what the engine answers)"
        )
    return plan
