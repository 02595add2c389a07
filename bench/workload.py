"""The workload: the one policy every contender is configured with, the requests they answer and
the shape of what comes back. Protocol-neutral; ``asgi_apps`` and ``wsgi_apps`` translate it.

The requested origin is always the *last* one configured, so that a contender that scans its
list of origins pays for the whole scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: How many allowed origins each contender is configured with, in turn.
ORIGIN_COUNTS = (1, 100, 10_000)

HOST = "api.example.com"
PATH = "/api/items"
DENIED_ORIGIN = "https://evil.example.net"

ALLOW_METHODS = ("GET", "POST", "PUT")
#: ``Content-Type`` is listed although corsight and Starlette always allow it: flask-cors does not.
ALLOW_HEADERS = ("Content-Type", "X-Requested-With")
EXPOSE_HEADERS = ("X-Total-Count",)
MAX_AGE = 600

PREFLIGHT_METHOD = "PUT"
PREFLIGHT_HEADERS = "content-type,x-requested-with"

#: The adversarial preflight's ``Access-Control-Request-Headers``: 1 MiB of commas.
ADVERSARIAL_HEADERS = "," * (1 << 20)

#: What the bare application answers (and so what every simple request's body must be).
APP_BODY = b"OK"


def allowed_origins(count: int) -> list[str]:
    """``count`` distinct allowed origins; the benchmark requests the last one."""
    return [f"https://app{i}.example.com" for i in range(count)]


def starlette_style_settings(origins: list[str]) -> dict[str, Any]:
    """The policy as Starlette's keyword arguments, which corsight accepts unchanged."""
    return {
        "allow_origins": origins,
        "allow_methods": list(ALLOW_METHODS),
        "allow_headers": list(ALLOW_HEADERS),
        "allow_credentials": True,
        "expose_headers": list(EXPOSE_HEADERS),
        "max_age": MAX_AGE,
    }


def flask_cors_settings(origins: list[str]) -> dict[str, Any]:
    """The same policy in flask-cors' vocabulary."""
    return {
        "origins": origins,
        "methods": list(ALLOW_METHODS),
        "allow_headers": list(ALLOW_HEADERS),
        "supports_credentials": True,
        "expose_headers": list(EXPOSE_HEADERS),
        "max_age": MAX_AGE,
    }


@dataclass(frozen=True)
class Request:
    """An HTTP request as the middleware sees it; header names are lowercase."""

    method: str
    headers: tuple[tuple[str, str], ...]
    path: str = PATH

    @property
    def origin(self) -> str | None:
        return dict(self.headers).get("origin")


#: Headers Chromium sends with every cross-origin fetch from a page (an ASGI middleware that
#: scans the request headers pays for each of them).
_BROWSER_HEADERS = (
    ("connection", "keep-alive"),
    ("sec-ch-ua", '"Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"),
)
_FETCH_METADATA = (
    ("sec-fetch-site", "cross-site"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-dest", "empty"),
    ("referer", "https://app.example.com/"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9"),
)


def simple_get(origin: str) -> Request:
    """A cross-origin ``fetch(url, {credentials: "include"})``, with the headers Chromium sends."""
    return Request(
        "GET",
        (
            ("host", HOST),
            *_BROWSER_HEADERS,
            ("accept", "*/*"),
            ("origin", origin),
            *_FETCH_METADATA,
            ("cookie", "session=5f2b9c1e0a7d4e3f8b6a"),
        ),
    )


def preflight(origin: str, request_headers: str = PREFLIGHT_HEADERS) -> Request:
    """The preflight Chromium sends before a ``PUT`` with JSON and ``X-Requested-With``."""
    return Request(
        "OPTIONS",
        (
            ("host", HOST),
            ("connection", "keep-alive"),
            ("accept", "*/*"),
            ("access-control-request-method", PREFLIGHT_METHOD),
            ("access-control-request-headers", request_headers),
            ("origin", origin),
            *_BROWSER_HEADERS[-1:],
            *_FETCH_METADATA,
        ),
    )


def adversarial_preflight(origin: str) -> Request:
    """A preflight no browser sends: ``Access-Control-Request-Headers`` of 1 MiB of commas."""
    return preflight(origin, ADVERSARIAL_HEADERS)


@dataclass
class Response:
    """What a contender answered; header names lowercased, values as sent."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    app_called: bool = False
    _index: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def values(self, name: str) -> list[str]:
        """Every value sent under ``name`` (lowercase), in order."""
        if not self._index:
            for key, value in self.headers:
                self._index.setdefault(key, []).append(value)
        return self._index.get(name, [])

    def tokens(self, name: str) -> set[str]:
        """The comma-separated items of all ``name`` headers, lowercased."""
        return {
            item.strip().lower() for value in self.values(name) for item in value.split(",") if item.strip()
        }
