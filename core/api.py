"""API error translation: every error leaves as JSON ``{code, detail}``.

The one translation point for the API (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``):
domain errors carry their own code and status; DRF's errors keep DRF's stable
codes (``not_authenticated``, ``parse_error``, ``method_not_allowed``...);
validation errors become ``invalid`` with the per-field messages in ``fields``.
The serializers here describe that shape in the OpenAPI schema.

When the database cannot be reached (restarting, failing over, out of
connections) the answer is 503 ``service_unavailable`` with ``Retry-After``,
not a 500: nothing was half-done (every write is one transaction, rolled
back with the connection) and the client may simply try again. The same goes
for Redis (the cache that counts the rate limits and keeps availability
answers): a request that cannot count its rate is refused, not let through.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.ratelimit import RateLimited

logger = logging.getLogger(__name__)

# The database is unreachable or the connection broke: the server is not at
# fault with the request, and a retry after a moment succeeds.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# The same, or Redis (the shared cache) is.
SERVICE_UNAVAILABLE = (*DATABASE_UNAVAILABLE, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5


def service_unavailable_body() -> dict[str, str]:
    return {
        "code": "service_unavailable",
        "detail": _("The service is briefly unavailable. Please try again in a moment."),
    }


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _flatten(value)
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, RateLimited):
        return Response(
            {"code": exc.code, "detail": exc.detail},
            status=exc.status,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, exceptions.Throttled):  # DRF's own throttles, should one be added
        exc = RateLimited(scope="api", retry_after=int(exc.wait or 1))
        return exception_handler(exc, context)
    if isinstance(exc, SERVICE_UNAVAILABLE):
        logger.warning("Database or cache unavailable: %s", exc)
        return Response(
            service_unavailable_body(),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "code": "invalid",
            "detail": _flatten(exc.detail) or _("The data sent is not valid."),
            "fields": fields,
        }
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"code": code, "detail": _flatten(exc.detail)}
    return response


# Exempt: it changes nothing, and a session client's DELETE or POST to a URL
# that does not exist (``/api/v1/auth/tokens/abc/``) must get this JSON 404,
# not the CSRF middleware's HTML 403.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The JSON 404 for any unknown URL under the API prefix (any method)."""
    return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)


# --- Query parameters ----------------------------------------------------------------


class QuerySerializer(serializers.Serializer):
    """Validates query parameters: an empty one (``?status=``) is a malformed filter,
    refused like any other, where DRF would take it for a missing one. Fields that
    allow blank (``allow_blank=True``: "empty means all") are left as they are."""

    def to_internal_value(self, data: Any) -> Any:
        empty = [
            name
            for name, field in self.fields.items()
            if not getattr(field, "allow_blank", False) and data.get(name, None) == ""
        ]
        if empty:
            raise serializers.ValidationError(
                {name: [_("This field may not be blank.")] for name in empty}
            )
        return super().to_internal_value(data)


# --- Schema ------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every API error."""

    code = serializers.CharField(help_text="Stable machine-readable code; switch on it.")
    detail = serializers.CharField(help_text="Human-readable message in the user's language.")


class ValidationErrorSerializer(ErrorSerializer):
    """A 400 ``invalid``: ``fields`` maps each wrong field to its messages."""

    fields = serializers.DictField(
        help_text="Messages per field (nested for nested fields).", required=False
    )


_ERROR_DESCRIPTIONS = {
    400: "`invalid` (see `fields`), `parse_error` (malformed JSON) or a domain refusal",
    401: "`not_authenticated` or `authentication_failed`",
    403: "Not allowed",
    404: "`not_found`",
    405: "`method_not_allowed`",
    409: "Conflict with the current state",
    415: "`unsupported_media_type`: send `application/json`",
    429: "`rate_limited` (too many requests; see `Retry-After`) or `locked_out` "
    "(too many failed logins)",
    503: "`service_unavailable`: the database or the cache is briefly out of reach; retry later",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Schema entries for error statuses, all with the shared ``Error`` body
    (``ValidationError``, which adds ``fields``, for 400).

    ``descriptions`` overrides a status's description: ``s409="`slot_full`, ..."``.
    Every endpoint may answer 503 (the database or the cache out of reach): always listed.
    """
    return {
        status: OpenApiResponse(
            response=ValidationErrorSerializer if status == 400 else ErrorSerializer,
            description=descriptions.get(f"s{status}", _ERROR_DESCRIPTIONS.get(status, "Error")),
        )
        for status in (*statuses, 503)
    }
