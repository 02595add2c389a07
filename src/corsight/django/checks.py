"""Django system checks (``manage.py check``): every CORS settings problem, with its id
(``corsight.E001``…) and its fix as the hint, and the middleware's place in ``MIDDLEWARE``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from corsight.config.django_settings import MIDDLEWARE_PATH, read
from corsight.config.problems import W_NOT_INSTALLED, W_ORDER, W_TWO_MIDDLEWARES
from corsight.errors import Problem

#: Middleware that may answer a request (a redirect, a static file) before CORS is applied.
ANSWER_FIRST = (
    "django.middleware.common.CommonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
)


def as_check_messages(problems: list[Problem]) -> list[checks.CheckMessage]:
    kind = {True: checks.Warning, False: checks.Error}
    return [kind[p.warning](p.describe(), hint=p.fix or None, id=f"corsight.{p.id}") for p in problems]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return as_check_messages(read(settings).problems)


def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    found: list[checks.CheckMessage] = []
    if MIDDLEWARE_PATH not in middleware:
        found.append(
            checks.Warning(
                f"{MIDDLEWARE_PATH} is not in MIDDLEWARE: no CORS headers are sent",
                hint=f"add '{MIDDLEWARE_PATH}' near the top of MIDDLEWARE",
                id=f"corsight.{W_NOT_INSTALLED}",
            )
        )
        return found
    position = middleware.index(MIDDLEWARE_PATH)
    for earlier in middleware[:position]:
        if earlier in ANSWER_FIRST:
            found.append(
                checks.Warning(
                    f"{MIDDLEWARE_PATH} comes after {earlier}, whose responses (redirects, static "
                    "files, preflights it answers) then lack CORS headers",
                    hint=f"move '{MIDDLEWARE_PATH}' above '{earlier}'",
                    id=f"corsight.{W_ORDER}",
                )
            )
    if "corsheaders.middleware.CorsMiddleware" in middleware:
        found.append(
            checks.Warning(
                "corsheaders.middleware.CorsMiddleware is still in MIDDLEWARE next to corsight's",
                hint="remove it: corsight reads its CORS_* settings",
                id=f"corsight.{W_TWO_MIDDLEWARES}",
            )
        )
    return found
