"""Lab servers that are not well-behaved HTTP (a non-HTTP service, oversized headers, a
never-ending body, a silent peer...) and an HTTPS server with a throw-away certificate. All on
127.0.0.1."""

from __future__ import annotations

import contextlib
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.servers import _wait_listening, free_port

Behaviour = Callable[[socket.socket], None]


def _read_request(sock: socket.socket) -> None:
    sock.settimeout(2)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return
            data += chunk


def not_http(sock: socket.socket) -> None:
    _read_request(sock)
    sock.sendall(b"SSH-2.0-OpenSSH_9.6 corsight-lab\r\n")


def huge_headers(sock: socket.socket) -> None:
    _read_request(sock)
    lines = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 100) for i in range(3000))
    with contextlib.suppress(OSError):
        sock.sendall(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n")


def huge_body(sock: socket.socket) -> None:
    _read_request(sock)
    head = (
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        sock.sendall(head)
        block = b"\0" * 65536
        for _ in range(16384):
            sock.sendall(block)


def garbage_status(sock: socket.socket) -> None:
    _read_request(sock)
    sock.sendall(b"HTTP/1.1 two hundred\r\nfoo\r\n\r\n")


def silent(sock: socket.socket) -> None:
    _read_request(sock)
    time.sleep(6)


def reset(sock: socket.socket) -> None:
    pass


@contextlib.contextmanager
def serve_raw(behaviour: Behaviour) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that runs ``behaviour`` on each connection; yields the port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError):
                behaviour(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def make_certificate(directory: Path, host: str) -> tuple[Path, Path] | None:
    """A self-signed certificate for ``host`` (openssl CLI); None when openssl is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def serve_asgi_tls(app: Any, cert: Path, key: Path) -> Iterator[int]:
    """Serve an ASGI app over TLS with uvicorn on 127.0.0.1; yields the port."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_listening(port)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
