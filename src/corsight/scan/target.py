"""A scan target: the URL, its origin, its registrable domain (from the Public Suffix List
bundled with ``publicsuffixlist``, never fetched) and whether it sits inside a network."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from corsight.browser import Origin, URLError
from corsight.browser.urls import canonical_url, origin_of


class ScanTargetError(ValueError):
    """The input is not an http(s) URL the scanner can probe."""


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # The package's bundled snapshot; unknown TLDs follow the PSL algorithm's default "*" rule,
    # so a lab name like api.victim.example has the registrable domain victim.example.
    return PublicSuffixList()


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str | None:
    """``victim.co.uk`` for ``api.victim.co.uk``; None for an IP address, a public suffix or a
    single label such as ``localhost``."""
    if is_ip(host) or "." not in host:
        return None
    found: str | None = _psl().privatesuffix(host.lower())
    return found


@lru_cache(maxsize=4096)
def public_suffix(host: str) -> str | None:
    if is_ip(host):
        return None
    found: str | None = _psl().publicsuffix(host.lower())
    return found


@lru_cache(maxsize=1024)
def is_listed_suffix(suffix: str) -> bool:
    """Whether ``suffix`` is in the list itself (not only matched by the default rule)."""
    return bool(_psl().publicsuffix(suffix, accept_unknown=False) == suffix)


def is_internal_host(host: str) -> bool:
    """A loopback, private, link-local or unique-local address, or ``localhost``: only
    reachable from inside a network."""
    bare = host.strip("[]").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


@dataclass(frozen=True)
class ScanTarget:
    """One URL to scan, with what the probes are built from."""

    url: str
    origin: Origin
    host: str
    registrable: str | None
    suffix: str | None
    internal: bool

    @property
    def scheme(self) -> str:
        return self.origin.scheme

    @property
    def serialized_origin(self) -> str:
        return self.origin.serialize()


def parse_target(text: str, *, internal: bool = False) -> ScanTarget:
    """Parse one input line; a bare host gets ``https://``. Raises :class:`ScanTargetError`."""
    raw = text.strip()
    if not raw:
        raise ScanTargetError("empty URL")
    if "://" not in raw:
        raw = "https://" + raw
    try:
        scheme = urlsplit(raw).scheme.lower()
    except ValueError as exc:
        raise ScanTargetError(f"{text.strip()!r}: {exc}") from None
    if scheme not in ("http", "https"):
        raise ScanTargetError(f"{text.strip()!r}: only http and https URLs can be scanned")
    try:
        url = canonical_url(raw)
        origin = origin_of(url)
    except URLError as exc:
        raise ScanTargetError(str(exc)) from None
    host = origin.host
    return ScanTarget(
        url=url,
        origin=origin,
        host=host,
        registrable=registrable_domain(host),
        suffix=public_suffix(host),
        internal=internal or is_internal_host(host),
    )
