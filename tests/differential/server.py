"""The scripted loopback HTTP server: it answers each request with exactly the status, header
lines and body a scenario scripts, and records every request it receives.

It is deliberately raw (sockets, HTTP/1.1 with keep-alive, no framework) so that a scenario can
script what real frameworks refuse to send: duplicate header lines, values such as ``*``,
``null``, ``TRUE``, invalid tokens, any status, redirects. One server listens on several loopback
ports, each a distinct origin (the page's, the API's, another); scenarios are keyed by path, so
one server serves them all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

#: A scripted answer: status, header lines in order (duplicates allowed), body.
Answer = tuple[int, list[tuple[str, str]], bytes]
#: Decides the answer to a request: (origin label, method, path, header lines) -> Answer.
Handler = Callable[[str, str, str, list[tuple[str, str]]], Answer]

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Received:
    """One request as it arrived on the wire."""

    origin: str  # label of the listening origin ("page", "api", "other")
    method: str
    path: str
    headers: list[tuple[str, str]]  # in order, names as sent
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of ``name`` (case-insensitive), lines joined with ``", "``; None if absent."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def to_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "method": self.method,
            "path": self.path,
            "headers": [list(h) for h in self.headers],
            "body": self.body.decode("latin-1"),
        }


@dataclass
class Recorder:
    """Every request received, in arrival order; thread-safe."""

    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Received) -> None:
        with self.lock:
            self.requests.append(request)

    def under(self, prefix: str) -> list[Received]:
        """The requests whose path starts with ``prefix``."""
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _read_request(reader: BinaryIO) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    """Read one request from the connection's buffered reader; None at end of stream."""
    line = reader.readline(65537)
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between keep-alive requests
        line = reader.readline(65537)
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        return None
    method, target, _version = parts
    headers: list[tuple[str, str]] = []
    while True:
        raw = reader.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").rstrip("\r\n").partition(":")
        headers.append((name, value.strip(" \t")))
    length = next((int(v) for n, v in headers if n.lower() == "content-length"), 0)
    body = reader.read(length) if length else b""
    if any(n.lower() == "transfer-encoding" for n, _ in headers):
        body = _read_chunked(reader)
    return method, target, headers, body


def _read_chunked(reader: BinaryIO) -> bytes:
    body = b""
    while True:
        size = int(reader.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += reader.read(size)
        reader.readline()


def _render(status: int, headers: list[tuple[str, str]], body: bytes, method: str) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    # Framing is ours; everything else is exactly what the scenario scripted.
    no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
    if status not in (204, 304):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if no_body else head + body


class ScriptedServer:
    """Loopback listeners, one per origin label, answering through one handler.

    Usage::

        with ScriptedServer(handler, {"page": "127.0.0.1", "api": "127.0.0.1"}) as server:
            server.origins["api"]  # "http://127.0.0.1:PORT"
    """

    def __init__(self, handler: Handler, hosts: dict[str, str]) -> None:
        """``hosts`` maps each origin label to the loopback address it listens on."""
        self.handler = handler
        self.recorder = Recorder()
        self._sockets: dict[str, socket.socket] = {}
        self.origins: dict[str, str] = {}
        for label, host in hosts.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, 0))
            sock.listen(64)
            self._sockets[label] = sock
            self.origins[label] = f"http://{host}:{sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._closing = False

    def __enter__(self) -> ScriptedServer:
        for label, sock in self._sockets.items():
            thread = threading.Thread(target=self._accept, args=(label, sock), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        for sock in self._sockets.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, label: str, sock: socket.socket) -> None:
        while not self._closing:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(label, conn), daemon=True).start()

    def _serve(self, label: str, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            conn.settimeout(30)
            while True:
                try:
                    request = _read_request(reader)
                except (OSError, ValueError):
                    return
                if request is None:
                    return
                method, path, headers, body = request
                self.recorder.add(Received(label, method, path, headers, body))
                try:
                    status, answer_headers, answer_body = self.handler(label, method, path, headers)
                except Exception as error:  # a harness bug must show, not hang the browser
                    status, answer_headers = 599, [("X-Harness-Error", repr(error)[:200])]
                    answer_body = b""
                try:
                    conn.sendall(_render(status, answer_headers, answer_body, method))
                except OSError:
                    return
