"""Sending one request upstream: resolve once, check, connect to the checked address.

The connection goes to the IP literal that passed :class:`~corsight.proxy.targets.TargetRules`,
with ``Host`` and TLS SNI/certificate checks kept on the name, so a DNS answer that changes
between check and connect (rebinding) changes nothing. Every redirect hop goes through
the same path. Bodies are streamed in both directions with backpressure.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

import aiohttp
from yarl import URL

from corsight.proxy.targets import IPAddress, TargetError, TargetRules, UpstreamTarget

#: ``resolver(host, port)`` returns the host's addresses as strings (tests inject fakes).
Resolver = Callable[[str, int], Awaitable[list[str]]]

DNS_CACHE_SECONDS = 10.0
DNS_CACHE_SIZE = 1024

#: Headers that describe a request body; dropped when a redirect turns the request into a GET.
BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language", "content-location",
                          "content-length"})  # fmt: skip


class UpstreamError(Exception):
    """The upstream failed before a response started; ``status`` is 502 or 504."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass
class BodyState:
    """What happened to the request body while it streamed upstream."""

    limit: int
    received: int = 0
    too_large: bool = False
    client_gone: bool = False
    done: bool = False


def connection_url(target: UpstreamTarget, address: IPAddress) -> URL:
    """The URL the client connects to for ``target``: built from parts (the checked address,
    the target's scheme, port, path and query), never by joining strings, and checked once
    built, so that nothing in a path can move the connection to another host."""
    host = f"[{address.compressed}]" if address.version == 6 else address.compressed
    path, _, query = target.path.partition("?")
    url = URL.build(scheme=target.scheme, host=host, port=target.port, path=path, query_string=query,
                    encoded=True)  # fmt: skip
    if (url.raw_host, url.port, url.scheme, url.user, url.password, url.raw_path_qs, url.fragment) != (
        address.compressed,
        target.port,
        target.scheme,
        None,
        None,
        target.path,
        "",
    ):
        raise TargetError(f"refused to send {target.path[:100]!r}: it would not reach {target.origin}")
    return url


class Forwarder:
    """The upstream side of the proxy: a pooled HTTP client and the checked resolver."""

    def __init__(
        self,
        rules: TargetRules,
        *,
        connect_timeout: float,
        read_timeout: float,
        ca_file: str | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.rules = rules
        self.resolver = resolver or system_resolver
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout)
        self.connect_timeout = connect_timeout
        self.ssl = ssl.create_default_context()
        if ca_file is not None:
            self.ssl.load_verify_locations(ca_file)
        self._dns: dict[str, tuple[float, list[IPAddress]]] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, ssl=self.ssl, keepalive_timeout=15, use_dns_cache=False)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # the proxy never keeps cookies itself
                auto_decompress=False,  # bytes pass as they came, with their Content-Encoding
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                timeout=self.timeout,
                read_bufsize=2**16,
                max_field_size=16384,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def address(self, target: UpstreamTarget) -> IPAddress:
        """The checked address to connect to for ``target``; :class:`TargetError` if none."""
        if target.ip is not None:
            reason = self.rules.check(target.host, target.ip, target.port)
            if reason is not None:
                raise TargetError(reason, 403)
            return target.ip
        now = time.monotonic()
        cached = self._dns.get(target.host)
        if cached is None or cached[0] < now:
            try:
                answers = await asyncio.wait_for(
                    self.resolver(target.host, target.port), self.connect_timeout
                )
            except asyncio.TimeoutError:
                raise UpstreamError(504, f"resolving {target.host} timed out") from None
            except OSError as exc:
                raise UpstreamError(502, f"could not resolve {target.host}: {exc.strerror or exc}") from None
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in dict.fromkeys(answers)]
            if not addresses:
                raise UpstreamError(502, f"could not resolve {target.host}: no address")
            if len(self._dns) >= DNS_CACHE_SIZE:
                self._dns.clear()
            self._dns[target.host] = (now + DNS_CACHE_SECONDS, addresses)
        else:
            addresses = cached[1]
        reasons = []
        for address in addresses:
            reason = self.rules.check(target.host, address, target.port)
            if reason is None:
                return address
            reasons.append(reason)
        raise TargetError(reasons[0], 403)

    async def send(
        self,
        method: str,
        target: UpstreamTarget,
        headers: Iterable[tuple[str, str]],
        body: AsyncIterator[bytes] | None,
        *,
        deadline: float | None = None,
    ) -> aiohttp.ClientResponse:
        """Send one request (no redirect following) and return the response, body unread.

        ``deadline`` (:func:`time.monotonic`) bounds the whole exchange, reading the body
        included: past it, waiting for the response is a 504 and reading the body fails."""
        timeout = self.timeout
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UpstreamError(504, f"{target.origin} did not answer within the response deadline")
            timeout = aiohttp.ClientTimeout(total=remaining, sock_connect=self.timeout.sock_connect,
                                            sock_read=self.timeout.sock_read)  # fmt: skip
        address = await self.address(target)
        url = connection_url(target, address)
        sni = target.host if target.scheme == "https" and target.ip is None else None
        try:
            return await self.session.request(
                method,
                url,
                headers=list(headers),
                data=body,
                allow_redirects=False,
                server_hostname=sni,
                compress=None,
                chunked=None,
                timeout=timeout,
            )
        except asyncio.TimeoutError:
            raise UpstreamError(504, f"{target.origin} did not answer in time") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            cert = exc.certificate_error
            raise UpstreamError(502, f"TLS certificate of {target.host} rejected: {cert}") from None
        except aiohttp.ClientConnectorError as exc:
            why = exc.os_error.strerror or str(exc.os_error) or "connection failed"
            raise UpstreamError(502, f"could not connect to {target.origin}: {why}") from None
        except aiohttp.ServerDisconnectedError:
            raise UpstreamError(502, f"{target.origin} closed the connection without a response") from None
        except aiohttp.ClientResponseError as exc:
            raise UpstreamError(502, f"invalid response from {target.origin}: {exc.message}") from None
        except aiohttp.ClientOSError as exc:
            why = exc.strerror or str(exc) or "connection error"
            raise UpstreamError(502, f"connection to {target.origin} failed: {why}") from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(502, f"invalid response from {target.origin}: {exc}") from None
