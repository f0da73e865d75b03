"""Pages and API alike answer 503 while the database (or Redis) is out of reach.

The API's exception handler (``core.api``) covers DRF views; this middleware
covers the other views (pages, the admin), which would otherwise show a 500.
Sessions and users are loaded lazily, inside the views, so their queries are
covered too. The page it renders needs no database: no user, no session, no
context processor.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.api import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, logger, service_unavailable_body


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, SERVICE_UNAVAILABLE):
            return self.unavailable(request, exc)
        return None

    @staticmethod
    def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("Database or cache unavailable on %s: %s", request.path, exc)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(service_unavailable_body(), status=503)
        else:
            response = HttpResponse(
                render_to_string("core/unavailable.html", {"body": service_unavailable_body()}),
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
