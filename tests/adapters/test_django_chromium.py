"""Real headless Chromium against the Django test project, served by WSGI (wsgiref) and by
ASGI (uvicorn, async middleware chain): a credentialed PUT with a custom header succeeds from
the allowed origin and is blocked from another."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import override_settings  # noqa: E402

from tests.browser_page import blocked_by_cors, browser_fetch, page_app  # noqa: E402
from tests.servers import serve_asgi, serve_wsgi  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        yield allowed, other


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_django_in_chromium(kind: str, pages: tuple[str, str], browser_context: Any) -> None:
    allowed, other = pages
    settings = {
        "allow_origins": [allowed],
        "allow_methods": ["GET", "PUT"],
        "allow_headers": ["X-Token"],
        "allow_credentials": True,
        "expose_headers": ["X-Total"],
    }
    with override_settings(CORSIGHT=settings):
        app = get_wsgi_application() if kind == "wsgi" else get_asgi_application()
        server = serve_wsgi(app) if kind == "wsgi" else serve_asgi(app)
        path = "/api/items" if kind == "wsgi" else "/api/async"
        init = {"method": "PUT", "credentials": "include", "headers": {"X-Token": "t1"}}
        with server as api:
            ok = browser_fetch(browser_context, allowed, f"{api}{path}", **init)
            assert ok["ok"] and ok["status"] == 200, ok
            assert '"method": "PUT"' in ok["body"]
            if kind == "wsgi":
                assert '"token": "t1"' in ok["body"] and ok["headers"]["x-total"] == "3"
            denied = browser_fetch(browser_context, other, f"{api}{path}", **init)
            assert blocked_by_cors(denied), denied
