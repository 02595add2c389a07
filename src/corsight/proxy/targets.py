"""Where the proxy may connect: target URL parsing and IP address classification (sans-IO).

The proxy resolves a target's host once, checks every address with :meth:`TargetRules.check`
and connects to a checked address, so what is checked is what is reached. Addresses are
classified from the IANA special-purpose registries written out below, not from
:mod:`ipaddress`'s ``is_global`` (which calls multicast and NAT64 addresses global), and IPv6
forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.

The request target a client sends is only ever a path: :func:`origin_form` refuses anything
else, and :func:`upstream_target` joins it to the upstream by parts, so no target can name
another host (a :class:`UpstreamTarget`'s path always starts with ``/``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import string
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges no proxy of the public web should reach, with the reason given to the user.
_IPV4_REFUSED: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "private"),  # shared address space (carrier-grade NAT)
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),  # cloud metadata services live here
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "reserved"),  # documentation
    (_V4("192.88.99.0/24"), "reserved"),  # former 6to4 relay anycast
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved"),  # benchmarking
    (_V4("198.51.100.0/24"), "reserved"),
    (_V4("203.0.113.0/24"), "reserved"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),  # includes 255.255.255.255 (broadcast)
)

_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_IPV6_REFUSED: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "private"),  # local-use NAT64
    (_V6("100::/64"), "reserved"),  # discard-only
    # IETF protocol assignments, Teredo among them (its IPv4 client is obfuscated): no web API.
    (_V6("2001::/23"), "reserved"),
    (_V6("2001:db8::/32"), "reserved"),  # documentation
    (_V6("3fff::/20"), "reserved"),  # documentation
    (_V6("5f00::/16"), "reserved"),  # SRv6 segment identifiers
    (_V6("fc00::/7"), "private"),  # unique local
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "private"),  # deprecated site-local
    (_V6("ff00::/8"), "multicast"),
)
_IPV4_MAPPED = _V6("::ffff:0:0/96")
_IPV4_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def classify(address: IPAddress) -> str | None:
    """Why the proxy refuses ``address`` by default (``"loopback"``, ``"private"``,
    ``"link-local"``, ``"multicast"``, ``"reserved"``, ``"unspecified"``), or ``None`` when it
    is an ordinary public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(address.compressed.split("%")[0])
        inner = embedded_ipv4(address)
        if inner is not None:
            return classify(inner)
        for network, reason in _IPV6_REFUSED:
            if address in network:
                return reason
        return None if address in _GLOBAL_UNICAST_V6 else "reserved"
    for network4, reason in _IPV4_REFUSED:
        if address in network4:
            return reason
    return None


def parse_ip(text: str) -> IPAddress | None:
    """An IP address from a URL host or a resolver answer, else ``None``.

    IPv4 in the forms browsers and ``inet_aton`` accept (``127.1``, ``0x7f.0.0.1``,
    ``2130706433``) is read as the address it means, so it cannot pass for a name.
    """
    host = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ends_in_number(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def ends_in_number(host: str) -> bool:
    """Whether a host is meant as IPv4 (its last label is a number), as WHATWG URL reads it."""
    return _is_number(host.rstrip(".").rsplit(".", 1)[-1])


def _is_number(label: str) -> bool:
    lower = label.lower()
    if not lower:
        return False
    if lower.startswith("0x"):
        return all(c in "0123456789abcdef" for c in lower[2:])
    return lower.isdigit()


class TargetError(ValueError):
    """A target the proxy will not reach; ``str()`` is the message for the client."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UpstreamTarget:
    """Where the proxy forwards a request, syntax checked: ``host`` is lowercase ASCII (IPv6
    without brackets)."""

    scheme: str
    host: str
    port: int
    path: str  # path and query: "/" then visible ASCII without "#"
    ip: IPAddress | None  # set when the host is an IP literal

    def __post_init__(self) -> None:
        # The one invariant that keeps the path a path: whatever builds a UpstreamTarget, a path that
        # does not start with "/" (or holds a fragment, a space or a control byte) could be
        # read as part of the authority by whoever joins it to a host.
        if not self.path.startswith("/") or not _is_visible(self.path):
            raise TargetError(f"invalid path {self.path[:100]!r}: not '/' then visible ASCII")

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def parse_target(url: str) -> UpstreamTarget:
    """Parse an absolute http(s) URL given to the proxy; :class:`TargetError` explains a bad one."""
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep or not scheme.isascii() or not scheme.isalpha():
        raise TargetError(
            f"not an absolute URL: {url[:100]!r}; put the whole URL after the proxy's slash, "
            "e.g. /https://api.example.com/path"
        )
    if scheme not in ALLOWED_SCHEMES:
        raise TargetError(f"scheme {scheme!r} is not allowed; only http and https are proxied", 403)
    if not rest.startswith("//"):
        raise TargetError(
            f"missing slash in {url[:100]!r}: two slashes are needed after {scheme}: "
            "(a front server may have merged them; configure it to keep the URI as sent)"
        )
    if any(c in url for c in "\r\n\t\x00 ") or not url.isascii():
        raise TargetError("the URL holds whitespace, control or non-ASCII characters; percent-encode them")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"invalid URL {url[:100]!r}: {exc}") from None
    if parts.username is not None or parts.password is not None:
        raise TargetError("credentials in the URL are not forwarded; send an Authorization header instead")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise TargetError(f"no host in {url[:100]!r}")
    ip = parse_ip(raw_host)
    if ip is not None:
        host = ip.compressed
    else:
        if ends_in_number(raw_host):
            raise TargetError(f"invalid IPv4 address {raw_host[:100]!r}")
        host = raw_host.lower().rstrip(".")
        if not host or not all(label and _is_label(label) for label in host.split(".")):
            raise TargetError(f"invalid host name {raw_host[:100]!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return UpstreamTarget(scheme, host, port if port is not None else DEFAULT_PORTS[scheme], path, ip)


#: What a request target may hold as sent: visible ASCII but "#" (browsers percent-encode the
#: rest and never send a fragment).
_TARGET_CHARS = frozenset(string.printable[:94]) - {"#"}
_TARGET_BYTES = bytes(sorted(ord(c) for c in _TARGET_CHARS))


def _is_visible(text: str) -> bool:
    return text.isascii() and not text.encode("ascii").translate(None, _TARGET_BYTES)


def origin_form(path: bytes, query: bytes) -> str:
    """The request target the client sent (its raw path and query) as ``/path?query``, once it
    is a path of visible ASCII; :class:`TargetError` (400) for any other form, such as ``*``,
    an absolute URL or ``@host/x``: the proxy never takes a host from the request target."""
    if not path.startswith(b"/"):
        if path == b"*":
            raise TargetError("'*' asks about the server itself; the proxy forwards only paths ('/...')")
        raise TargetError(
            f"the request target {path[:100].decode('latin-1')!r} is not a path; send a path starting "
            "with '/' (the proxy never takes a host from the request target)"
        )
    if b"?" in path or path.translate(None, _TARGET_BYTES) or query.translate(None, _TARGET_BYTES):
        raise TargetError("the request target holds whitespace, control, '#', '?' or non-ASCII bytes; "
                          "percent-encode them")  # fmt: skip
    text = path.decode("ascii")
    return f"{text}?{query.decode('ascii')}" if query else text


def has_dot_segment(path: str) -> bool:
    """Whether a path holds a ``.`` or ``..`` segment as some server could read it: percent-
    decoded once or twice, ``\\`` taken as ``/``, and a segment cut at ``;`` or NUL
    (``..;`` is ``..`` to Tomcat) with surrounding whitespace ignored."""
    decoded = unquote_to_bytes(unquote_to_bytes(path)).replace(b"\\", b"/")
    for segment in decoded.split(b"/"):
        if b"." in segment and segment.split(b";", 1)[0].split(b"\0", 1)[0].strip() in (b".", b".."):
            return True
    return False


def upstream_target(upstream: UpstreamTarget, target: str) -> UpstreamTarget:
    """Where upstream mode sends the request target ``target`` (from :func:`origin_form`):
    scheme, host, port and address are always the upstream's; the path is the upstream's base
    path joined with the target's, which may hold no dot segment (it could leave the base)."""
    path, _, query = target.partition("?")
    if not path.startswith("/"):
        raise TargetError(f"the request target {target[:100]!r} is not a path")
    if has_dot_segment(path):
        raise TargetError(
            "the path holds a dot segment ('.' or '..', maybe percent-encoded); send the path a "
            "browser would, with the dot segments resolved"
        )
    base = upstream.path.partition("?")[0].rstrip("/")
    return dataclasses.replace(upstream, path=base + path + ("?" + query if query else ""))


def _is_label(label: str) -> bool:
    return len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


@dataclass(frozen=True)
class AllowedTarget:
    """One ``--allow-target`` entry: a host name, an address or a network, and maybe a port."""

    host: str | None
    network: IPNetwork | None
    port: int | None

    @classmethod
    def parse(cls, text: str) -> AllowedTarget:
        """``host``, ``host:port``, ``10.0.0.0/8:443``, ``[::1]:8080``, ``[fd00::/8]``."""
        entry = text.strip()
        port: int | None = None
        if entry.startswith("["):
            host, bracket, after = entry[1:].partition("]")
            if not bracket or (after and not after.startswith(":")):
                raise ValueError(f"allow-target {text!r}: expected [ipv6] or [ipv6]:port")
            port_text = after[1:] if after else ""
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
        else:
            host, port_text = entry, ""
        if port_text and port_text != "*":
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"allow-target {text!r}: port {port_text!r} is not 1-65535")
            port = int(port_text)
        if not host:
            raise ValueError(f"allow-target {text!r}: no host")
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            network = None
        if network is not None:
            return cls(None, network, port)
        ip = parse_ip(host)
        if ip is not None:
            return cls(None, ipaddress.ip_network(ip), port)
        name = host.lower().rstrip(".")
        if not all(label and _is_label(label) for label in name.split(".")):
            raise ValueError(f"allow-target {text!r}: {host!r} is not a host name, address or network")
        return cls(name, None, port)

    def matches(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host
        assert self.network is not None
        return address.version == self.network.version and address in self.network

    def __str__(self) -> str:
        where = self.host if self.host is not None else str(self.network)
        return where if self.port is None else f"{where}:{self.port}"


class TargetRules:
    """Which resolved addresses the proxy may connect to."""

    def __init__(self, allow: tuple[AllowedTarget, ...] = (), *, refuse_non_public: bool = True) -> None:
        self.allow = allow
        self.refuse_non_public = refuse_non_public

    def check(self, host: str, address: IPAddress, port: int) -> str | None:
        """``None`` when ``host`` (resolved to ``address``) may be reached on ``port``; else why not."""
        for entry in self.allow:
            if entry.matches(host, address, port):
                return None
        if not self.refuse_non_public:
            return None
        reason = classify(address)
        if reason is None:
            return None
        shown = f"[{address}]" if address.version == 6 else str(address)
        name = "" if host == address.compressed else f"{host} resolves to "
        return f"{name}{shown}, a {reason} address; the proxy does not reach {reason} addresses"
