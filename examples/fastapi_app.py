"""FastAPI with corsight: ``python -m examples.fastapi_app``, then fetch
http://127.0.0.1:8000/api/items from a page on http://localhost:5173.

Wrap the whole app (not ``app.add_middleware``) so that even a 500 from an exception handler
carries the CORS headers and the browser shows the real error instead of a CORS error.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header

from corsight.asgi import CORSMiddleware


def make_app(origins: list[str]) -> Any:
    api = FastAPI()

    @api.get("/api/items")
    @api.put("/api/items")
    async def items(x_token: str | None = Header(default=None)) -> dict[str, Any]:
        return {"items": [1, 2, 3], "token": x_token}

    return CORSMiddleware(
        api,
        allow_origins=origins,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        allow_credentials=True,
    )


app = make_app(["http://localhost:5173"])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
