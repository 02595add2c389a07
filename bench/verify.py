"""What a correct answer looks like: checked on the very app instances that are then timed, so
that a misconfigured middleware (one that allows nothing, or everything) is never timed.
"""

from __future__ import annotations

from bench.workload import APP_BODY, EXPOSE_HEADERS, PREFLIGHT_HEADERS, PREFLIGHT_METHOD, Response


class VerificationError(Exception):
    """A contender did not answer as the workload's policy requires; nothing was timed."""


def allowed_simple(response: Response, origin: str, *, vary_origin: bool) -> list[str]:
    """Problems with the answer to an allowed simple request (empty when it is right)."""
    problems = _allowed(response, origin)
    if not response.app_called or response.body != APP_BODY:
        problems.append("the application's own response did not come through")
    if not {h.lower() for h in EXPOSE_HEADERS} <= response.tokens("access-control-expose-headers"):
        problems.append(f"Access-Control-Expose-Headers lacks {EXPOSE_HEADERS}")
    if vary_origin and "origin" not in response.tokens("vary"):
        problems.append("no Vary: Origin")
    return problems


def allowed_preflight(response: Response, origin: str, *, vary_origin: bool) -> list[str]:
    """Problems with the answer to an allowed preflight (empty when it is right)."""
    problems = _allowed(response, origin)
    if PREFLIGHT_METHOD.lower() not in response.tokens("access-control-allow-methods"):
        problems.append(f"Access-Control-Allow-Methods lacks {PREFLIGHT_METHOD}")
    wanted = set(PREFLIGHT_HEADERS.split(","))
    if not wanted <= response.tokens("access-control-allow-headers"):
        problems.append(f"Access-Control-Allow-Headers lacks some of {PREFLIGHT_HEADERS}")
    if vary_origin and "origin" not in response.tokens("vary"):
        problems.append("no Vary: Origin")
    return problems


def denied(response: Response, *, strict: bool) -> list[str]:
    """Problems with the answer to a request that must not be allowed.

    ``strict`` holds corsight to its promise that a denial carries no CORS header at all;
    others are only required not to allow the origin (Starlette lists its configured headers
    and methods on denied preflights too)."""
    problems = []
    if response.values("access-control-allow-origin"):
        problems.append(f"allowed what it must deny: {response.values('access-control-allow-origin')}")
    if strict:
        cors = sorted({name for name, _ in response.headers if name.startswith("access-control-")})
        if cors:
            problems.append(f"sent CORS headers {cors} with a denial")
    return problems


def is_denial(response: Response) -> bool:
    """Whether the browser would refuse the request on the strength of this answer."""
    return not response.values("access-control-allow-origin") or not (200 <= response.status < 300)


def _allowed(response: Response, origin: str) -> list[str]:
    problems = []
    if not 200 <= response.status < 300:
        problems.append(f"status {response.status}")
    sent = response.values("access-control-allow-origin")
    if sent != [origin]:
        problems.append(f"Access-Control-Allow-Origin is {sent}, not [{origin!r}]")
    if response.values("access-control-allow-credentials") != ["true"]:
        problems.append("no Access-Control-Allow-Credentials: true")
    return problems
