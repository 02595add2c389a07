"""aiohttp with corsight: ``python -m examples.aiohttp_app``."""

from __future__ import annotations

from aiohttp import web

from corsight.aiohttp import cors_middleware


async def items(request: web.Request) -> web.Response:
    return web.json_response({"items": [1, 2, 3], "token": request.headers.get("X-Token")})


def make_app(origins: list[str]) -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                allow_origins=origins,
                allow_methods=["GET", "PUT"],
                allow_headers=["X-Token"],
                allow_credentials=True,
            )
        ]
    )
    app.router.add_get("/api/items", items)
    app.router.add_put("/api/items", items)
    return app


if __name__ == "__main__":
    web.run_app(make_app(["http://localhost:5173"]), host="127.0.0.1", port=8000)
