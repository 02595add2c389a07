"""Serving the proxy with uvicorn: its HTTP protocol, with a deadline and a size bound on
each request head.

uvicorn has no head timeout: a connection that never sends a byte, or one that sends its
head a byte at a time (slowloris), is held for ever, and with httptools a head may be any
size. The protocol classes here, one per uvicorn HTTP implementation, give every head
``head_timeout`` seconds and ``max_head_bytes`` bytes: from the moment the connection opens,
or the previous response ends, until the head is complete. A connection past either bound is
answered 408 or 431 (or closed silently if it sent nothing) and closed. Bodies and responses
are bounded by the proxy's other limits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from corsight.proxy.config import ProxyConfig


class _HeadLimits(asyncio.Protocol):
    """Mixed in before a uvicorn HTTP protocol class (same attribute names in each)."""

    head_timeout: float = 10.0
    max_head_bytes: int = 64 * 1024

    # set by uvicorn's protocol classes
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    timeout_keep_alive_task: asyncio.TimerHandle | None

    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        # While the next bytes can only be a head (no request yet, or the last one fully
        # received), they reach the parser in slices that keep the head within the bound: a
        # head still incomplete at the bound is refused, whatever the parser buffers.
        while data and (self.cycle is None or not self.cycle.more_body):
            room = self.max_head_bytes - self._head_bytes
            if room <= 0:
                self._refuse(431, b"Request Header Fields Too Large", b"the request head is too large")
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            waiting_for = self.cycle
            super().data_received(piece)
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                self._stop_timer()  # closed, or upgraded (WebSocket): no more heads here
                return
            if self.cycle is not waiting_for:  # uvicorn made a new request cycle: a head is complete
                self._head_bytes = 0
                self._stop_timer()
        if data:
            super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        # uvicorn arms its keep-alive timer exactly when the connection now waits for a new
        # head (not when a pipelined request has already started).
        if self.timeout_keep_alive_task is not None and not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._stop_timer()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        if self._head_bytes and not self.transport.is_closing():
            self._refuse(408, b"Request Timeout", b"the request head did not arrive in time")
            return
        self._head_timer = None
        self.transport.close()  # an idle connection: closed as keep-alive closes it

    def _refuse(self, status: int, phrase: bytes, why: bytes) -> None:
        idle = self._head_timer is not None  # else a response may be on the wire: only close
        self._stop_timer()
        if idle:
            body = b"corsight proxy: %d %s: %s\n" % (status, phrase, why)
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
                b"connection: close\r\n\r\n%s" % (status, phrase, len(body), body)
            )
        self.transport.close()


def protocol_class(http: str = "auto", *, head_timeout: float = 10.0, max_head_bytes: int = 65536) -> type:
    """uvicorn's HTTP protocol class for ``http`` ("auto", "httptools", "h11") with the head
    bounds; pass it as ``uvicorn.Config(http=...)``."""
    if http == "auto":
        try:
            import httptools  # noqa: F401
        except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
            http = "h11"
        else:
            http = "httptools"
    base: type
    if http == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    elif http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol
    else:
        raise ValueError(f"unknown HTTP implementation {http!r}")
    settings = {"head_timeout": head_timeout, "max_head_bytes": max_head_bytes}
    return type(f"HeadLimited{base.__name__}", (_HeadLimits, base), settings)


def uvicorn_options(config: ProxyConfig) -> dict[str, Any]:
    """The uvicorn settings that carry the proxy's own (HTTP implementation, head bounds), and
    no Date of uvicorn's: the app gives each response one (the upstream's, or its own)."""
    return {
        "http": protocol_class(
            config.http, head_timeout=config.head_timeout, max_head_bytes=config.max_head_bytes
        ),
        "h11_max_incomplete_event_size": config.max_head_bytes,
        "date_header": False,
    }
