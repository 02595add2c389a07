"""Private Network Access: the preflight Chromium sends before a page reaches a more private
address space (a public page calling a private or loopback address), and the grant it needs.

The preflight is a CORS preflight that also asks ``Access-Control-Request-Private-Network:
true``; it passes when the preflight checks pass and the server answers
``Access-Control-Allow-Private-Network: true``, exactly (Chromium's
``CheckPrivateNetworkAccessPreflightResponse``).
"""

from __future__ import annotations

from dataclasses import dataclass

from corsight.browser.checks import Failure, evaluate_preflight, get_header
from corsight.browser.fetch import Outgoing
from corsight.browser.request import Request, preflight_headers
from corsight.types import HeaderLines

GRANT_HEADER = "Access-Control-Allow-Private-Network"


def private_network_preflight(request: Request, serialized_origin: str) -> Outgoing:
    """The preflight Chromium sends for ``request`` to a more private address space."""
    headers = preflight_headers(request, serialized_origin, private_network=True)
    return Outgoing("preflight", "OPTIONS", request.url, tuple(headers))


@dataclass(frozen=True)
class PrivateNetworkPreflight:
    """A private-network preflight's outcome: the CORS preflight checks' failure (None when
    they passed) and whether the server granted private-network access."""

    failure: Failure | None
    granted: bool


def evaluate_private_network_preflight(
    request: Request, status: int, headers: HeaderLines, serialized_origin: str
) -> PrivateNetworkPreflight:
    """Judge the answer to :func:`private_network_preflight` for ``request``."""
    checks = evaluate_preflight(request, status, headers, serialized_origin)
    return PrivateNetworkPreflight(checks.failure, get_header(headers, GRANT_HEADER) == "true")
