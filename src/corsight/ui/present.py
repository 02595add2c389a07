"""The page form of a check (``corsight ui``): the verdict's headline, the exchange as the
steps of a sequence diagram, and the fix as a short snippet next to the full ``corsight
export`` file for the chosen server — data the page inserts as text, never as HTML.

Everything here renders what :func:`corsight.check` and its
:class:`~corsight.diagnosis.Diagnosis` decided (the outcome, the cause in words, the step that
decided it, the headers the server must send, the policy that sends them); it decides no CORS
rule and names no cause of its own. The terminal form is :mod:`corsight.terminal`.
"""

from __future__ import annotations

import json
import shlex
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from corsight.browser import Check, Exchange
from corsight.browser.checks import get_header, is_redirect
from corsight.check import CheckResult
from corsight.diagnosis import EXPORT_TARGET, Diagnosis, PolicyFix
from corsight.errors import PolicyError
from corsight.export import ExportError
from corsight.policy import DEFAULT_METHODS

# --- the headline --------------------------------------------------------------------------------


def headline(result: CheckResult) -> dict[str, Any]:
    """The verdict in a word (``Allowed``, ``Allowed so far``, ``Blocked``), its cause in words
    with the step that decided it (``Nothing on the server answers the preflight (OPTIONS →
    405)``), and the browser's own name for the error as ``detail``."""
    diagnosis = result.diagnosis
    if result.outcome == "allowed":
        return {"word": "Allowed", "tone": "good", "cause": diagnosis.headline, "detail": None}
    if result.outcome == "not-verified":
        return {"word": "Allowed so far", "tone": "partial", "cause": diagnosis.headline, "detail": None}
    return {"word": "Blocked", "tone": "bad", "cause": diagnosis.headline, "detail": result.error}


# --- the exchange --------------------------------------------------------------------------------


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _reason(check: Check) -> str:
    if check.name == "allow-credentials":
        return f"Access-Control-Allow-Credentials {check.detail}"
    return check.detail


def exchange(result: CheckResult) -> dict[str, Any]:
    """The requests of the timeline as a sequence diagram's steps: who talks to whom, the
    request and response lines, and which step the browser stopped at (``failed``): a fetch
    ends at its first failure, so a blocked result's last request sent is the one."""
    sent = [e for e in result.timeline if e.sent]
    failed_step: Exchange | None = sent[-1] if sent and not result.allowed else None
    failed_check = result.verdict.failed_check if result.verdict is not None else None
    lifelines = [{"role": "browser", "label": "Browser", "origin": result.origin}]
    servers: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    for number, entry in enumerate(result.timeline, 1):
        request, response = entry.request, entry.response
        origin = _origin_of(request.url)
        if origin not in servers:
            servers[origin] = len(lifelines)
            lifelines.append({"role": "server", "label": "Server", "origin": origin})
        status = response.status if response is not None else None
        location = get_header(response.headers, "location") if response is not None else None
        kind: str = request.kind
        if kind == "actual" and response is not None and is_redirect(response.status, response.headers):
            kind = "redirect"
        if not entry.sent:
            answer = "not sent: its response is unchecked"
        elif status is None:
            answer = "no response"
        else:
            answer = _status_text(status) + (f" → {location}" if kind == "redirect" else "")
        reason = None
        if entry is failed_step:
            reason = _reason(failed_check) if failed_check is not None else (result.error or "blocked")
        steps.append(
            {
                "number": number,
                "kind": kind,
                "server": servers[origin],
                "method": request.method,
                "url": request.url,
                "request": f"{request.method} {_path_of(request.url)}",
                "sent": entry.sent,
                "status": status,
                "response": answer,
                "failed": entry is failed_step,
                "reason": reason,
            }
        )
    if result.error == "TypeError":
        outcome = "fetch() throws a TypeError: nothing is sent"
    elif not result.allowed:
        outcome = f"fetch() rejects with a TypeError ({result.error})"
    elif result.complete:
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


def _keywords(settings: dict[str, object], indent: str, form: str) -> list[str]:
    lines = []
    for key, value in settings.items():
        text = json.dumps(value) if not isinstance(value, bool) else repr(value)
        lines.append(f'{indent}"{key}": {text},' if form == "dict" else f"{indent}{key}={text},")
    return lines


def short_snippet(server: str, settings: dict[str, object], filename: str) -> str:
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


def export_command(target: str, fix: PolicyFix, filename: str) -> str:
    """The ``corsight export`` command line that writes the same file."""
    settings = fix.settings()
    words = ["corsight", "export", "--to", target, "--allow-origin", fix.origin]
    if "allow_methods" in settings:
        words += ["--allow-method", ",".join([*DEFAULT_METHODS, *fix.methods])]
    if fix.headers:
        words += ["--allow-header", ",".join(fix.headers)]
    if fix.credentials:
        words.append("--allow-credentials")
    return shlex.join([*words, "-o", filename])


def fix_for(diagnosis: Diagnosis, server: str | None) -> dict[str, Any] | None:
    """The fix for ``server`` when a header must change: the short ``snippet`` to paste, and
    the diagnosis's policy as the complete file ``corsight export`` writes (``export``), with
    the ``command`` that writes it."""
    fix = diagnosis.fix
    if server is None or fix is None or not diagnosis.missing:
        return None
    target = EXPORT_TARGET.get(server, server)
    try:
        exported = fix.export(server)
    except (PolicyError, ExportError) as exc:
        return {
            "server": server,
            "snippet": None,
            "error": f"corsight cannot write this configuration safely: {exc}",
        }
    return {
        "server": server,
        "snippet": short_snippet(server, fix.settings(), exported.filename),
        "export": {"target": target, **exported.to_dict()},
        "command": export_command(target, fix, exported.filename),
    }
