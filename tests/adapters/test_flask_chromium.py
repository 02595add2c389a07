"""Real headless Chromium against a Flask app configured as for flask-cors: a page on an
allowed loopback origin reads a credentialed, custom-header PUT; a page on another origin is
blocked, with Chromium's console line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request

from corsight.flask import CORS, cors
from tests.browser_page import blocked_by_cors, browser_fetch, page_app
from tests.servers import serve_wsgi

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        yield allowed, other


def test_flask_extension_and_decorator_in_chromium(pages: tuple[str, str], browser_context: Any) -> None:
    allowed, other = pages
    app = Flask(__name__)

    @app.route("/api/items", methods=["PUT"])
    def items() -> tuple[dict[str, Any], int, dict[str, str]]:
        return (
            {"token": request.headers.get("X-Token"), "cookie": request.cookies.get("s")},
            200,
            {"X-Total": "7"},
        )

    @app.route("/special", methods=["PUT"])
    @cors(origins=[other], supports_credentials=True, allow_headers=["X-Token"])
    def special() -> str:
        return "special"

    CORS(
        app,
        resources={r"/api/*": {"origins": [allowed]}},
        supports_credentials=True,
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
    )
    init = {"method": "PUT", "credentials": "include", "headers": {"X-Token": "t1"}}
    with serve_wsgi(app) as api:
        ok = browser_fetch(browser_context, allowed, f"{api}/api/items", **init)
        assert ok["ok"] and ok["status"] == 200, ok
        assert '"token":"t1"' in ok["body"].replace(" ", "")
        assert ok["headers"]["x-total"] == "7"
        denied = browser_fetch(browser_context, other, f"{api}/api/items", **init)
        assert blocked_by_cors(denied), denied
        # The decorated view has its own policy: the other origin, not the allowed one.
        assert browser_fetch(browser_context, other, f"{api}/special", **init)["ok"]
        assert blocked_by_cors(browser_fetch(browser_context, allowed, f"{api}/special", **init))
