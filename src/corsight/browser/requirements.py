"""What a server must answer for a request to pass: the CORS headers of a passing preflight
response and of a passing actual (or redirect) response, each with a value that passes and
whether a given response already does.

The checks themselves are :mod:`corsight.browser.checks`; this module asks them, header by
header, so that a tool never compares a header by hand. The diagnosis lists these
requirements as the fix; ``corsight har`` answers with them for a preflight that a HAR did not
record (the browser sent the request, so its preflight passed).
"""

from __future__ import annotations

from dataclasses import dataclass

from corsight.browser.checks import (
    PreflightResult,
    allow_credentials_check,
    allow_origin_check,
    get_header,
)
from corsight.browser.request import Request, is_cors_safelisted_method
from corsight.httpsyntax import parse_token_list
from corsight.types import HeaderLines


@dataclass(frozen=True)
class HeaderRequirement:
    """One response header the browser needs: ``value`` passes; ``current`` is the response's
    own value (``None``: absent) and ``passes`` whether that one already does."""

    name: str
    value: str
    current: str | None
    passes: bool


def response_requirements(
    request: Request, headers: HeaderLines, serialized_origin: str
) -> tuple[HeaderRequirement, ...]:
    """The CORS headers an actual or redirect response must carry for ``request`` when the
    browser sent ``Origin: serialized_origin``: the origin, and for a credentialed request
    ``Access-Control-Allow-Credentials: true``."""
    creds = request.credentials_included
    failure, _ = allow_origin_check(headers, serialized_origin, credentials_included=creds)
    needed = [_requirement(headers, "Access-Control-Allow-Origin", serialized_origin, failure is None)]
    if creds:
        failure, _ = allow_credentials_check(headers)
        needed.append(_requirement(headers, "Access-Control-Allow-Credentials", "true", failure is None))
    return tuple(needed)


def preflight_requirements(
    request: Request, headers: HeaderLines, serialized_origin: str
) -> tuple[HeaderRequirement, ...]:
    """The headers a preflight response with an ok status must carry for ``request``: those
    of any response, the method when it is not safelisted, and the request's unsafe header
    names. Whether today's lists pass is the preflight check's call (``*``, case, list syntax:
    a list that does not parse fails the preflight even when nothing needs to be listed)."""
    needed = list(response_requirements(request, headers, serialized_origin))
    methods, bad_method = parse_token_list(get_header(headers, "access-control-allow-methods"))
    names, bad_name = parse_token_list(get_header(headers, "access-control-allow-headers"))
    allowed = PreflightResult(
        frozenset(methods), frozenset(n.lower() for n in names), request.credentials_included, 0
    )
    if not is_cors_safelisted_method(request.method) or bad_method is not None:
        passes = bad_method is None and allowed.method_failure(request.method) is None
        needed.append(_requirement(headers, "Access-Control-Allow-Methods", request.method, passes))
    unsafe = request.unsafe_header_names()
    if unsafe or bad_name is not None:
        passes = bad_name is None and allowed.header_failure(request) is None
        # With no name to allow, any list that parses passes: '*' is one.
        value = ", ".join(unsafe) or "*"
        needed.append(_requirement(headers, "Access-Control-Allow-Headers", value, passes))
    return tuple(needed)


def passing_preflight_headers(request: Request, serialized_origin: str) -> list[tuple[str, str]]:
    """The header lines of a preflight response that lets ``request`` through."""
    return [(r.name, r.value) for r in preflight_requirements(request, (), serialized_origin)]


def _requirement(headers: HeaderLines, name: str, value: str, passes: bool) -> HeaderRequirement:
    return HeaderRequirement(name, value, get_header(headers, name), passes)


__all__ = [
    "HeaderRequirement",
    "passing_preflight_headers",
    "preflight_requirements",
    "response_requirements",
]
