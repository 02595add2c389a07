"""Starlette with corsight: ``python -m examples.starlette_app``.

corsight's middleware takes Starlette's ``CORSMiddleware`` keywords, so migrating is the
import line; here it wraps the app, so errors keep their CORS headers.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from corsight.asgi import CORSMiddleware


async def items(request: Request) -> JSONResponse:
    return JSONResponse({"items": [1, 2, 3], "token": request.headers.get("x-token")})


def make_app(origins: list[str]) -> Any:
    # Wrapping the whole app (outside Starlette's ServerErrorMiddleware) keeps the CORS
    # headers on the 500s of unhandled exceptions; Middleware(...) in the list would not.
    return CORSMiddleware(
        Starlette(routes=[Route("/api/items", items, methods=["GET", "PUT"])]),
        allow_origins=origins,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        allow_credentials=True,
    )


app = make_app(["http://localhost:5173"])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
