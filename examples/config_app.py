"""Any ASGI app with its CORS policy from corsight.toml / [tool.corsight] / CORSIGHT_* variables:
``CORSIGHT_ALLOW_ORIGINS=http://localhost:5173 python -m examples.config_app``.
Problems stop it at start-up, each with its fix (``corsight lint`` shows the same list)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from corsight import config
from corsight.asgi import CORSMiddleware


async def items(request: Request) -> JSONResponse:
    return JSONResponse({"items": [1, 2, 3]})


app = CORSMiddleware(Starlette(routes=[Route("/api/items", items)]), policy=config.load())

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
