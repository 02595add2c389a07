"""Python targets: corsight's own middleware, configured with the same policy.

Here nothing needs translating: the exported module builds the Policy and hands it to the
ASGI/WSGI middleware (or Django settings), so the engine itself answers.
"""

from __future__ import annotations

from typing import Any

from corsight.export.model import Plan
from corsight.export.result import Exported
from corsight.policy import DATA_SETTINGS


def _settings(plan: Plan) -> list[tuple[str, Any]]:
    settings = plan.policy.settings()
    items: list[tuple[str, Any]] = []
    for key in DATA_SETTINGS:
        value = settings[key]
        if isinstance(value, list) and value == ["*"]:
            value = "*"
        items.append((key, value))
    return items


def _policy_call(plan: Plan, indent: str = "    ") -> str:
    lines = [f"{indent}{key}={value!r}," for key, value in _settings(plan)]
    return "Policy(\n" + "\n".join(lines) + "\n)"


def _header(what: str, usage: str) -> str:
    return f'"""CORS for {what}, exported by `corsight export` from one corsight Policy.\n\n{usage}\n"""\n\n'


def flask(plan: Plan) -> Exported:
    content = (
        _header(
            "a Flask app",
            "    from corsight_cors import install_cors\n    install_cors(app)\n\n"
            "corsight's WSGI middleware wraps app.wsgi_app: it answers preflights itself and adds\n"
            "the headers to every response, error pages included.",
        )
        + "from typing import Any\n\n"
        + "from corsight import Policy\nfrom corsight.wsgi import CORSMiddleware\n\n"
        + f"POLICY = {_policy_call(plan)}\n\n\n"
        + "def install_cors(app: Any) -> Any:\n"
        + '    """Wrap the Flask app\'s WSGI callable; returns the app."""\n'
        + "    app.wsgi_app = CORSMiddleware(app.wsgi_app, POLICY)\n"
        + "    return app\n"
    )
    return Exported("flask", "corsight_cors.py", content)


def fastapi(plan: Plan) -> Exported:
    content = (
        _header(
            "a FastAPI (or any ASGI) app",
            "    from corsight_cors import install_cors\n    app = install_cors(app)   # after the routes\n\n"
            "Wrapping the whole app (rather than app.add_middleware) keeps the CORS headers on the\n"
            "500 responses of unhandled exceptions too.",
        )
        + "from typing import Any\n\n"
        + "from corsight import Policy\nfrom corsight.asgi import CORSMiddleware\n\n"
        + f"POLICY = {_policy_call(plan)}\n\n\n"
        + "def install_cors(app: Any) -> Any:\n"
        + '    """The ASGI app wrapped in corsight\'s middleware; serve what this returns."""\n'
        + "    return CORSMiddleware(app, POLICY)\n"
    )
    return Exported("fastapi", "corsight_cors.py", content)


def django(plan: Plan) -> Exported:
    items = "\n".join(f"    {key!r}: {value!r}," for key, value in _settings(plan))
    content = (
        "# CORS for a Django project, exported by `corsight export` from one corsight Policy.\n"
        "# Paste at the end of settings.py: corsight's middleware goes first in MIDDLEWARE, so\n"
        "# that it answers preflights before authentication and CSRF see them, and it puts the\n"
        "# headers on every response, error pages included. `manage.py check` validates CORSIGHT.\n\n"
        'INSTALLED_APPS = [*INSTALLED_APPS, "corsight.django"]  # noqa: F821\n'
        'MIDDLEWARE = ["corsight.django.middleware.CORSMiddleware", *MIDDLEWARE]  # noqa: F821\n\n'
        f"CORSIGHT = {{\n{items}\n}}\n"
    )
    return Exported("django", "corsight_settings.py", content)
