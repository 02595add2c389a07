"""Loopback servers for the proxy tests: the proxy itself, programmable raw-socket upstreams
(for resets, hangs, garbage and slow bodies), and canaries that record any connection that
reaches them (a refused target must never see one)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from corsight.proxy import ProxyConfig, create_app
from corsight.proxy.forward import Resolver
from corsight.proxy.server import uvicorn_options
from tests.servers import free_port, serve_asgi

#: The HTTP implementations uvicorn offers; security tests run under each.
HTTP_IMPLEMENTATIONS = ("h11", "httptools")


@contextlib.contextmanager
def serve_proxy(
    config: ProxyConfig | None = None, *, resolver: Resolver | None = None, **settings: Any
) -> Iterator[str]:
    """The proxy under uvicorn (lifespan on, so its client session is closed) on loopback,
    served as the command serves it (its ``http`` setting picks uvicorn's HTTP implementation)."""

    if config is None:
        settings.setdefault("access_log", "off")
        config = ProxyConfig(**settings)
    app = create_app(config, resolver=resolver)
    with serve_asgi(app, log_level="error", lifespan="on", proxy_headers=False, timeout_graceful_shutdown=2,
                    **uvicorn_options(config)) as url:  # fmt: skip
        yield url


def raw_exchange(url: str, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes to the server at ``url`` and return all it answers until it closes
    (requests should say ``Connection: close``)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        with contextlib.suppress(socket.timeout, ConnectionError):
            while chunk := s.recv(65536):
                out += chunk
        return out


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP/1.1 answer (0 when there is none)."""
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") and parts[1].isdigit() else 0


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An asyncio TCP server on 127.0.0.1 in its own thread, running ``handler`` per connection;
    ``connections`` counts the connections accepted."""

    def __init__(
        self, handler: Handler, port: int | None = None, host: str = "127.0.0.1", ssl: Any = None
    ) -> None:
        self.handler = handler
        self.ssl = ssl
        self.host = host
        self.port = port or free_port(host)
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, self.host, self.port, limit=2**20, ssl=self.ssl)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))

    def __enter__(self) -> RawServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One HTTP/1.1 request: the request line, the headers (lowercased) and the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    line, *rest = head[:-4].split(b"\r\n")
    headers = {}
    for item in rest:
        name, _, value = item.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    return line, headers, body


class Canary(RawServer):
    """A loopback server that answers 200 but whose every connection fails the test."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        async def sing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ncanary")
            await writer.drain()

        super().__init__(sing, port, host)

    def assert_untouched(self) -> None:
        time.sleep(0.05)
        assert self.connections == 0, f"the canary on port {self.port} was reached"


def fake_resolver(table: dict[str, list[str] | Callable[[], list[str]]]) -> Resolver:
    """A DNS stand-in: names map to addresses (or to a function, to change answers over time).
    Unknown names fail as NXDOMAIN does, so no test ever asks real DNS."""

    async def resolve(host: str, port: int) -> list[str]:
        answer = table.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answer() if callable(answer) else list(answer)

    return resolve


# --- upstreams in their own process (load and streaming tests, benchmarks) ----------------------
#   python -m tests.proxy_support fast PORT        small JSON answers, keep-alive, as fast as it can
#   python -m tests.proxy_support big PORT BYTES   BYTES of body for every request
#   python -m tests.proxy_support slow PORT SECS   answers after SECS seconds

FAST_BODY = b'{"id": 1, "name": "corsight", "tags": ["cors", "proxy"]}'


class _UpstreamProtocol(asyncio.Protocol):
    def __init__(self, mode: str, arg: float) -> None:
        import httptools

        self.mode = mode
        self.arg = arg
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None
        self.writable = asyncio.Event()
        self.writable.set()
        self.task: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception:
            assert self.transport is not None
            self.transport.close()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable.set()

    def on_message_complete(self) -> None:
        assert self.transport is not None
        if self.mode == "fast":
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(FAST_BODY), FAST_BODY))  # fmt: skip
        elif self.mode == "big":
            self.task = asyncio.ensure_future(self._big(int(self.arg)))
        else:
            asyncio.get_running_loop().call_later(self.arg, self.transport.write,
                                                  b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")  # fmt: skip

    async def _big(self, size: int) -> None:
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Content-Length: %d\r\n\r\n" % size)  # fmt: skip
        chunk = b"\xa5" * (1 << 18)
        while size > 0 and not self.transport.is_closing():
            await self.writable.wait()
            self.transport.write(chunk[: min(size, len(chunk))])
            size -= len(chunk)


def main(argv: list[str]) -> None:
    mode, port = argv[0], int(argv[1])
    arg = float(argv[2]) if len(argv) > 2 else 0.0

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _UpstreamProtocol(mode, arg), "127.0.0.1", port, backlog=4096)
        await server.serve_forever()

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:  # pragma: no cover
        asyncio.run(run())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
