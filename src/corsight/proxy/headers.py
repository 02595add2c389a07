"""Which headers cross the proxy, in each direction, and how a request body is framed (sans-IO).

Hop-by-hop headers describe one connection and never cross. Cookies cross only when the
operator allows it: in open mode one proxy origin would otherwise pool the cookies of every
site it reaches. The upstream's own CORS headers never cross: the proxy's policy decides CORS,
and a stray ``Access-Control-Allow-Credentials`` from upstream must not widen it.

The client's forwarding headers (``X-Forwarded-*``, ``Forwarded``, ``Via``, ``X-Real-IP`` and
kin) are dropped unless it is a trusted proxy: the proxy says itself who its client is. In
open mode, where every site shares the proxy's origin, response headers that act on that
origin are dropped and every response is sandboxed (:data:`SHARED_ORIGIN_ADDED`).

Every header value that crosses is checked against the field grammar (no control bytes but
tab), so neither side can inject a line; a bad one fails the message, linearly.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from corsight.types import RawHeaderList

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones still seen.
HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
    b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
})  # fmt: skip

COOKIE_REQUEST = frozenset({b"cookie", b"cookie2"})
COOKIE_RESPONSE = frozenset({b"set-cookie", b"set-cookie2"})

#: Headers that say who the client is and how it reached us. A client can write any of them,
#: and an upstream that trusts them would trust a forgery: they cross only from a trusted
#: proxy, and the proxy sets ``X-Forwarded-For/-Proto/-Host`` itself.
FORWARDING = frozenset({
    b"forwarded", b"via", b"x-real-ip", b"x-client-ip", b"client-ip", b"true-client-ip",
    b"cf-connecting-ip", b"fastly-client-ip", b"x-cluster-client-ip", b"x-originating-ip",
    b"x-remote-ip", b"x-remote-addr",
})  # fmt: skip
FORWARDING_PREFIX = b"x-forwarded-"

#: Request headers the proxy sets itself or that only concern the browser and the proxy.
REQUEST_DROPPED = HOP_BY_HOP | {
    b"host", b"content-length", b"access-control-request-method",
    b"access-control-request-headers", b"access-control-request-private-network",
    b"expect",  # the server in front of the proxy already answered 100-continue
    # They replace the request's path at some servers (IIS, Symfony): the path is the proxy's.
    b"x-original-url", b"x-rewrite-url",
}  # fmt: skip

#: Response headers that act on the proxy's own origin rather than on one response. In open
#: mode that origin is shared by every site the proxy reaches, so one site could bind it or
#: wipe it for all: transport security (HSTS, Alt-Svc, key pins, Expect-CT), storage
#: (Clear-Site-Data wipes the origin's storage; cookies), service workers (a wider scope),
#: origin-wide persistent settings (NEL and Report-To would send reports of every URL fetched
#: through the proxy to one site; Accept-CH/Critical-CH; Origin-Agent-Cluster; Set-Login),
#: and Refresh, a navigation that means nothing to fetch(). The upstream's
#: X-Content-Type-Options is replaced by the proxy's.
SHARED_ORIGIN_DROPPED = COOKIE_RESPONSE | {
    b"strict-transport-security", b"alt-svc", b"public-key-pins", b"public-key-pins-report-only",
    b"expect-ct", b"clear-site-data", b"service-worker-allowed", b"nel", b"report-to",
    b"reporting-endpoints", b"accept-ch", b"critical-ch", b"origin-agent-cluster", b"set-login",
    b"refresh", b"x-content-type-options",
}  # fmt: skip

#: Added to every upstream response in open mode: a page loaded from the proxy runs in a
#: sandbox (an opaque origin, no script), so no site can run script as the proxy's origin;
#: ``nosniff`` keeps a response from being read as a type it does not declare. The upstream's
#: own CSP is kept: several policies only ever restrict further.
SHARED_ORIGIN_ADDED: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"sandbox"),
    (b"x-content-type-options", b"nosniff"),
)

#: RFC 9110 §5.1 token; §5.5 field value: anything but control bytes (HTAB allowed).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class HeaderError(ValueError):
    """A message whose headers the proxy will not pass on; ``str()`` says why, for the client."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def check_request(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """:class:`HeaderError` (400) when any request header is not valid HTTP. Checked once,
    before anything reads them: some servers (uvicorn with h11) pass control bytes through,
    and ``Host`` alone is used in ``X-Forwarded-Host``, ``X-Final-Url`` and ``Location``."""
    for name, value in headers:
        check_field(name, value, 400, "request")


def check_field(name: bytes, value: bytes, status: int, where: str) -> None:
    """:class:`HeaderError` unless ``name`` is a token and ``value`` holds no control byte."""
    if _TOKEN.fullmatch(name) is None:
        raise HeaderError(f"{where}: a header name is not a token ({name[:40]!r})", status)
    if _CONTROL.search(value) is not None:
        raise HeaderError(f"{where}: the value of {name.decode('latin-1')} holds control characters", status)


@dataclass(frozen=True)
class Framing:
    """How a request body is delimited: ``length`` bytes, or ``chunked`` (unknown length)."""

    length: int | None
    chunked: bool

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.length)


def request_framing(headers: Iterable[tuple[bytes, bytes]]) -> Framing:
    """The framing of the client's request body, which the proxy re-states itself upstream.

    A request with both ``Transfer-Encoding`` and ``Content-Length``, or with conflicting or
    malformed lengths, is refused (:class:`HeaderError`, 400): a server in front of the proxy
    and the upstream could read it differently (request smuggling), and forwarding the length
    beside a chunked body would cut the body short.
    """
    length: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"transfer-encoding":
            chunked = True
        elif name == b"content-length":
            text = value.strip()
            if not text.isdigit() or len(text) > 18:
                raise HeaderError("Content-Length is not a number of bytes", 400)
            if length is not None and int(text) != length:
                raise HeaderError("several different Content-Length headers", 400)
            length = int(text)
    if chunked and length is not None:
        raise HeaderError("both Transfer-Encoding and Content-Length; send one of them", 400)
    return Framing(length, chunked)


def connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` (they are hop-by-hop too)."""
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            names.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return frozenset(names)


def is_forwarding(name: bytes) -> bool:
    return name in FORWARDING or name.startswith(FORWARDING_PREFIX)


def is_trusted(peer: str | None, trusted: Sequence[IPNetwork]) -> bool:
    """Whether the peer address is one of the operator's trusted proxies."""
    if peer is None or not trusted:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address.version == net.version and address in net for net in trusted)


def client_address(
    headers: Iterable[tuple[bytes, bytes]], peer: str | None, trusted: Sequence[IPNetwork]
) -> str | None:
    """Who the client is: the peer, or behind trusted proxies the right-most address of
    ``X-Forwarded-For`` that is not one of them (the left part is the client's to write)."""
    if not is_trusted(peer, trusted):
        return peer
    chain = _joined(headers, b"x-forwarded-for")
    for entry in reversed(chain.split(",") if chain else []):
        address = entry.strip()[:64]
        if address and not is_trusted(address, trusted):
            return address
    return peer


def _joined(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    values = [value for name, value in headers if name.lower() == wanted]
    return b", ".join(values).decode("latin-1") if values else None


def request_headers(
    headers: Iterable[tuple[bytes, bytes]],
    *,
    host: str,
    cookies: bool,
    forwarded: bool,
    client: str | None,
    proto: str,
    proxy_host: str | None,
    trusted_peer: bool = False,
) -> list[tuple[str, str]]:
    """The headers to send upstream for a browser's request to the proxy.

    ``client`` is the peer's address; ``trusted_peer`` says it is a trusted proxy, whose
    forwarding headers are kept (its ``X-Forwarded-For`` chain is extended). With
    ``forwarded`` off no forwarding header is sent at all. The headers were checked by
    :func:`check_request`.
    """
    headers = list(headers)
    drop = REQUEST_DROPPED | connection_tokens(headers)
    if not cookies:
        drop |= COOKIE_REQUEST
    keep_forwarding = forwarded and trusted_peer
    out = [("Host", host)]
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name in drop or (is_forwarding(name) and (not keep_forwarding or name == b"x-forwarded-for")):
            continue
        out.append((raw_name.decode("latin-1"), raw_value.decode("latin-1")))
    if forwarded:
        chain = _joined(headers, b"x-forwarded-for") if keep_forwarding else None
        if client:
            chain = client if chain is None else f"{chain}, {client}"
        if chain is not None:
            out.append(("X-Forwarded-For", chain))
        present = {name.lower() for name, _ in out}
        if "x-forwarded-proto" not in present:
            out.append(("X-Forwarded-Proto", proto))
        if proxy_host and "x-forwarded-host" not in present:
            out.append(("X-Forwarded-Host", proxy_host))
    return out


def response_headers(
    headers: Iterable[tuple[bytes, bytes]], *, cookies: bool, shared_origin: bool, source: str = "upstream"
) -> RawHeaderList:
    """The upstream's response headers that may reach the browser (names lowercased).

    A header that is not valid HTTP (a name that is not a token, a value with control bytes)
    is a :class:`HeaderError` (502): passing it on could split the response, dropping it
    silently could change what it means.
    """
    headers = list(headers)
    drop = HOP_BY_HOP | connection_tokens(headers)
    if not cookies:
        drop |= COOKIE_RESPONSE
    if shared_origin:
        drop |= SHARED_ORIGIN_DROPPED
    out = []
    for raw_name, value in headers:
        check_field(raw_name, value, 502, f"invalid response from {source}")
        name = raw_name.lower()
        if name in drop or name.startswith(b"access-control-"):
            continue
        if shared_origin and name == b"link" and b"serviceworker" in value.lower():
            continue  # Link: rel=serviceworker installs a service worker on the proxy's origin
        out.append((name, value))
    if shared_origin:
        out.extend(SHARED_ORIGIN_ADDED)
    return out
