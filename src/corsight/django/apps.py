"""The Django app: registers corsight's system checks."""

from __future__ import annotations

from django.apps import AppConfig


class CorsightConfig(AppConfig):  # type: ignore[misc]  # django ships no type hints
    name = "corsight.django"
    label = "corsight"
    verbose_name = "corsight CORS"

    def ready(self) -> None:
        from django.core import checks

        from corsight.django.checks import check_middleware, check_settings

        checks.register(check_settings, "corsight")
        checks.register(check_middleware, "corsight")
