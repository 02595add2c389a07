from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def items(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(
        {
            "method": request.method,
            "token": request.headers.get("X-Token"),
            "cookie": request.COOKIES.get("s"),
        }
    )
    response["X-Total"] = "3"
    response["Vary"] = "Accept-Encoding"
    return response


@csrf_exempt
async def async_items(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"method": request.method, "async": True})


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404("nothing here")


def public(request: HttpRequest) -> HttpResponse:
    return HttpResponse("public")
