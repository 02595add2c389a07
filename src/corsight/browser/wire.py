"""The model's edge with the network: the header lines Chromium adds to each request the fetch
driver asks for, and the ``net::ERR_…`` Chromium reports for a request that got no usable HTTP
response.

A tool's I/O code inspects its own library's exceptions and names a :class:`NetworkFailure`
(what happened, in words no HTTP library owns); :func:`net_error` decides how the browser
reports it. So the mapping is made once, and another engine's codes can be added beside it.
"""

from __future__ import annotations

from enum import Enum

from corsight.browser.fetch import Outgoing
from corsight.browser.messages import NetError

#: What fetch() sends when the page set no Accept (the preflight always carries this one).
DEFAULT_ACCEPT = ("Accept", "*/*")
#: Fetch metadata of a fetch() from script: CORS mode, no destination.
FETCH_METADATA = (("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty"))


def wire_headers(step: Outgoing) -> list[tuple[str, str]]:
    """The header lines Chromium sends for ``step``, in its order: ``Accept: */*`` first unless
    the request has one, the step's lines (for a preflight: Accept, Access-Control-Request-*,
    Origin), then ``Sec-Fetch-Mode`` and ``Sec-Fetch-Dest``. Host, User-Agent and the
    Accept-Encoding/-Language of the network stack are the sending tool's."""
    headers = list(step.headers)
    if not any(name.lower() == "accept" for name, _ in headers):
        headers.insert(0, DEFAULT_ACCEPT)
    headers += FETCH_METADATA
    return headers


class NetworkFailure(Enum):
    """Why a request got no usable HTTP response, as a tool's I/O code observed it."""

    CONNECTION_REFUSED = "connection refused"
    CONNECT_FAILED = "cannot connect"  # any other failure to open the connection
    NAME_NOT_RESOLVED = "host not found"
    TIMED_OUT = "timed out"
    CONNECTION_RESET = "connection reset"  # reset or closed while the response was awaited
    EMPTY_RESPONSE = "closed without a response"  # closed before the first byte of a response
    TLS_CERTIFICATE_INVALID = "TLS certificate not trusted"
    TLS_FAILED = "TLS failure"
    INVALID_RESPONSE = "not a valid HTTP response"
    NOT_SENT = "cannot send this request"  # refused before sending (a header that cannot be sent)
    OTHER = "failed"


_NET_ERRORS = {
    NetworkFailure.CONNECTION_REFUSED: NetError.CONNECTION_REFUSED,
    # Chromium has codes for unreachable hosts and networks; corsight reports them as refused.
    NetworkFailure.CONNECT_FAILED: NetError.CONNECTION_REFUSED,
    NetworkFailure.NAME_NOT_RESOLVED: NetError.NAME_NOT_RESOLVED,
    NetworkFailure.TIMED_OUT: NetError.TIMED_OUT,
    NetworkFailure.CONNECTION_RESET: NetError.CONNECTION_RESET,
    NetworkFailure.EMPTY_RESPONSE: NetError.EMPTY_RESPONSE,
    NetworkFailure.TLS_CERTIFICATE_INVALID: NetError.CERT_INVALID,
    NetworkFailure.TLS_FAILED: NetError.SSL_PROTOCOL_ERROR,
    NetworkFailure.INVALID_RESPONSE: NetError.INVALID_HTTP_RESPONSE,
    NetworkFailure.NOT_SENT: NetError.FAILED,
    NetworkFailure.OTHER: NetError.FAILED,
}


def net_error(failure: NetworkFailure) -> NetError:
    """The ``net::ERR_…`` Chromium reports for ``failure``."""
    return _NET_ERRORS[failure]
