"""Flask with corsight, configured as for flask-cors: ``python -m examples.flask_app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from corsight.flask import CORS, cors


def make_app(origins: list[str]) -> Flask:
    app = Flask(__name__)

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> dict[str, Any]:
        return {"items": [1, 2, 3], "token": request.headers.get("X-Token")}

    @app.route("/widget")
    @cors(origins="*")  # one public view with its own policy
    def widget() -> str:
        return "public"

    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        supports_credentials=True,
        methods=["GET", "PUT"],
        allow_headers=["X-Token"],
    )
    return app


app = make_app(["http://localhost:5173"])

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000)
