"""Litestar with corsight (``pip install litestar uvicorn``): ``python -m examples.litestar_app``.

Litestar's own CORS config is not used; corsight's ASGI middleware wraps the whole app.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get, put

from corsight.asgi import CORSMiddleware


@get("/api/items")
async def list_items(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"items": [1, 2, 3], "token": request.headers.get("x-token")}


@put("/api/items")
async def replace_items(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"replaced": True, "token": request.headers.get("x-token")}


def make_app(origins: list[str]) -> Any:
    return CORSMiddleware(
        Litestar(route_handlers=[list_items, replace_items]),
        allow_origins=origins,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        allow_credentials=True,
    )


app = make_app(["http://localhost:5173"])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
