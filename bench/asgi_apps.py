"""The ASGI side: the bare application, the middlewares wrapping it (corsight and Starlette's
``CORSMiddleware``), and calling them in-process — once to see the response, or ``n`` times in
a loop on one event loop to time them. No server and no socket: the figures are the
middleware's own work plus a fixed harness cost that subtracting the bare app removes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.middleware.cors import CORSMiddleware as StarletteCORS

from bench.timing import clock
from bench.workload import APP_BODY, Request, Response, starlette_style_settings
from corsight.asgi import CORSMiddleware as CorsightCORS

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


#: A header only the bare application sets: seeing it in a response proves the app answered.
APP_MARKER = (b"x-served-by", b"bench-app")
_LENGTH = str(len(APP_BODY)).encode()


async def bare_app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """The cheapest real endpoint: a fresh 200 text response per call, as a framework sends."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", _LENGTH),
                APP_MARKER,
            ],
        }
    )
    await send({"type": "http.response.body", "body": APP_BODY})


def corsight(origins: list[str]) -> ASGIApp:
    return CorsightCORS(bare_app, **starlette_style_settings(origins))


def starlette(origins: list[str]) -> ASGIApp:
    return StarletteCORS(bare_app, **starlette_style_settings(origins))  # type: ignore[arg-type]


#: The contenders, by name: each wraps the bare app with the workload's policy.
MIDDLEWARES: dict[str, Callable[[list[str]], ASGIApp]] = {
    "corsight": corsight,
    "starlette": starlette,
}


def scope_for(request: Request) -> dict[str, Any]:
    """The HTTP scope a server such as uvicorn builds for ``request``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "https",
        "server": ("127.0.0.1", 443),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "method": request.method,
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": b"",
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in request.headers],
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: Message) -> None:
    return None


class Side:
    """The ASGI side of the suite: corsight against Starlette, all called on one event loop."""

    name = "asgi"
    incumbent = "starlette"

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def build(self, contender: str, origins: list[str]) -> ASGIApp:
        return MIDDLEWARES[contender](origins)

    def baselines(self) -> dict[str, ASGIApp]:
        """The apps added times are measured from; the bare app is already the cheapest (the floor)."""
        return {"app": bare_app}

    def call(self, app: ASGIApp, request: Request) -> Response:
        """``app``'s answer to ``request``, recorded."""
        sent: list[Message] = []

        async def record(message: Message) -> None:
            sent.append(message)

        self.loop.run_until_complete(app(scope_for(request), _receive, record))
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        raw = list(start.get("headers", ()))
        headers = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in raw]
        return Response(start["status"], headers, body, app_called=APP_MARKER in raw)

    def timer(self, app: ASGIApp, request: Request) -> Callable[[int], float]:
        """A function that sends ``request`` ``n`` times and returns the seconds it took."""
        scope = scope_for(request)

        async def loop(n: int) -> float:
            receive, send = _receive, _discard
            start = clock()
            for _ in range(n):
                await app(scope, receive, send)
            return clock() - start

        def run(n: int) -> float:
            return self.loop.run_until_complete(loop(n))

        return run
