"""Origins: how configured origins are validated and normalized, and how a request's ``Origin``
is matched against them.

Exact origins, subdomain patterns (``https://*.example.com``) and any-port patterns
(``http://localhost:*``) are found by hash lookups, so the cost of a match does not grow with
the number of allowed origins. Regexes are compiled once and always full-match. Nothing but a
browser's serialization of an origin (:mod:`corsight.originsyntax`) ever reaches a pattern or a
regex.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from corsight.errors import Plain, PolicyError, Problem
from corsight.originsyntax import DEFAULT_PORTS, HOST_CHARS, is_serialized_origin, serialize_ipv6
from corsight.regexcheck import compile_origin_regex

#: Schemes whose pages have a tuple origin a browser serializes as ``scheme://host[:port]``.
KNOWN_SCHEMES = frozenset({"http", "https", "chrome-extension", "moz-extension", "safari-web-extension"})


@dataclass(frozen=True)
class _Parts:
    scheme: str
    host: str
    port: str  # "" for the scheme's default port, "*" for any port


def _fail(setting: str, value: str, problem: str, fix: str, **quoted: Any) -> PolicyError:
    """The error for a configured origin: ``problem`` and ``fix`` are templates that quote
    ``quoted`` (see :meth:`Problem.say`)."""
    return PolicyError(Problem.say(setting, value, "{value} " + problem, fix, **quoted))


def _split(value: str, setting: str) -> _Parts:
    """Parse ``scheme://host[:port]`` strictly, with the fix for each way it can be wrong."""
    scheme, sep, rest = value.partition("://")
    example = "write it as 'https://example.com' (scheme://host[:port])"
    if not sep or not scheme:
        raise _fail(setting, value, "has no scheme", example)
    scheme = scheme.lower()
    if scheme not in KNOWN_SCHEMES:
        known = ", ".join(sorted(KNOWN_SCHEMES))
        raise _fail(
            setting,
            value,
            "has an unknown scheme {scheme}",
            "use one of {known}",
            scheme=scheme,
            known=Plain(known),
        )
    if "@" in rest:
        raise _fail(
            setting, value, "contains user information ('user@')", "an origin is scheme://host[:port] only"
        )
    for mark, part in (("#", "a fragment"), ("?", "a query"), ("/", "a path")):
        if mark in rest:
            host_port = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            problem = "ends with '/'" if mark == "/" and rest == host_port + "/" else f"contains {part}"
            fix = "browsers send the origin with no path; write {origin}"
            raise _fail(setting, value, problem, fix, origin=scheme + "://" + host_port)
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise _fail(setting, value, "has an unclosed IPv6 bracket", example)
        host, port_part = rest[: end + 1], rest[end + 1 :]
        if port_part and not port_part.startswith(":"):
            raise _fail(setting, value, "has text after the IPv6 address", example)
        port = port_part[1:]
        has_port = bool(port_part)
    else:
        host, has_colon, port = rest.partition(":")
        has_port = bool(has_colon)
    if has_port and not port:
        raise _fail(setting, value, "has an empty port", "drop the ':' or write a port number")
    if not host:
        raise _fail(setting, value, "has no host", example)
    if port and port != "*" and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise _fail(setting, value, "has an invalid port {port}", "use a number from 1 to 65535", port=port)
    if port and port != "*":
        port = str(int(port))
    if port == DEFAULT_PORTS.get(scheme):
        port = ""  # browsers never serialize the default port
    parts = _Parts(scheme, _normalize_host(host, value, setting), port)
    suffix = parts.host[2:] if parts.host.startswith("*.") else None
    if suffix is not None and (("." not in suffix and suffix != "localhost") or suffix.startswith("[")):
        raise _fail(
            setting,
            value,
            "admits every host under a top-level domain",
            "name the site, as in 'https://*.example.com'",
        )
    # What a browser would send for this origin, or for one host the pattern covers: a value
    # outside the grammar could never match, so it can only be a mistake.
    sent = _Parts(
        scheme,
        "a." + parts.host[2:] if parts.host.startswith("*.") else parts.host,
        "" if port == "*" else port,
    )
    if not is_serialized_origin(_serialize(sent)):
        raise _fail(
            setting,
            value,
            "is not an origin a browser can send",
            "write the host as browsers do: labels of 1 to 63 letters, digits or '-', "
            "or an IPv4 address as four numbers from 0 to 255 without leading zeros "
            "(e.g. 'http://127.0.0.1:8000')",
        )
    return parts


def _normalize_host(host: str, value: str, setting: str) -> str:
    if host.startswith("["):
        try:
            if "%" in host:
                raise ValueError("browsers never send a zone id")
            return "[" + serialize_ipv6(int(ipaddress.IPv6Address(host[1:-1]))) + "]"
        except ValueError:
            raise _fail(
                setting, value, "has an invalid IPv6 address", "write e.g. 'http://[::1]:8000'"
            ) from None
    if host.startswith("*."):
        return "*." + _normalize_host(host[2:], value, setting)
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _fail(
                setting, value, "has a host that is not a valid domain name", "check the spelling"
            ) from None
    host = host.lower()
    if host.strip(HOST_CHARS) or ".." in host or host.startswith(".") or host.endswith("."):
        if "*" in host:
            raise _fail(
                setting,
                value,
                "is a malformed pattern",
                "'*' stands for whole labels at the start ('https://*.example.com') "
                "or for the whole port ('http://localhost:*')",
            )
        raise _fail(setting, value, "has a host that is not a valid domain name", "check the spelling")
    return host


def normalize_allowed(value: str, setting: str = "allow_origins") -> str:
    """The browser serialization of a configured origin or pattern (``*`` and ``null`` stay).

    Lowercases scheme and host, converts international names to punycode and drops the
    default port; raises :class:`PolicyError` for anything that is neither an origin nor a
    subdomain/any-port pattern, or that no browser could send.
    """
    if value in ("*", "null"):
        return value
    return _serialize(_split(value, setting))


def _serialize(parts: _Parts) -> str:
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"


class OriginMatcher:
    """The compiled form of a policy's origins: answers "is this request Origin allowed?".

    Listed origins (``null`` included, when listed) are found by one set lookup; everything
    else must first pass :func:`~corsight.originsyntax.is_serialized_origin`, the one gate in
    front of the subdomain and any-port patterns and the regexes.
    """

    __slots__ = ("_any_port", "_regexes", "_subdomains", "allow_all", "exact")

    def __init__(self, origins: Iterable[str], regexes: Iterable[str] = ()) -> None:
        """``origins`` as :func:`normalize_allowed` returns them; raises :class:`PolicyError`
        with a problem for each regex that is wrong."""
        self.allow_all = False
        exact: set[str] = set()
        any_port: set[tuple[str, str]] = set()
        subdomains: set[tuple[str, str, str]] = set()
        for value in origins:
            if value == "*":
                self.allow_all = True
                continue
            if value == "null":
                exact.add(value)
                continue
            parts = _split(value, "allow_origins")
            if parts.host.startswith("*."):
                subdomains.add((parts.scheme, parts.host[2:], parts.port))
            elif parts.port == "*":
                any_port.add((parts.scheme, parts.host))
            else:
                exact.add(_serialize(parts))
        compiled: list[re.Pattern[str]] = []
        problems: list[Problem] = []
        for regex in regexes:
            try:
                compiled.append(compile_origin_regex(regex, "allow_origin_regex"))
            except PolicyError as error:
                problems += error.problems
        if problems:
            raise PolicyError(problems)
        self.exact = frozenset(exact)
        self._any_port = frozenset(any_port)
        self._subdomains = frozenset(subdomains)
        self._regexes = tuple(compiled)

    @property
    def has_patterns(self) -> bool:
        return bool(self._any_port or self._subdomains or self._regexes)

    @property
    def subdomains(self) -> frozenset[tuple[str, str, str]]:
        """Subdomain patterns as matched: ``(scheme, parent host, port)``, the port ``""`` for the
        scheme's default and ``"*"`` for any."""
        return self._subdomains

    @property
    def any_port(self) -> frozenset[tuple[str, str]]:
        """Any-port patterns as matched: ``(scheme, host)``."""
        return self._any_port

    @property
    def regexes(self) -> tuple[str, ...]:
        """The regexes as written; each must match a whole serialized origin."""
        return tuple(regex.pattern for regex in self._regexes)

    def __contains__(self, origin: str) -> bool:
        return self.allow_all or origin in self.exact or self.matches_pattern(origin)

    def matches_pattern(self, origin: str) -> bool:
        """Whether a request ``Origin`` matches a subdomain, any-port or regex pattern.

        Only a browser's serialization of an origin is considered (lowercase, no default
        port, no path, canonical IP literals...): anything else is never reflected.
        """
        return is_serialized_origin(origin) and self.matches_serialized(origin)

    def matches_serialized(self, origin: str) -> bool:
        """:meth:`matches_pattern` for an origin that already passed ``is_serialized_origin``."""
        if self._any_port or self._subdomains:
            scheme, _, rest = origin.partition("://")
            if self._match_host(scheme, rest):
                return True
        return any(regex.fullmatch(origin) for regex in self._regexes)

    def _match_host(self, scheme: str, rest: str) -> bool:
        # rest is "host[:port]" of a serialized origin: the port, when present, is valid.
        if rest[0] == "[":
            end = rest.index("]") + 1
            host, port = rest[:end], rest[end + 1 :]
        else:
            host, _, port = rest.partition(":")
        if (scheme, host) in self._any_port:
            return True
        dot = host.find(".") if self._subdomains else -1
        while dot > 0:
            suffix = host[dot + 1 :]
            if (scheme, suffix, port) in self._subdomains or (scheme, suffix, "*") in self._subdomains:
                return True
            dot = host.find(".", dot + 1)
        return False
