"""What an exported configuration must do, derived from a Policy by asking its Engine.

No CORS rule is written here a second time: the header templates come from
:meth:`Engine.decide` on a twin policy whose only origin is a sentinel, so that the exported
configs send what corsight's own middleware sends. What the engine decides by lookup (is this
origin, method, header list allowed?) becomes anchored regular expressions in a dialect that
PCRE (nginx, Apache), RE2 (Caddy) and JavaScript (Express) all read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from corsight.engine import Decision, Engine
from corsight.errors import PolicyError
from corsight.policy import SAFELISTED_REQUEST_HEADERS, Policy

#: Placeholders in header value templates: the request's Origin, its
#: Access-Control-Request-Method and its Access-Control-Request-Headers.
ORIGIN = "{origin}"
REQUEST_METHOD = "{request_method}"
REQUEST_HEADERS = "{request_headers}"

_SENTINEL_ORIGIN = "https://allowed.corsight.invalid"
_DENIED_ORIGIN = "https://denied.corsight.invalid"
_SENTINEL_METHOD = "CORSIGHTMETHOD"
_SENTINEL_HEADER = "x-corsight-sentinel"

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
class Answer:
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
    preflight_ok: Answer | None
    preflight_denied: Answer
    actual_allowed: Answer
    actual_denied: Answer
    not_cors: Answer
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
    ) -> tuple[int | None, list[tuple[str, str]], str]:
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


def pattern_to_regex(pattern: str) -> str:
    """A normalized ``allow_origins`` pattern (``https://*.example.com``,
    ``https://*.example.com:*``, ``http://localhost:*``) as an unanchored portable regex."""
    scheme, _, rest = pattern.partition("://")
    if rest.startswith("["):
        host, _, port = rest.partition("]")
        host += "]"
        port = port[1:]
    else:
        host, _, port = rest.partition(":")
    host_regex = _LABELS + r"\." + escape(host[2:]) if host.startswith("*.") else escape(host)
    if port == "*":
        port_regex = _PORT + "?"
    elif port:
        port_regex = ":" + port
    else:
        port_regex = ""
    return escape(scheme) + "://" + host_regex + port_regex


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


def _templates(decision: Decision, method: str | None, headers: str | None) -> list[tuple[str, str]]:
    found = []
    for name, value in decision.headers:
        value = value.replace(_SENTINEL_ORIGIN, ORIGIN)
        if method is not None and value == method:
            value = REQUEST_METHOD
        if headers is not None and value == headers:
            value = REQUEST_HEADERS
        found.append((name, value))
    return found


def _answer(decision: Decision, method: str | None = None, headers: str | None = None) -> Answer:
    return Answer(
        tuple(Header(n, v) for n, v in _templates(decision, method, headers)),
        vary=decision.vary,
        status=decision.status,
        body=decision.body.decode(),
    )


def build_plan(policy: Policy, *, portable: bool = True) -> Plan:
    """The plan for ``policy``; :class:`PolicyError` when no config file can carry it out.
    ``portable=False`` keeps user regexes in Python's dialect (for targets that run corsight)."""
    if policy.allow_origin_callback is not None:
        raise PolicyError(
            "allow_origin_callback: a Python callback decides origins at request time, which no "
            "exported config can run; list the origins or patterns instead"
        )
    settings = policy.settings()
    any_origin = policy.allows_any_origin
    twin = Policy(
        **{
            **settings,
            "allow_origins": "*" if any_origin else [_SENTINEL_ORIGIN],
            "allow_origin_regex": None,
            "allow_origin_callback": None,
        }
    )
    engine = Engine(twin)
    any_method = policy.allow_methods == ("*",)
    any_header = policy.allow_headers == ("*",)
    exact = tuple(sorted(policy.origins.exact))
    patterns = [
        pattern_to_regex(o) for o in policy.allow_origins if o not in ("*", "null") and o not in exact
    ]
    patterns += ["(?:" + (portable_regex(r) if portable else r) + ")" for r in policy.allow_origin_regex]

    methods: tuple[str, ...] | None = None if any_method else policy.allow_methods
    allowed_headers: tuple[str, ...] | None = (
        None if any_header else tuple(sorted(set(policy.allow_headers) | SAFELISTED_REQUEST_HEADERS))
    )

    preflight_ok: Answer | None = None
    probe_method = _SENTINEL_METHOD if any_method else (methods[0] if methods else None)
    if probe_method is not None:
        base = engine.decide("OPTIONS", _SENTINEL_ORIGIN, probe_method)
        probe_header = _SENTINEL_HEADER if any_header else (allowed_headers or ("accept",))[0]
        with_headers = engine.decide("OPTIONS", _SENTINEL_ORIGIN, probe_method, probe_header)
        reflected_method = probe_method if any_method else None
        reflected_headers = probe_header if any_header else None
        headers = [Header(n, v) for n, v in _templates(base, reflected_method, None)]
        known = {h.name for h in headers}
        for name, value in _templates(with_headers, reflected_method, reflected_headers):
            if name not in known:
                headers.append(Header(name, value, "request-headers"))
        if policy.allow_private_network:
            with_pn = engine.decide("OPTIONS", _SENTINEL_ORIGIN, probe_method, None, True)
            for name, value in _templates(with_pn, reflected_method, None):
                if name not in known:
                    headers.append(Header(name, value, "private-network"))
        # The Vary of a preflight is the same whatever it asked for: keep it last, as the engine does.
        headers.sort(key=lambda h: h.name == "Vary")
        preflight_ok = Answer(tuple(headers), status=base.status, body=base.body.decode())

    # A method that is never allowed, so that the engine denies even with a wildcard origin.
    denied = engine.decide("OPTIONS", _DENIED_ORIGIN, "\x00")
    denied_preflight = Answer(
        _answer(denied).headers, status=denied.status, body="CORS preflight denied by the CORS policy\n"
    )
    plan = Plan(
        policy=policy,
        any_origin=any_origin,
        exact_origins=exact,
        patterns=tuple(patterns),
        methods=methods,
        request_headers=allowed_headers,
        private_network=policy.allow_private_network,
        preflight_ok=preflight_ok,
        preflight_denied=denied_preflight,
        actual_allowed=_answer(engine.decide("GET", _SENTINEL_ORIGIN)),
        actual_denied=_answer(engine.decide("GET", _DENIED_ORIGIN)),
        not_cors=_answer(engine.decide("GET", None)),
    )
    if patterns:
        plan.notes.append(
            "origin patterns are matched only for origins as browsers write them (lowercase, no "
            "default port), as corsight's engine does; the 1024-character bound is left to the "
            "server's header size limit"
        )
    if any_header:
        plan.notes.append(
            "allow_headers='*': the preflight's Access-Control-Request-Headers is echoed as sent "
            "(browsers send it lowercase and comma-separated, which is what the engine answers)"
        )
    return plan
