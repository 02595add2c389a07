"""The Django middleware: :class:`corsight.engine.Engine` applied to Django requests, sync or
async. Settings are read once, at start-up; any problem stops it with every problem listed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from corsight.asgi import decide_awaiting
from corsight.config.django_settings import read
from corsight.engine import Decision
from corsight.errors import ConfigError
from corsight.routing import Router
from corsight.wsgi import cors_request, with_cors_headers


def _inputs(request: HttpRequest) -> dict[str, Any]:
    """The engine's named inputs (Django's ``request.META`` has a WSGI environ's keys)."""
    origin, request_method, request_headers, private_network = cors_request(request.META)
    return {
        "method": request.method or "GET",
        "origin": origin,
        "request_method": request_method,
        "request_headers": request_headers,
        "request_private_network": private_network,
    }


def _preflight(decision: Decision) -> HttpResponse:
    response = HttpResponse(decision.body, status=decision.status)
    for name, value in decision.headers:
        response[name] = value
    return response


def _apply(response: HttpResponseBase, decision: Decision) -> HttpResponseBase:
    vary = (("Vary", response["Vary"]),) if response.has_header("Vary") else ()
    for name, value in with_cors_headers(vary, decision):
        response[name] = value
    return response


class CORSMiddleware:
    """``"corsight.django.middleware.CORSMiddleware"`` in ``MIDDLEWARE``, above ``CommonMiddleware``."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        loaded = read(settings)
        if loaded.errors or loaded.result is None:
            raise ImproperlyConfigured(f"{ConfigError(loaded.errors)}\n(`manage.py check` lists them too)")
        router = loaded.result
        assert isinstance(router, Router)
        self.router = router
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        elif router.is_async:
            raise ImproperlyConfigured(
                "CORSIGHT['allow_origin_callback'] is async, but this Django runs its middleware "
                "synchronously (WSGI); pass a plain function, or serve the project with ASGI"
            )

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        engine = self.router.engine_for(request.path_info)
        if engine is None:
            return self.get_response(request)
        decision = engine.decide(**_inputs(request))
        if decision.status is not None:
            return _preflight(decision)
        return _apply(self.get_response(request), decision)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        engine = self.router.engine_for(request.path_info)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        if engine is None:
            return await get_response(request)
        decision = await decide_awaiting(engine, **_inputs(request))
        if decision.status is not None:
            return _preflight(decision)
        return _apply(await get_response(request), decision)
