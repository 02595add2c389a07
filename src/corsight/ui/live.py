"""The live test's frame: a tiny page served on the loopback origin the user chose, so that the
user's own browser sends the request with that very ``Origin``.

A page can only ``fetch()`` from its own origin, and the UI's origin is not the one the user
is asking about. When the chosen origin is ``http://127.0.0.1:N`` or ``http://localhost:N``
and port N is free, :class:`LiveFrames` serves one frame page there for a short while; the UI
embeds it and talks to it with ``postMessage``. For any other origin the live test runs from
the UI page itself, and the page says so.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from corsight.browser.urls import URLError, parse_origin

FRAME_PATH = "/corsight-live-frame"
SCRIPT_PATH = "/corsight-live-frame.js"
SERVABLE_HOSTS = ("127.0.0.1", "localhost")


class _FrameServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # never share a port the user's own app may want

    def __init__(self, port: int, origin: str, host_header: str, parent: str) -> None:
        self.origin = origin
        self.host_header = host_header
        self.parent = parent
        super().__init__(("127.0.0.1", port), _FrameHandler)


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


class LiveFrames:
    """At most one frame server at a time, closed ``ttl`` seconds after it was last asked for
    (so that it does not keep a port the user's own app wants)."""

    def __init__(self, ttl: float = 120.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._server: _FrameServer | None = None
        self._timer: threading.Timer | None = None

    def plan(self, origin_text: str, page_origin: str) -> dict[str, Any]:
        """Where the live test runs: ``{"mode": "frame", "origin", "frame_url"}`` or
        ``{"mode": "page", "origin": page_origin, "reason"}``."""

        def page(reason: str) -> dict[str, Any]:
            return {"mode": "page", "origin": page_origin, "reason": reason}

        try:
            origin = parse_origin(origin_text)
        except URLError:
            return page(f"{origin_text!r} is not an origin")
        serialized = origin.serialize()
        if serialized == page_origin:
            return {"mode": "page", "origin": page_origin, "reason": ""}
        if origin.scheme != "http" or origin.host not in SERVABLE_HOSTS:
            return page(
                f"corsight can only act as an http:// origin on 127.0.0.1 or localhost, not as {serialized}"
            )
        port = origin.port or 80
        host_header = f"{origin.host}:{port}" if origin.port else origin.host
        with self._lock:
            current = self._server
            if current is not None and current.origin == serialized:
                current.parent = page_origin
            else:
                self._close_locked()
                try:
                    current = _FrameServer(port, serialized, host_header, page_origin)
                except OSError as exc:
                    return page(
                        f"port {port} on 127.0.0.1 is not available to corsight ({exc.strerror or exc});"
                        " if your own app runs there, test from it directly"
                    )
                self._server = current
                threading.Thread(target=current.serve_forever, daemon=True).start()
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
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()
