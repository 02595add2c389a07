"""The live test's frame: a tiny page served on the loopback origin the user chose, so that the
user's own browser sends the request with that very ``Origin``.

A page can only ``fetch()`` from its own origin, and the UI's origin is not the one the user
is asking about. When the chosen origin is ``http://127.0.0.1:N`` or ``http://localhost:N``
and port N is free, :class:`LiveFrames` serves one frame page there for a short while; the UI
embeds it and talks to it with ``postMessage``. For ``localhost`` the port must be free on
both 127.0.0.1 and ::1, and both are served: a browser may reach ``localhost`` by either, and a
dev server listening on ::1 alone (Vite's default on recent Node) leaves 127.0.0.1 free. For
any other origin, or a port that is taken, the live test runs from the UI page itself and the
plan says why (``fallback``), so that the page can say so.
"""

from __future__ import annotations

import errno
import html
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from corsight.browser.urls import URLError, parse_origin

FRAME_PATH = "/corsight-live-frame"
SCRIPT_PATH = "/corsight-live-frame.js"
SERVABLE_HOSTS = ("127.0.0.1", "localhost")
#: Why a plan runs from the UI page rather than from a frame on the chosen origin.
FALLBACKS = ("same-origin", "not-an-origin", "not-servable", "port-taken", "disabled")


class _FrameServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # never share a port the user's own app may want

    def __init__(self, address: str, port: int, origin: str, host_header: str, parent: str) -> None:
        self.origin = origin
        self.host_header = host_header
        self.parent = parent
        if ":" in address:
            self.address_family = socket.AF_INET6
        super().__init__((address, port), _FrameHandler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            # ::1 only: whether 127.0.0.1 is free is asked separately.
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class _FrameHandler(BaseHTTPRequestHandler):
    server: _FrameServer
    server_version = "corsight-live"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        if self.headers.get("Host", "").lower() != srv.host_header:
            self._send(421, "text/plain; charset=utf-8", b"unknown Host\n", {})
            return
        path = self.path.split("?", 1)[0]
        files = resources.files("corsight.ui").joinpath("static")
        if path == FRAME_PATH:
            page = files.joinpath("frame.html").read_text("utf-8")
            page = page.replace("__PARENT__", html.escape(srv.parent))
            csp = (
                f"default-src 'none'; script-src 'self'; connect-src http: https:; "
                f"frame-ancestors {srv.parent}; base-uri 'none'; form-action 'none'"
            )
            headers = {"Content-Security-Policy": csp}
            self._send(200, "text/html; charset=utf-8", page.encode("utf-8"), headers)
        elif path == SCRIPT_PATH:
            self._send(200, "text/javascript; charset=utf-8", files.joinpath("frame.js").read_bytes(), {})
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", {})

    def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class PortTaken(OSError):
    """The chosen origin's port is in use on a loopback address the browser may connect to."""

    def __init__(self, address: str, port: int, reason: str) -> None:
        super().__init__(f"port {port} on {address} is in use ({reason})")
        self.address = address
        self.port = port
        self.reason = reason


def _no_ipv6(exc: OSError) -> bool:
    return exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT)


class _Frames:
    """The frame servers of one origin: on 127.0.0.1, and on ::1 too for ``localhost``.
    All addresses are bound before any is served, so that a taken one leaves nothing behind."""

    def __init__(self, host: str, port: int, origin: str, host_header: str, parent: str) -> None:
        self.origin = origin
        self.servers: list[_FrameServer] = []
        for address in ("127.0.0.1", "::1") if host == "localhost" else ("127.0.0.1",):
            try:
                self.servers.append(_FrameServer(address, port, origin, host_header, parent))
            except OSError as exc:
                if address == "::1" and _no_ipv6(exc):
                    continue  # no IPv6 loopback on this machine: no browser reaches ::1 either
                self._close_bound()
                raise PortTaken(address, port, exc.strerror or str(exc)) from None
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def set_parent(self, parent: str) -> None:
        for server in self.servers:
            server.parent = parent

    def _close_bound(self) -> None:
        for server in self.servers:
            server.server_close()

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
        self._close_bound()


class LiveFrames:
    """At most one frame origin served at a time, closed ``ttl`` seconds after it was last
    asked for (so that it does not keep a port the user's own app wants)."""

    def __init__(self, ttl: float = 120.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._frames: _Frames | None = None
        self._timer: threading.Timer | None = None

    def plan(self, origin_text: str, page_origin: str) -> dict[str, Any]:
        """Where the live test runs: ``{"mode": "frame", "origin", "frame_url"}``, or
        ``{"mode": "page", "origin": page_origin, "fallback", "reason", "wanted"}`` where
        ``fallback`` is one of :data:`FALLBACKS` and ``wanted`` the origin asked for."""

        def page(fallback: str, reason: str, wanted: str = origin_text, **more: Any) -> dict[str, Any]:
            return {"mode": "page", "origin": page_origin, "fallback": fallback, "reason": reason,
                    "wanted": wanted, **more}  # fmt: skip

        try:
            origin = parse_origin(origin_text)
        except URLError:
            return page("not-an-origin", f"{origin_text!r} is not an origin")
        serialized = origin.serialize()
        if serialized == page_origin:
            return page("same-origin", "", serialized)
        if origin.scheme != "http" or origin.host not in SERVABLE_HOSTS:
            return page(
                "not-servable",
                f"corsight can only act as an http:// origin on 127.0.0.1 or localhost, not as {serialized}",
                serialized,
            )
        port = origin.port or 80
        host_header = f"{origin.host}:{port}" if origin.port else origin.host
        with self._lock:
            current = self._frames
            if current is not None and current.origin == serialized:
                current.set_parent(page_origin)
            else:
                self._close_locked()
                try:
                    current = _Frames(origin.host, port, serialized, host_header, page_origin)
                except PortTaken as exc:
                    return page(
                        "port-taken",
                        f"port {port} is in use on {exc.address} ({exc.reason}) — by your own app,"
                        f" probably — so corsight cannot serve a page on {serialized}",
                        serialized,
                        port=port,
                    )
                self._frames = current
            self._restart_timer_locked()
        return {"mode": "frame", "origin": serialized, "frame_url": serialized + FRAME_PATH}

    def _restart_timer_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.ttl, self.close)
        self._timer.daemon = True
        self._timer.start()

    def _close_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._frames is not None:
            self._frames.close()
            self._frames = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()
