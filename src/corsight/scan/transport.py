"""Sending probes: a small HTTP/1.1 client of the scanner's own, with a global concurrency
limit, a per-host limit and delay (politeness), curl-style ``--resolve``, extra headers,
timeouts and retries.

Why not httpx: a scan is thousands of tiny requests of which only the status line and the
headers matter, and httpx's async stack (httpcore, anyio, h11, cookies, URL models) spent
about a millisecond of Python on each, most of the scan's time. Here a request is one write
of pre-encoded bytes on a kept-alive connection and one parse of the response head in an
:class:`asyncio.Protocol`, with bounds on everything a hostile peer controls: the heads of a
response (interim ones included) are at most 64 KiB together and parsed in linear time, a body
is drained up to 256 KiB so the connection can be reused and abandoned beyond (never read when
the connection cannot be reused), and each request has a read timeout and an overall deadline
(a server that drips bytes cannot hold the scan). Every failure becomes a :class:`NetFailure`
with a Chromium ``net::ERR_…`` kind, reported per URL.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, cast
from urllib.parse import urlsplit

from corsight.browser.wire import NetworkFailure, net_error
from corsight.httpsyntax import TOKEN_CHARS, is_token, split_list
from corsight.types import HeaderPairs

USER_AGENT = "corsight-scan/0.1 (CORS misconfiguration scanner)"
MAX_DRAINED_BODY = 256 * 1024
MAX_HEAD = 64 * 1024
MAX_CHUNK_LINE = 4096
NO_BODY_STATUSES = frozenset({204, 304})


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
class RawResponse:
    """A response's status and header lines as received, the header lines we sent, and how
    many times the request was sent (retries included)."""

    status: int
    headers: HeaderPairs
    sent: HeaderPairs
    attempts: int = 1


class NetFailure(Exception):
    """No usable HTTP response (after retries): what happened, and the ``net::ERR_…`` the
    browser model says Chromium reports for it (``kind``)."""

    def __init__(self, failure: NetworkFailure, detail: str, attempts: int = 1) -> None:
        super().__init__(detail)
        self.failure = failure
        self.kind = net_error(failure)
        self.detail = detail
        self.retry = failure in RETRIED
        self.attempts = attempts


#: Failures worth sending again: the next attempt may find the server up and answering.
RETRIED = frozenset(
    {
        NetworkFailure.CONNECTION_REFUSED,
        NetworkFailure.CONNECT_FAILED,
        NetworkFailure.TIMED_OUT,
        NetworkFailure.CONNECTION_RESET,
    }
)


def classify(exc: BaseException) -> NetFailure:
    """The failure (what happened, detail) for an exception raised while connecting."""
    if isinstance(exc, NetFailure):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = f"TLS certificate not trusted ({exc.verify_message})"
        return NetFailure(NetworkFailure.TLS_CERTIFICATE_INVALID, detail)
    if isinstance(exc, ssl.SSLError):
        return NetFailure(NetworkFailure.TLS_FAILED, f"TLS failure ({exc.reason or exc})")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return NetFailure(NetworkFailure.TIMED_OUT, "timed out")
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, socket.gaierror):
        return NetFailure(NetworkFailure.NAME_NOT_RESOLVED, f"host not found ({text})")
    if isinstance(exc, ConnectionRefusedError):
        return NetFailure(NetworkFailure.CONNECTION_REFUSED, "connection refused")
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return NetFailure(NetworkFailure.CONNECTION_RESET, f"connection reset ({text})")
    if isinstance(exc, OSError):
        return NetFailure(NetworkFailure.CONNECT_FAILED, f"cannot connect ({text})")
    return NetFailure(NetworkFailure.OTHER, text)


def _invalid(detail: str) -> NetFailure:
    return NetFailure(NetworkFailure.INVALID_RESPONSE, f"not a valid HTTP response ({detail})")


class _Stale(Exception):
    """A kept-alive connection was closed by the server before it answered: send again on a
    new connection (what browsers do; every probe is a safe method)."""


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


# Body framing of the response being read.
_LENGTH, _CHUNKED, _UNTIL_CLOSE = 0, 1, 2
# Where a chunked body is: a size line, data, the CRLF after data, trailer lines.
_SIZE, _DATA, _DATA_END, _TRAILER = 0, 1, 2, 3


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection, one request at a time. :meth:`request` writes a request and
    returns a future for ``(status, headers)``, set once the body has been drained (or
    abandoned); the connection then puts itself back in ``idle`` if it can be reused."""

    def __init__(self, idle: list[_Connection], alive: set[_Connection]) -> None:
        self._idle = idle
        self._alive = alive
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[int, HeaderPairs]] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._buffer = bytearray()
        self._searched = 0
        self._head_bytes = 0
        self._in_head = False
        self._got_bytes = False
        self._reused = False
        self._closed = False
        self._head_request = False
        self._answer: tuple[int, HeaderPairs] | None = None
        self._keep_alive = True
        self._framing = _UNTIL_CLOSE
        self._remaining = 0
        self._chunk_state = _SIZE
        self._drained = 0
        self._idle_timeout = 0.0
        self._deadline = 0.0
        self._last = 0.0

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self._alive.add(self)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # unsolicited bytes: this connection cannot be trusted any more
            self.close()
            return
        self._got_bytes = True
        self._last = self._loop.time()
        if self._in_head:
            self._buffer += data
            self._parse_head()
        else:
            self._body(data)

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost finishes the exchange

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._alive.discard(self)
        if self in self._idle:
            self._idle.remove(self)
        if self._waiter is None:
            return
        if not self._in_head:
            self._finish()  # a body read until the close, or cut short: the head is what counts
        elif not self._got_bytes:
            # Chromium calls this an empty response; the scanner has always reported (and
            # tests/scan/test_scan_transport.py pins) a reset, which the stale case below shares.
            closed = NetFailure(NetworkFailure.CONNECTION_RESET, "closed without a response")
            self._fail(_Stale() if self._reused else closed)
        else:
            cut = "closed in the middle of the response head"
            self._fail(NetFailure(NetworkFailure.CONNECTION_RESET, cut))

    # --- the exchange ------------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return not self._closed and self._transport is not None and not self._transport.is_closing()

    def request(
        self, data: bytes, *, head_request: bool, idle_timeout: float, deadline: float, reused: bool
    ) -> asyncio.Future[tuple[int, HeaderPairs]]:
        assert self._transport is not None and self._waiter is None
        self._waiter = self._loop.create_future()
        self._buffer.clear()
        self._searched = 0
        self._head_bytes = 0
        self._in_head = True
        self._got_bytes = False
        self._reused = reused
        self._head_request = head_request
        self._answer = None
        self._idle_timeout = idle_timeout
        self._deadline = deadline
        self._last = self._loop.time()
        self._timer = self._loop.call_at(min(self._last + idle_timeout, deadline), self._on_timer)
        self._transport.write(data)
        return self._waiter

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.abort()

    def _on_timer(self) -> None:
        self._timer = None
        if self._waiter is None:
            return
        due = min(self._last + self._idle_timeout, self._deadline)
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._on_timer)
            return
        if self._in_head:
            self._fail(NetFailure(NetworkFailure.TIMED_OUT, "timed out"))
        else:
            self._keep_alive = False  # a body that drips: the head is all we need
            self._finish()

    def _done(self) -> asyncio.Future[tuple[int, HeaderPairs]] | None:
        waiter, self._waiter = self._waiter, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return waiter

    def _fail(self, exc: Exception) -> None:
        waiter = self._done()
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _finish(self) -> None:
        waiter = self._done()
        if waiter is None:
            return
        answer = self._answer
        if self._keep_alive and self.usable:
            self._idle.append(self)
        else:
            self.close()
        if not waiter.done() and answer is not None:
            waiter.set_result(answer)

    # --- parsing ------------------------------------------------------------------------------------

    def _parse_head(self) -> None:
        # Heads are found and parsed where they lie in the buffer (interim responses such as
        # 100 Continue included), and every byte is looked at a bounded number of times: the
        # cost is linear in what the peer sent, however it is cut into reads.
        buffer = self._buffer
        start = 0  # where the head being read begins
        while True:
            if len(buffer) - start >= 5 and not buffer.startswith(b"HTTP/", start):
                self._fail(_invalid(f"starts with {bytes(buffer[start : start + 16])!r}"))
                return
            end, after = _blank_line(buffer, max(start, self._searched))
            if end < 0:
                if self._head_bytes + len(buffer) - start > MAX_HEAD:
                    self._fail(_invalid(f"response head larger than {MAX_HEAD // 1024} KiB"))
                    return
                del buffer[:start]
                self._searched = max(0, len(buffer) - 2)  # a blank line may straddle two reads
                return
            # One budget for every head of the exchange: interim responses cannot add up.
            self._head_bytes += after - start
            if self._head_bytes > MAX_HEAD:
                self._fail(_invalid(f"response head larger than {MAX_HEAD // 1024} KiB"))
                return
            try:
                status, headers, http10 = _parse_head(bytes(buffer[start:end]))
            except NetFailure as exc:
                self._fail(exc)
                return
            if 100 <= status < 200 and status != 101:
                start = self._searched = after  # an interim response (100, 103): skip it
                continue
            rest = bytes(buffer[after:])
            buffer.clear()
            self._searched = 0
            self._answer = (status, headers)
            self._in_head = False
            self._frame(status, headers, http10)
            if not self._keep_alive:
                self._finish()  # the body is never read: without reuse, nothing needs it drained
            elif self._waiter is not None and (rest or self._framing == _LENGTH):
                self._body(rest)
            return

    def _frame(self, status: int, headers: HeaderPairs, http10: bool) -> None:
        tokens: set[str] = set()
        transfer = ""
        lengths: set[str] = set()
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                lengths.add(value.strip())
            elif lower == "transfer-encoding":
                transfer = value.lower()
            elif lower == "connection":  # a set, not a growing string: many lines stay linear
                tokens.update(split_list(value.lower()))
        self._keep_alive = ("keep-alive" in tokens) if http10 else ("close" not in tokens)
        self._drained = 0
        if status == 101:
            self._keep_alive = False  # never asked for: the head is all there is to read
            self._framing, self._remaining = _LENGTH, 0
        elif self._head_request or status in NO_BODY_STATUSES:
            self._framing, self._remaining = _LENGTH, 0
        elif transfer:
            if split_list(transfer)[-1:] == ["chunked"]:
                self._framing, self._chunk_state = _CHUNKED, _SIZE
            else:
                self._framing, self._keep_alive = _UNTIL_CLOSE, False
        elif lengths:
            value = lengths.pop()
            remaining = _decimal(value)
            if lengths or remaining is None:
                self._framing, self._keep_alive = _UNTIL_CLOSE, False  # unusable framing
            else:
                self._framing, self._remaining = _LENGTH, remaining
        else:
            self._framing, self._keep_alive = _UNTIL_CLOSE, False

    def _body(self, data: bytes) -> None:
        if self._framing == _LENGTH:
            self._remaining -= len(data)
            self._drained += len(data)
            if self._remaining < 0:
                self._keep_alive = False  # bytes beyond the response: do not reuse
            if self._remaining <= 0:
                self._finish()
            elif self._drained > MAX_DRAINED_BODY:
                self._keep_alive = False
                self._finish()
        elif self._framing == _UNTIL_CLOSE:
            self._drained += len(data)
            if self._drained > MAX_DRAINED_BODY:
                self._finish()
        else:
            self._buffer += data
            self._drained += len(data)
            self._chunks()

    def _chunks(self) -> None:
        buffer = self._buffer
        position = 0
        while True:
            if self._chunk_state == _DATA:
                take = min(self._remaining, len(buffer) - position)
                position += take
                self._remaining -= take
                if self._remaining:
                    break
                self._chunk_state = _DATA_END
                continue
            newline = buffer.find(b"\n", position)
            if newline < 0:
                if len(buffer) - position > MAX_CHUNK_LINE:
                    self._keep_alive = False
                    self._finish()
                    return
                break
            line = bytes(buffer[position:newline]).strip()
            position = newline + 1
            if self._chunk_state == _DATA_END:
                if line:
                    self._keep_alive = False  # data longer than its size line said
                    self._finish()
                    return
                self._chunk_state = _SIZE
            elif self._chunk_state == _SIZE:
                size = _hexadecimal(line.split(b";", 1)[0].strip())
                if size is None:
                    self._keep_alive = False
                    self._finish()
                    return
                self._remaining = size
                self._chunk_state = _DATA if size else _TRAILER
            elif not line:  # the empty line that ends the trailers
                if position < len(buffer):
                    self._keep_alive = False
                self._finish()
                return
        del buffer[:position]
        if self._drained > MAX_DRAINED_BODY:
            self._keep_alive = False
            self._finish()


# Longer numbers are not lengths any response has: refused before int() (whose cost grows
# with the square of the digits, and which accepts "+", "_", "0x" and non-ASCII digits).
MAX_NUMBER_DIGITS = 18


def _decimal(text: str) -> int | None:
    """A Content-Length value: ASCII digits only, at most 18 of them (leading zeros aside)."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0")
    return int(digits or "0") if len(digits) <= MAX_NUMBER_DIGITS else None


def _hexadecimal(text: bytes) -> int | None:
    """A chunk size: ASCII hex digits only, at most 15 of them (leading zeros aside)."""
    if not text or text.strip(b"0123456789abcdefABCDEF"):
        return None
    digits = text.lstrip(b"0")
    return int(digits or b"0", 16) if len(digits) < 16 else None


def _blank_line(buffer: bytearray, position: int) -> tuple[int, int]:
    """Where the first blank line at or after ``position`` is: (the end of the head, the start
    of what follows), or (-1, -1). Lines end with CRLF or LF. The LF-only search is bounded by
    the CRLF match, so finding a head costs its own length, not the buffer's."""
    crlf = buffer.find(b"\n\r\n", position)
    lf = buffer.find(b"\n\n", position, len(buffer) if crlf < 0 else crlf + 1)
    if lf >= 0:
        return lf, lf + 2
    if crlf >= 0:
        return crlf, crlf + 3
    return -1, -1


class ResponseHead(NamedTuple):
    status: int
    headers: HeaderPairs
    http10: bool  # HTTP/1.0 (keep-alive only when asked for)


def _parse_head(head: bytes) -> ResponseHead:
    """The status, header lines and version of a response head without its blank line.

    No regular expression and no work per byte in Python: the head is split into lines once,
    folded lines are joined once, and names are checked in one C-level strip over all of them,
    so the cost is linear in the head whatever its bytes (the regex this replaces backtracked
    quadratically on a long run of spaces)."""
    text = head.decode("latin-1").replace("\r\n", "\n").removesuffix("\r")
    status_line, *lines = text.split("\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0"):
        raise _invalid(f"status line {status_line[:60]!r}")
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or not code.isascii() or code[0] == "0":
        raise _invalid(f"status line {status_line[:60]!r}")
    if "\n " in text or "\n\t" in text:
        lines = _unfold(lines)
    fields = [line.partition(":") for line in lines]
    names = [name for name, _, _ in fields]
    if "".join(names).strip(TOKEN_CHARS) or not all([colon and name for name, colon, _ in fields]):
        bad = next(
            line
            for line, (name, colon, _) in zip(lines, fields, strict=True)
            if not (colon and is_token(name))
        )
        raise _invalid(f"header line {bad[:60]!r}")
    headers = tuple([(name, value.strip(" \t")) for name, _, value in fields])
    return ResponseHead(int(code), headers, parts[0] == "HTTP/1.0")


def _unfold(lines: list[str]) -> list[str]:
    """Obsolete line folding: a line that starts with a blank continues the previous one's
    value, joined with one space (each header's pieces are joined once)."""
    unfolded: list[str] = []
    pieces: list[list[str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not unfolded:
                raise _invalid("continuation line before any header")
            piece = line.strip(" \t")
            if piece:
                pieces[-1].append(piece)
        else:
            unfolded.append(line)
            pieces.append([])
    return [
        line if not more else " ".join([line.rstrip(" \t"), *more])
        for line, more in zip(unfolded, pieces, strict=True)
    ]


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    else:
        try:  # the same trust store as httpx and requests, where it is installed
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:  # pragma: no cover - certifi comes with httpx
            context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class Address(NamedTuple):
    """Where a URL's request goes: the connection pool's key (scheme, host, port), the Host
    header and the request target."""

    key: tuple[str, str, int]
    authority: str
    target: bytes


def _address(url: str) -> Address:
    """The pool key, the Host header and the request target of an http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme {scheme!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("no host")
    port = parts.port or (443 if scheme == "https" else 80)
    default = (scheme, port) in (("http", 80), ("https", 443))
    authority = f"[{host}]" if ":" in host else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c in target for c in " \r\n"):
        raise ValueError(f"cannot send {target!r}")
    return Address((scheme, host, port), authority if default else f"{authority}:{port}", target.encode())


def _check_header(name: str, value: str) -> None:
    if not is_token(name) or "\r" in value or "\n" in value:
        raise ValueError(f"invalid header {name!r}")


class Transport:
    """``async with Transport(options) as t: await t.send("GET", url, headers)``."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.requests = 0
        self._global = asyncio.Semaphore(max(1, options.concurrency))
        self._hosts: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._last: dict[tuple[str, str, int], float] = {}
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._ssl: ssl.SSLContext | None = None
        self._addresses: dict[str, Address] = {}
        self._tokens: set[str] = set()  # methods and header names already checked
        self._extra = [(n, v) for n, v in options.headers] + [("User-Agent", USER_AGENT)]
        for name, value in self._extra:
            _check_header(name, value)

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports run connection_lost

    def _host_lock(self, key: tuple[str, str, int]) -> asyncio.Semaphore:
        lock = self._hosts.get(key)
        if lock is None:
            lock = self._hosts[key] = asyncio.Semaphore(max(1, self.options.per_host))
        return lock

    def _address(self, url: str) -> Address:
        """The pool key, the Host header and the request target of a URL (every URL is sent
        fifty times or so: computed once)."""
        found = self._addresses.get(url)
        if found is None:
            if len(self._addresses) > 4096:
                self._addresses.clear()
            found = self._addresses[url] = _address(url)
        return found

    async def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> RawResponse:
        """Send once (plus retries on connection failures and timeouts); raise
        :class:`NetFailure` when no response came."""
        try:
            key, authority, target = self._address(url)
            sent = (("Host", authority), *headers, *self._extra)
            lines = "".join([f"{n}: {v}\r\n" for n, v in sent])
            # No header may add a line of its own: the only line breaks are the CRLFs above.
            if lines.count("\n") != len(sent) or lines.count("\r") != len(sent):
                raise ValueError("a header value contains a line break")
            for name in {method, *(n for n, _ in headers)} - self._tokens:
                _check_header(name, "")
                self._tokens.add(name)
            data = f"{method} ".encode() + target + f" HTTP/1.1\r\n{lines}\r\n".encode("latin-1")
        except (ValueError, UnicodeError) as exc:
            detail = f"cannot send this request ({exc})"
            raise NetFailure(NetworkFailure.NOT_SENT, detail, attempts=0) from None
        attempts = max(0, self.options.retries) + 1
        last: NetFailure | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(min(2.0, 0.2 * 2 ** (attempt - 1)))
            async with self._global, self._host_lock(key):
                if self.options.delay > 0:
                    await self._polite(key)
                try:
                    status, received = await self._exchange(key, method, data)
                    return RawResponse(status, received, sent, attempt + 1)
                except (NetFailure, OSError, asyncio.TimeoutError, ValueError) as exc:
                    last = classify(exc)
                    last.attempts = attempt + 1
                    if not last.retry:
                        raise last from None
        assert last is not None
        raise last

    async def _polite(self, key: tuple[str, str, int]) -> None:
        # Take the next free slot before sleeping: requests waiting together must not all wake
        # at the same moment.
        now = time.monotonic()
        slot = max(now, self._last.get(key, now - self.options.delay) + self.options.delay)
        self._last[key] = slot
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _exchange(self, key: tuple[str, str, int], method: str, data: bytes) -> tuple[int, HeaderPairs]:
        loop = asyncio.get_running_loop()
        timeout = self.options.timeout
        # An overall deadline too: read timeouts alone let a server that drips bytes through.
        deadline = loop.time() + timeout * 2 + 1
        idle = self._idle.get(key)
        if idle is None:
            idle = self._idle[key] = []
        connection = None
        while idle:
            candidate = idle.pop()
            if candidate.usable:
                connection = candidate
                break
        reused = connection is not None
        for _ in range(2):
            if connection is None:
                connection = await self._connect(key, idle, min(timeout, deadline - loop.time()))
            self.requests += 1
            waiter = connection.request(
                data, head_request=method == "HEAD", idle_timeout=timeout, deadline=deadline, reused=reused
            )
            try:
                return await waiter
            except _Stale:
                connection, reused = None, False
            except asyncio.CancelledError:
                connection.close()
                raise
        raise NetFailure(NetworkFailure.CONNECTION_RESET, "closed without a response")

    async def _connect(
        self, key: tuple[str, str, int], idle: list[_Connection], timeout: float
    ) -> _Connection:
        scheme, host, port = key
        address = self.options.resolve.get((host, port), host)
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = _ssl_context(self.options.verify)
            context = self._ssl
        loop = asyncio.get_running_loop()
        connecting = loop.create_connection(
            lambda: _Connection(idle, self._open),
            address,
            port,
            ssl=context,
            server_hostname=host if context is not None else None,
        )
        _, protocol = await asyncio.wait_for(connecting, max(0.001, timeout))
        return protocol
