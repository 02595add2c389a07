"""Moved to :mod:`corsight.config.django_settings`; kept for the name tests import."""

from corsight.config.django_settings import MIDDLEWARE_PATH, read  # noqa: F401
