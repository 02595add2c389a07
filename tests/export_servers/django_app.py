"""A one-file Django site configured by an exported ``corsight_settings.py``, served by wsgiref
on 127.0.0.1 (a child process: Django's settings can be configured once per process).

    python -m tests.export_servers.django_app SETTINGS_FILE PORT
"""

from __future__ import annotations

import sys
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main(settings_file: str, port: int) -> None:
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    namespace: dict[str, Any] = {"INSTALLED_APPS": [], "MIDDLEWARE": []}
    with open(settings_file) as f:
        exec(compile(f.read(), settings_file, "exec"), namespace)

    def api(request: HttpRequest) -> JsonResponse:
        response = JsonResponse({"method": request.method})
        response["X-Total"] = "42"
        response["X-Secret"] = "s"
        return response

    def boom(request: HttpRequest) -> JsonResponse:
        raise RuntimeError("boom")

    settings.configure(
        DEBUG=False,
        SECRET_KEY="corsight-export-test",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=namespace["INSTALLED_APPS"],
        MIDDLEWARE=namespace["MIDDLEWARE"],
        CORSIGHT=namespace["CORSIGHT"],
        LOGGING_CONFIG=None,
    )
    global urlpatterns
    urlpatterns = [path("api", api), path("boom", boom)]
    django.setup()
    server = make_server("127.0.0.1", port, get_wsgi_application(), handler_class=_Quiet)
    server.serve_forever()


urlpatterns: list[Any] = []

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
