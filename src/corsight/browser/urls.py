"""URLs and origins as the browser sees them: parsing, Chromium-style serialization, same-origin.

Only what the CORS rules need: a tuple origin is (scheme, host, port); an opaque origin
serializes to ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
HTTP_SCHEMES = frozenset({"http", "https"})


class URLError(ValueError):
    """A string that a browser would not accept as an absolute URL."""


@dataclass(frozen=True)
class Origin:
    """A tuple origin, or the opaque origin when ``scheme`` is empty."""

    scheme: str = ""
    host: str = ""
    port: int | None = None

    @property
    def opaque(self) -> bool:
        return not self.scheme

    def serialize(self) -> str:
        if self.opaque:
            return "null"
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port is None or DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.serialize()


OPAQUE = Origin()


def _split(url: str) -> SplitResult:
    if any(c in url for c in "\t\r\n") or url != url.strip(" \x00"):
        raise URLError(f"invalid URL: {url!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        reason = "the port is not a number from 1 to 65535" if "port" in str(exc).lower() else str(exc)
        raise URLError(f"invalid URL: {url!r} ({reason})") from None
    if "://" not in url and url and not url.startswith("/"):
        # 'localhost:5173' parses as scheme 'localhost': what was meant is plain.
        raise URLError(f"invalid URL: {url!r} has no scheme; write 'http://{url}' (or https://)")
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise URLError(f"invalid URL: {url!r} (an absolute http(s) URL is needed)")
    return parts


def canonical_url(url: str) -> str:
    """Serialize ``url`` roughly as Chromium's GURL does (lower-case scheme and host, no
    default port, ``/`` for an empty path); raises :class:`URLError` when it is not absolute."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or "/"
    path = path.replace(" ", "%20")
    out = f"{scheme}://{netloc}{path}"
    if parts.query or url.endswith("?"):
        out += "?" + parts.query
    return out


def origin_of(url: str) -> Origin:
    """The origin of an absolute URL; opaque for schemes other than http(s)/ws(s)."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or scheme == "ftp":
        return OPAQUE
    port = parts.port
    if port is None:
        port = DEFAULT_PORTS[scheme]
    return Origin(scheme, (parts.hostname or "").lower(), port)


def parse_origin(text: str) -> Origin:
    """Parse a serialized origin as a page would have it (``https://app.example``, ``null``).

    A path, query, fragment or userinfo is refused: an origin is only scheme, host and port.
    """
    if text == "null":
        return OPAQUE
    parts = _split(text)
    if parts.path not in ("",) or parts.query or parts.fragment or "@" in parts.netloc:
        raise URLError(f"invalid origin: {text!r} (an origin is scheme://host[:port], no path or slash)")
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise URLError(f"invalid origin: {text!r} (scheme must be http or https)")
    return origin_of(text)


def same_origin(a: Origin, b: Origin) -> bool:
    """Same-origin per HTML: opaque origins are never same-origin with anything here."""
    return not a.opaque and a == b


def is_http_url(url: str) -> bool:
    try:
        return _split(url).scheme.lower() in HTTP_SCHEMES
    except URLError:
        return False


def has_credentials(url: str) -> bool:
    """Whether the URL carries userinfo (``user:pass@``, ``user@``, ``:pass@``)."""
    parts = urlsplit(url)
    return "@" in parts.netloc
