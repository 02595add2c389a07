"""The scan lab: one ASGI app whose paths each reproduce one real server-side origin-check
bug (or a correct configuration), served on loopback and reached under realistic names with
``--resolve``. The front-end every endpoint means to trust is https://www.victim.example."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from corsight.asgi import CORSMiddleware

TRUSTED = "https://www.victim.example"
HOST = "api.victim.example"
Headers = list[tuple[str, str]]
Rule = Callable[[str | None, dict[str, str]], Headers]


def _creds(origin: str) -> Headers:
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]


def _if(ok: bool, origin: str | None, vary: bool = True) -> Headers:
    out: Headers = [("Vary", "Origin")] if vary else []
    if ok and origin is not None:
        out += _creds(origin)
    return out


def _host_prefix(origin: str | None) -> bool:
    # A hand-written "parser": the host is the run of [a-z0-9.-] after the scheme.
    m = re.match(r"^https?://([a-z0-9.\-]+)", origin or "")
    return bool(m) and m.group(1) == "www.victim.example"


def _preflight_echo(origin: str | None, req: dict[str, str]) -> Headers:
    out = _if(origin is not None, origin)
    if "access-control-request-method" in req:
        out.append(("Access-Control-Allow-Methods", req["access-control-request-method"]))
    if "access-control-request-headers" in req:
        out.append(("Access-Control-Allow-Headers", req["access-control-request-headers"]))
    return out


def _pna(origin: str | None, req: dict[str, str]) -> Headers:
    # A device on the local network that opts every website in.
    out = [("Access-Control-Allow-Origin", "*")]
    if req.get("access-control-request-private-network") == "true":
        out.append(("Access-Control-Allow-Private-Network", "true"))
    return out


# path -> rule(origin, request headers) -> CORS headers. The bug is the one-line condition.
VULNERABLE: dict[str, tuple[str, Rule]] = {
    "/reflect-creds": ("any-origin", lambda o, r: _if(o is not None, o)),
    "/reflect-nocreds": (
        "any-origin",
        lambda o, r: [("Vary", "Origin")] + ([("Access-Control-Allow-Origin", o)] if o else []),
    ),
    "/null": ("null-origin", lambda o, r: _if(o in (TRUSTED, "null"), o)),
    "/startswith": ("prefix-match", lambda o, r: _if((o or "").startswith(TRUSTED), o)),
    "/regex-unanchored": (
        "prefix-match",
        lambda o, r: _if(bool(re.match(r"https://www\.victim\.example", o or "")), o),
    ),
    "/endswith": ("suffix-match", lambda o, r: _if((o or "").endswith("victim.example"), o)),
    "/contains": ("substring-match", lambda o, r: _if("victim.example" in (o or ""), o)),
    "/host-in-allowed": (
        "substring-match",
        lambda o, r: _if(bool(o) and (urlsplit(o or "").hostname or "-") in "www.victim.example", o),
    ),
    "/unescaped-dot": (
        "unescaped-dot",
        lambda o, r: _if(bool(re.fullmatch(r"https://www.victim.example", o or "")), o),
    ),
    "/any-subdomain": (
        "any-subdomain",
        lambda o, r: _if(bool(re.fullmatch(r"https://([a-z0-9-]+\.)*victim\.example", o or "")), o),
    ),
    "/parser": ("special-characters", lambda o, r: _if(_host_prefix(o), o)),
    "/third-party": ("third-party-origin", lambda o, r: _if(o in (TRUSTED, "https://codepen.io"), o)),
    "/github-pages": (
        "third-party-origin",
        lambda o, r: _if(o == TRUSTED or bool(re.fullmatch(r"https://[a-z0-9-]+\.github\.io", o or "")), o),
    ),
    "/localhost": ("localhost-origin", lambda o, r: _if(o in (TRUSTED, "http://localhost:3000"), o)),
    "/localhost-regex": (
        "localhost-origin",
        lambda o, r: _if(o == TRUSTED or bool(re.match(r"https?://localhost", o or "")), o),
    ),
    "/wildcard": ("wildcard-origin", lambda o, r: [("Access-Control-Allow-Origin", "*")]),
    "/wildcard-creds": (
        "wildcard-origin",
        lambda o, r: [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")],
    ),
    "/invalid-list": (
        "invalid-allow-origin",
        lambda o, r: [("Access-Control-Allow-Origin", f"{TRUSTED} https://victim.example")],
    ),
    "/missing-vary": ("missing-vary-origin", lambda o, r: _if(o == TRUSTED, o, vary=False)),
    "/preflight-echo": ("permissive-preflight", lambda o, r: _preflight_echo(o if o == TRUSTED else None, r)),
    "/preflight-echo-any": ("permissive-preflight", _preflight_echo),
    "/pna": ("private-network-access", _pna),
}

# Only a finding on an https target: an https API that trusts its front-end's http:// twin.
TLS_ONLY: dict[str, tuple[str, Rule]] = {
    "/http-trusted": ("http-origin", lambda o, r: _if(o in (TRUSTED, "http://www.victim.example"), o)),
}

# Correct configurations: nothing above informational may be reported.
CORRECT: dict[str, Rule] = {
    "/exact": lambda o, r: _if(o == TRUSTED, o),
    "/static": lambda o, r: [("Access-Control-Allow-Origin", TRUSTED)],
    "/no-cors": lambda o, r: [],
}


async def _respond(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, headers: Headers) -> None:
    raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    raw += [(b"content-type", b"application/json"), (b"cache-control", b"max-age=600")]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b'{"secret": "account data"}'})


async def _redirect(path: str, origin: str | None, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    # Same-site: to the reflecting endpoint (the scanner follows it, as a browser would);
    # off-site: somewhere the scanner must not go.
    location = "/reflect-creds" if path == "/redirect-samesite" else "http://elsewhere.example/"
    headers = [("Location", location), *_if(origin is not None, origin)]
    raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    await send({"type": "http.response.start", "status": 302, "headers": raw})
    await send({"type": "http.response.body", "body": b""})


async def _plain_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await _respond(send, 200, [])


_corsight_app = CORSMiddleware(
    _plain_app,
    allow_origins=[TRUSTED],
    allow_credentials=True,
    allow_methods=["GET", "POST"],
    allow_headers=["content-type"],
)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path.startswith("/corsight"):
        await _corsight_app(scope, receive, send)
        return
    request = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    origin = request.get("origin")
    if path.startswith("/redirect-"):
        await _redirect(path, origin, send)
        return
    rule: Rule | None = CORRECT.get(path)
    if rule is None and path in VULNERABLE:
        rule = VULNERABLE[path][1]
    if rule is None and path in TLS_ONLY:
        rule = TLS_ONLY[path][1]
    if rule is None:
        await _respond(send, 404, [])
        return
    headers = rule(origin, request)
    await _respond(send, 200, headers)


CORRECT_PATHS = [*CORRECT, "/corsight"]
