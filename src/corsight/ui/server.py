"""Bind and run the UI under uvicorn: on loopback unless the caller explicitly allows more."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable

import uvicorn

from corsight.ui.app import UIState, create_app, host_names
from corsight.ui.live import LiveFrames


class NotLoopback(ValueError):
    """A bind address that would expose the UI beyond this machine."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    address = "127.0.0.1" if host == "localhost" else host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class UIServer:
    """The UI on ``host:port`` (port 0: a free one). A host that is not loopback raises
    :class:`NotLoopback` unless ``allow_remote`` is set."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        allowed_hosts: Iterable[str] = (),
        live_frames: bool = True,
    ) -> None:
        if not is_loopback(host) and not allow_remote:
            raise NotLoopback(
                f"{host} is not a loopback address: the UI would let other machines make this"
                " machine send requests; pass --allow-remote if that is really wanted"
            )
        self.host = host
        self.sock = _bind(host, port)
        self.port: int = self.sock.getsockname()[1]
        self.state = UIState(
            hosts=host_names(host, self.port, allowed_hosts),
            live=LiveFrames() if live_frames else None,
        )
        self.app = create_app(self.state)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if is_loopback(self.host):
            shown = "127.0.0.1" if self.host == "localhost" else self.host
        else:
            shown = self.host if self.host not in ("0.0.0.0", "::") else "127.0.0.1"
        shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
        return f"http://{shown}:{self.port}/"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.close()

    def start(self) -> None:
        """Serve in a background thread (tests, embedding); stop with :meth:`stop`."""
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.close()

    def close(self) -> None:
        if self.state.live is not None:
            self.state.live.close()
        self.sock.close()
