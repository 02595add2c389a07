"""Applications served under a mount prefix for tests/security/test_router_mount.py, importable by
a uvicorn or hypercorn process (``tests.security.mount_apps:root_path_app``).

Each mounted application has the same routes and the same :data:`ROUTER`, keyed by the app's own
paths: ``/strict`` admits only :data:`APP`, ``/off`` has CORS disabled, and everything else
falls to the lax default (any origin, no credentials) — so a mounted request that gets the
default instead of its route's policy shows at once as ``Access-Control-Allow-Origin: *``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from corsight import Policy
from corsight.asgi import CORSMiddleware
from corsight.routing import Router

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
STRICT = Policy([APP], allow_credentials=True, allow_methods=["GET", "PUT"])
LAX = Policy("*")
ROUTER = Router({"/strict": STRICT, "/off": None}, default=LAX)
PATHS = ("/", "/strict", "/off", "/open")


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.url.path)


def starlette_app() -> Any:
    """The app alone, with corsight around it."""
    return CORSMiddleware(Starlette(routes=[Route(path, _echo) for path in PATHS]), policy=ROUTER)


def starlette_mounted() -> Starlette:
    """The app under ``Mount("/sub")`` of another Starlette app."""
    return Starlette(routes=[Mount("/sub", app=starlette_app())])


def fastapi_mounted() -> FastAPI:
    """A FastAPI sub-application with corsight added by ``add_middleware``, at ``/v1``."""
    sub = FastAPI()
    for path in PATHS:
        sub.add_api_route(path, _echo, methods=["GET", "PUT"])
    sub.add_middleware(CORSMiddleware, policy=ROUTER)
    parent = FastAPI()
    parent.mount("/v1", sub)
    return parent


#: For ``uvicorn --root-path /prefix`` (uvicorn then puts the prefix in ``scope["path"]``) and
#: ``hypercorn --root-path /prefix`` (which leaves it out).
root_path_app = starlette_app()
