"""Which headers cross the proxy, in each direction (sans-IO).

Hop-by-hop headers describe one connection and never cross. Cookies cross only when the
operator allows it: in open mode one proxy origin would otherwise pool the cookies of every
site it reaches. The upstream's own CORS headers never cross: the proxy's policy decides CORS,
and a stray ``Access-Control-Allow-Credentials`` from upstream must not widen it.
"""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

#: RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones still seen.
HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
    b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
})  # fmt: skip

COOKIE_REQUEST = frozenset({b"cookie", b"cookie2"})
COOKIE_RESPONSE = frozenset({b"set-cookie", b"set-cookie2"})

#: Request headers the proxy sets itself or that only concern the browser and the proxy.
REQUEST_DROPPED = HOP_BY_HOP | {
    b"host", b"content-length", b"access-control-request-method",
    b"access-control-request-headers", b"access-control-request-private-network",
    b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port", b"forwarded",
    b"expect",  # the server in front of the proxy already answered 100-continue
}  # fmt: skip

#: Response headers that would bind the proxy's own origin to what one upstream said
#: (HSTS, alternative services, key pins) when many sites share that origin.
ORIGIN_BINDING = frozenset({b"strict-transport-security", b"alt-svc", b"public-key-pins"})


def connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` (they are hop-by-hop too)."""
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            names.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return frozenset(names)


def request_headers(
    headers: Iterable[tuple[bytes, bytes]],
    *,
    host: str,
    cookies: bool,
    forwarded: bool,
    client: str | None,
    proto: str,
    proxy_host: str | None,
) -> list[tuple[str, str]]:
    """The headers to send upstream for a browser's request to the proxy."""
    headers = list(headers)
    drop = REQUEST_DROPPED | connection_tokens(headers)
    if not cookies:
        drop |= COOKIE_REQUEST
    out = [("Host", host)]
    forwarded_for: str | None = None
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name in drop:
            continue
        if name == b"x-forwarded-for":
            if forwarded:
                value = raw_value.decode("latin-1")
                forwarded_for = value if forwarded_for is None else f"{forwarded_for}, {value}"
            continue
        out.append((raw_name.decode("latin-1"), raw_value.decode("latin-1")))
    if forwarded:
        if client:
            forwarded_for = client if forwarded_for is None else f"{forwarded_for}, {client}"
        if forwarded_for is not None:
            out.append(("X-Forwarded-For", forwarded_for))
        out.append(("X-Forwarded-Proto", proto))
        if proxy_host:
            out.append(("X-Forwarded-Host", proxy_host))
    return out


def response_headers(
    headers: Iterable[tuple[bytes, bytes]], *, cookies: bool, shared_origin: bool
) -> RawHeaders:
    """The upstream's response headers that may reach the browser (names lowercased)."""
    headers = list(headers)
    drop = HOP_BY_HOP | connection_tokens(headers)
    if not cookies:
        drop |= COOKIE_RESPONSE
    if shared_origin:
        drop |= ORIGIN_BINDING
    out = []
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in drop or name.startswith(b"access-control-"):
            continue
        out.append((name, value))
    return out
