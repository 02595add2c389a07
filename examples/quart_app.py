"""Quart with corsight (``pip install quart uvicorn``): ``python -m examples.quart_app``.

Wrap ``app.asgi_app`` (as for Flask's ``wsgi_app``), so Quart's own error pages keep the
CORS headers.
"""

from __future__ import annotations

from typing import Any

from quart import Quart, request

from corsight.asgi import CORSMiddleware


def make_app(origins: list[str]) -> Quart:
    app = Quart(__name__)

    @app.route("/api/items", methods=["GET", "PUT"])
    async def items() -> dict[str, Any]:
        return {"items": [1, 2, 3], "token": request.headers.get("X-Token")}

    app.asgi_app = CORSMiddleware(  # type: ignore[method-assign]
        app.asgi_app,
        allow_origins=origins,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        allow_credentials=True,
    )
    return app


app = make_app(["http://localhost:5173"])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
