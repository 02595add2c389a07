"""Sending probes: one shared ``httpx.AsyncClient`` with a global concurrency limit, a
per-host limit and delay (politeness), curl-style ``--resolve``, extra headers, timeouts and
retries. Only response headers are read: bodies are never downloaded."""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from corsight.browser import NetError

USER_AGENT = "corsight-scan/0.1 (CORS misconfiguration scanner)"
Headers = tuple[tuple[str, str], ...]
MAX_DRAINED_BODY = 256 * 1024
POOL_SIZE = 4


class ResolveError(ValueError):
    """A ``--resolve`` value that is not ``host:port:address``."""


def parse_resolve(values: Sequence[str]) -> dict[tuple[str, int], str]:
    """``api.example:443:127.0.0.1`` (curl's syntax; IPv6 addresses may be bracketed)."""
    table: dict[tuple[str, int], str] = {}
    for value in values:
        host, sep1, rest = value.partition(":")
        port, sep2, address = rest.partition(":")
        if not (sep1 and sep2 and host and port.isdigit() and address):
            raise ResolveError(f"{value!r} is not host:port:address")
        table[(host.lower(), int(port))] = address.strip("[]")
    return table


@dataclass(frozen=True)
class Answer:
    """A response's status and header lines as received, and the header lines we sent."""

    status: int
    headers: Headers
    sent: Headers


class NetFailure(Exception):
    """No usable HTTP response (after retries)."""

    def __init__(self, kind: NetError, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def classify(exc: BaseException) -> tuple[NetError, str, bool]:
    """(kind, detail, worth retrying) for an exception raised while sending."""
    text = str(exc) or exc.__class__.__name__
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetError.CERT_INVALID, f"TLS certificate not trusted ({cause.verify_message})", False
        if isinstance(cause, ssl.SSLError):
            return NetError.SSL_PROTOCOL_ERROR, f"TLS failure ({cause.reason or cause})", False
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError)):
        return NetError.TIMED_OUT, "timed out", True
    lower = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "ssl" in lower or "tls" in lower or "certificate" in lower:
            return NetError.SSL_PROTOCOL_ERROR, f"TLS failure ({text})", False
        if "refused" in lower:
            return NetError.CONNECTION_REFUSED, "connection refused", True
        if "name" in lower or "resolution" in lower or "known" in lower:
            return NetError.NAME_NOT_RESOLVED, f"host not found ({text})", False
        return NetError.CONNECTION_REFUSED, f"cannot connect ({text})", True
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in lower or "disconnected" in lower:
            return NetError.CONNECTION_RESET, "closed without a response", True
        return NetError.INVALID_HTTP_RESPONSE, f"not a valid HTTP response ({text})", False
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return NetError.CONNECTION_RESET, f"connection reset ({text})", True
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return NetError.FAILED, f"cannot send this request ({text})", False
    return NetError.FAILED, text, False


async def _deadline(awaitable: Coroutine[Any, Any, Answer], seconds: float) -> Answer:
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):  # no extra task per request, unlike wait_for
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # pragma: no cover - Python 3.10


@dataclass
class TransportOptions:
    timeout: float = 10.0
    retries: int = 1
    concurrency: int = 20
    per_host: int = 4
    delay: float = 0.0
    verify: bool | str = True
    resolve: Mapping[tuple[str, int], str] = field(default_factory=dict)
    headers: Sequence[tuple[str, str]] = ()


class Transport:
    """``async with Transport(options) as t: await t.send("GET", url, headers)``."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.requests = 0
        self._global = asyncio.Semaphore(max(1, options.concurrency))
        self._hosts: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._last: dict[tuple[str, str, int], float] = {}
        self._clients: dict[tuple[str, str, int], list[httpx.AsyncClient]] = {}
        self._turn: dict[tuple[str, str, int], int] = {}
        self._verify: bool | ssl.SSLContext = True

    async def __aenter__(self) -> Transport:
        self._verify = (
            ssl.create_default_context(cafile=self.options.verify)
            if isinstance(self.options.verify, str)
            else self.options.verify
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        clients = [c for pool in self._clients.values() for c in pool]
        self._clients.clear()
        for client in clients:
            await client.aclose()

    def _new_client(self, connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        client = httpx.AsyncClient(
            follow_redirects=False,
            verify=self._verify,
            timeout=httpx.Timeout(self.options.timeout),
            limits=limits,
            trust_env=False,
        )
        for name in list(client.headers.keys()):
            del client.headers[name]
        return client

    def _client_for(self, key: tuple[str, str, int]) -> httpx.AsyncClient:
        """Clients per host, each with a small pool: httpcore's pool scans every connection on
        each request, and one pool of 20 busy connections ran ten times slower here than five
        pools of four."""
        pool = self._clients.get(key)
        if pool is None:
            per_host = max(1, self.options.per_host)
            shards = -(-per_host // POOL_SIZE)
            size = -(-per_host // shards)
            pool = self._clients[key] = [self._new_client(size) for _ in range(shards)]
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return pool[turn % len(pool)]

    def _host_lock(self, key: tuple[str, str, int]) -> asyncio.Semaphore:
        lock = self._hosts.get(key)
        if lock is None:
            lock = self._hosts[key] = asyncio.Semaphore(max(1, self.options.per_host))
        return lock

    async def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        """Send once (plus retries on connection failures and timeouts); raise
        :class:`NetFailure` when no response came."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        attempts = max(0, self.options.retries) + 1
        last: NetFailure | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(min(2.0, 0.2 * 2 ** (attempt - 1)))
            async with self._global, self._host_lock(key):
                await self._polite(key)
                try:
                    # An overall deadline too: a server that drips bytes defeats read timeouts.
                    sending = self._send_once(self._client_for(key), method, url, host, port, headers)
                    return await _deadline(sending, self.options.timeout * 2 + 1)
                except (httpx.HTTPError, asyncio.TimeoutError, OSError, ValueError) as exc:
                    kind, detail, retry = classify(exc)
                    last = NetFailure(kind, detail)
                    if not retry:
                        raise last from None
        assert last is not None
        raise last

    async def _polite(self, key: tuple[str, str, int]) -> None:
        if self.options.delay > 0:
            wait = self._last.get(key, 0.0) + self.options.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last[key] = time.monotonic()

    async def _send_once(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        host: str,
        port: int,
        headers: Sequence[tuple[str, str]],
    ) -> Answer:
        split = urlsplit(url)
        wire_url = url
        extensions: dict[str, str] = {}
        address = self.options.resolve.get((host, port))
        wire_headers = list(headers)
        if address is not None:
            netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
            wire_url = urlunsplit((split.scheme, netloc, split.path, split.query, ""))
            default = (split.scheme, port) in (("http", 80), ("https", 443))
            wire_headers.insert(0, ("Host", host if default else f"{host}:{port}"))
            extensions["sni_hostname"] = host
        wire_headers += list(self.options.headers)
        wire_headers.append(("User-Agent", USER_AGENT))
        request = client.build_request(
            method,
            wire_url,
            headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in wire_headers],
            extensions=extensions,
        )
        self.requests += 1
        response = await client.send(request, stream=True)
        try:
            received = tuple((n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers.raw)
            sent = tuple((n.decode("latin-1"), v.decode("latin-1")) for n, v in request.headers.raw)
            # Drain a small body so the connection can be reused; give up on a large one
            # (closing the response then closes the connection).
            seen = 0
            try:
                async for chunk in response.aiter_raw():
                    seen += len(chunk)
                    if seen > MAX_DRAINED_BODY:
                        break
            except httpx.HTTPError:
                pass  # the headers are what we came for
            return Answer(response.status_code, received, sent)
        finally:
            await response.aclose()
