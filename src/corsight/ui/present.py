"""What the page shows besides ``CheckResult.to_dict()``: the verdict's headline in words, the
exchange as the steps of a sequence diagram, and the fix as a short snippet next to the full
``corsight export`` file for the chosen server.

Everything here reads what :func:`corsight.check` and its diagnosis already decided (the
verdict, the failed check, ``fixes["problem"]`` and the headers the server must send); it
decides no CORS rule of its own. The page inserts every string as text, never as HTML.
"""

from __future__ import annotations

import json
import shlex
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from corsight.check import EXPORT_TARGET
from corsight.errors import PolicyError
from corsight.export import ExportError, export
from corsight.policy import DEFAULT_METHODS, Policy

# --- the headline --------------------------------------------------------------------------------

_STAGE = {
    "preflight": "The preflight response",
    "redirect": "The redirect response",
    "actual": "The response",
}


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _failed_step(result: dict[str, Any]) -> dict[str, Any] | None:
    """The exchange the browser stopped at: a fetch ends at its first failure, so a blocked
    result's last request that was sent is the one that failed."""
    if result["allowed"]:
        return None
    sent = [step for step in result["timeline"] if step["sent"]]
    return sent[-1] if sent else None


def _arrow(step: dict[str, Any] | None) -> str:
    if step is None or not step["response"]:
        return ""
    return f" ({step['method']} → {step['response']['status']})"


def _failed_check(result: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in result["checks"] if not c["passed"]), None)


def _from_check(check: dict[str, Any] | None) -> str:
    if check is None:
        return "The browser blocks this request"
    stage = _STAGE.get(str(check.get("stage") or ""), "The response")
    name, detail = check["name"], check["detail"]
    if name == "allow-origin":
        return f"{stage} does not allow this origin: {detail}"
    if name == "allow-credentials":
        return f"{stage} does not allow credentials: Access-Control-Allow-Credentials {detail}"
    if name == "method":
        return f"{stage} does not allow the method: {detail}"
    if name == "headers":
        return f"{stage} does not allow a request header: {detail}"
    if name == "ok-status":
        return f"{stage} is not a success: {detail}"
    return f"{stage} fails the browser's {name} check: {detail}"


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The verdict in a word (``Allowed``, ``Allowed so far``, ``Blocked``), its cause in words
    with the step that decided it (``Nothing on the server answers the preflight (OPTIONS →
    405)``), and the browser's own name for the error as ``detail``."""
    fixes = result.get("fixes") or {}
    if result["allowed"]:
        last = next((s for s in reversed(result["timeline"]) if s["sent"]), None)
        if result["complete"]:
            cause = "The page's script can read the response" + _arrow(last)
            return {"word": "Allowed", "tone": "good", "cause": cause, "detail": None}
        unsent = next((s for s in result["timeline"] if not s["sent"]), None)
        what = f"the {unsent['method']} itself" if unsent else "the actual request"
        cause = f"Nothing failed, but {what} was not sent: its response is unchecked"
        return {"word": "Allowed so far", "tone": "partial", "cause": cause, "detail": None}

    error = result["error"]
    step = _failed_step(result)
    arrow = _arrow(step)
    on_preflight = step is not None and step["kind"] == "preflight"
    problem = fixes.get("problem")
    named = fixes.get("cause")  # a diagnosis that names the cause in words is taken as is
    if isinstance(named, str) and named:
        cause = named
    elif problem == "request" or error == "TypeError":
        cause = "fetch() throws before sending anything"
    elif problem == "preflight-not-handled":
        cause = "Nothing on the server answers the preflight"
    elif problem == "auth":
        cause = "Authentication rejects the preflight, which never carries credentials"
    elif problem == "policy":
        cause = "The server's CORS policy refuses this origin, method or headers"
    elif problem == "server-error":
        cause = (
            "The server fails on the preflight"
            if on_preflight
            else "The server fails, and its error response has no CORS headers"
        )
    elif problem == "redirect":
        if error == "kPreflightDisallowedRedirect":
            cause = "The preflight is redirected, and browsers never follow a preflight's redirect"
        elif error == "kRedirectContainsCredentials":
            cause = "A redirect's Location contains user:password@"
        elif any(["Origin", "null"] in s["request_headers"] for s in result["timeline"]):
            cause = "A redirect to another origin made the browser send Origin: null"
        else:
            cause = "A redirect stops the request"
    elif problem == "network":
        cause = "The request fails in the network, before CORS is checked"
    else:
        cause = _from_check(_failed_check(result))
    return {"word": "Blocked", "tone": "bad", "cause": cause + arrow, "detail": error}


# --- the exchange --------------------------------------------------------------------------------


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _header(headers: list[list[str]], name: str) -> str | None:
    return next((v for n, v in headers if n.lower() == name), None)


def _reason(check: dict[str, Any]) -> str:
    detail = str(check["detail"])
    if check["name"] == "allow-credentials":
        return f"Access-Control-Allow-Credentials {detail}"
    return detail


def exchange(result: dict[str, Any]) -> dict[str, Any]:
    """The requests of the timeline as a sequence diagram's steps: who talks to whom, the
    request and response lines, and which step the browser stopped at (``failed``)."""
    failed_step = _failed_step(result)
    failed = _failed_check(result)
    lifelines = [{"role": "browser", "label": "Browser", "origin": result["origin"]}]
    servers: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    for number, entry in enumerate(result["timeline"], 1):
        origin = _origin_of(entry["url"])
        if origin not in servers:
            servers[origin] = len(lifelines)
            lifelines.append({"role": "server", "label": "Server", "origin": origin})
        response = entry["response"]
        status = response["status"] if response else None
        location = _header(response["headers"], "location") if response else None
        kind = entry["kind"]
        if kind == "actual" and status is not None and 300 <= status < 400 and location:
            kind = "redirect"
        is_failed = entry is failed_step
        if not entry["sent"]:
            answer = "not sent: its response is unchecked"
        elif status is None:
            answer = "no response"
        else:
            answer = _status_text(status) + (f" → {location}" if kind == "redirect" else "")
        reason = None
        if is_failed:
            reason = _reason(failed) if failed is not None else (result["error"] or "blocked")
        steps.append(
            {
                "number": number,
                "kind": kind,
                "server": servers[origin],
                "method": entry["method"],
                "url": entry["url"],
                "request": f"{entry['method']} {_path_of(entry['url'])}",
                "sent": entry["sent"],
                "status": status,
                "response": answer,
                "failed": is_failed,
                "reason": reason,
            }
        )
    if result["error"] == "TypeError":
        outcome = "fetch() throws a TypeError: nothing is sent"
    elif not result["allowed"]:
        outcome = f"fetch() rejects with a TypeError ({result['error']})"
    elif result["complete"]:
        outcome = "fetch() resolves: the script reads the response"
    else:
        outcome = "allowed so far: the last step was not sent"
    return {"lifelines": lifelines, "steps": steps, "outcome": outcome}


# --- the fix: a short snippet and the full export ------------------------------------------------

WEB_SERVERS = {
    "nginx": ("#", "in the server {} block that serves the API", "include /etc/nginx/{file};"),
    "apache": (
        "#",
        "in the <VirtualHost> of the API (a2enmod headers rewrite)",
        "Include /etc/apache2/{file}",
    ),
    "caddy": ("#", "in the site block that serves the API", "import {file}"),
    "express": ("//", "before the routes (npm install cors)", 'app.use(require("./{stem}"));'),
}


def fix_policy(fixes: dict[str, Any]) -> tuple[Policy, dict[str, Any]] | None:
    """The policy that sends the headers the diagnosis asks for (``fixes["headers"]``), and
    the keyword arguments that build it (only those that differ from the defaults); ``None``
    when no header needs to change. Raises :class:`PolicyError` when no policy can."""
    rows = [h for h in fixes.get("headers") or [] if isinstance(h, dict)]
    if not any(not h.get("ok") for h in rows):
        return None
    values = {str(h["name"]).lower(): str(h["value"]) for h in rows}
    origin = values.get("access-control-allow-origin")
    if not origin:
        return None

    def items(name: str) -> list[str]:
        return [v.strip() for v in values.get(name, "").split(",") if v.strip()]

    settings: dict[str, Any] = {"allow_origins": [origin]}
    extra = [m for m in items("access-control-allow-methods") if m not in DEFAULT_METHODS]
    if extra:
        settings["allow_methods"] = [*DEFAULT_METHODS, *extra]
    if items("access-control-allow-headers"):
        settings["allow_headers"] = items("access-control-allow-headers")
    if values.get("access-control-allow-credentials") == "true":
        settings["allow_credentials"] = True
    return Policy(**settings), settings


def _keywords(settings: dict[str, Any], indent: str, form: str) -> list[str]:
    lines = []
    for key, value in settings.items():
        text = json.dumps(value) if not isinstance(value, bool) else repr(value)
        lines.append(f'{indent}"{key}": {text},' if form == "dict" else f"{indent}{key}={text},")
    return lines


def short_snippet(server: str, settings: dict[str, Any], filename: str) -> str:
    """A few lines that put the policy into ``server``: corsight's own middleware for the Python
    servers, and for the others the line that includes the exported file."""
    if server in ("fastapi", "starlette"):
        return "\n".join(
            [
                "# pip install corsight; then wrap the app, after its routes:",
                "from corsight.asgi import CORSMiddleware",
                "",
                "app = CORSMiddleware(",
                "    app,",
                *_keywords(settings, "    ", "call"),
                ")",
            ]
        )
    if server == "flask":
        return "\n".join(
            [
                "# pip install corsight; then, after app = Flask(__name__):",
                "from corsight.wsgi import CORSMiddleware",
                "",
                "app.wsgi_app = CORSMiddleware(",
                "    app.wsgi_app,",
                *_keywords(settings, "    ", "call"),
                ")",
            ]
        )
    if server == "django":
        return "\n".join(
            [
                "# at the end of settings.py (pip install corsight); the middleware goes first:",
                'INSTALLED_APPS = [*INSTALLED_APPS, "corsight.django"]',
                'MIDDLEWARE = ["corsight.django.middleware.CORSMiddleware", *MIDDLEWARE]',
                "CORSIGHT = {",
                *_keywords(settings, "    ", "dict"),
                "}",
            ]
        )
    comment, where, line = WEB_SERVERS[server]
    stem = filename.rsplit(".", 1)[0]
    include = line.format(file=filename, stem=stem)
    return f"{comment} Save the complete file below as {filename}; then,\n{comment} {where}:\n{include}"


def export_command(target: str, settings: dict[str, Any], filename: str) -> str:
    """The ``corsight export`` command line that writes the same file."""
    words = ["corsight", "export", "--to", target]
    for origin in settings["allow_origins"]:
        words += ["--allow-origin", origin]
    if "allow_methods" in settings:
        words += ["--allow-method", ",".join(settings["allow_methods"])]
    if "allow_headers" in settings:
        words += ["--allow-header", ",".join(settings["allow_headers"])]
    if settings.get("allow_credentials"):
        words.append("--allow-credentials")
    return shlex.join([*words, "-o", filename])


def fix_for(fixes: dict[str, Any], server: str | None) -> dict[str, Any] | None:
    """The fix for ``server``: the short ``snippet`` to paste, and the same policy as the
    complete file ``corsight export`` writes (``export``), with the ``command`` that writes it."""
    if server is None:
        return None
    try:
        found = fix_policy(fixes)
        if found is None:
            return None
        policy, settings = found
        target = EXPORT_TARGET.get(server, server)
        exported = export(policy, target)
    except (PolicyError, ExportError) as exc:
        return {
            "server": server,
            "snippet": None,
            "error": f"corsight cannot write this configuration safely: {exc}",
        }
    return {
        "server": server,
        "snippet": short_snippet(server, settings, exported.filename),
        "export": {"target": target, **exported.to_dict()},
        "command": export_command(target, settings, exported.filename),
    }
