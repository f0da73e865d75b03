"""Cursor pagination for every list of the API.

DRF's ``CursorPagination``, made strict: a list answers ``{"next", "previous",
"results"}``, at most ``page_size`` rows (default ``API_PAGE_SIZE``, capped at
``API_MAX_PAGE_SIZE``), one query per page and no count. A malformed
``page_size`` or a cursor that is not one we issued (the position it carries
must be a value of the ordering field) is a 400 ``invalid``, never a 404 nor a
database error: the cursor is client input.

Order by a unique field that never changes (``-pk``) and a walk visits every
row that exists throughout it exactly once, whatever is inserted meanwhile.
"""

from __future__ import annotations

from base64 import b64decode
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response


def _page_size_limits() -> tuple[int, int]:
    return settings.API_PAGE_SIZE, settings.API_MAX_PAGE_SIZE


class CursorPage(pagination.CursorPagination):
    """Construct with the ordering: ``CursorPage(ordering="-pk")``. The first
    field carries the position, so it should be unique (or nearly) and
    unchanging; the others only break ties."""

    page_size_query_param = "page_size"
    invalid_cursor_message = _("This cursor is not valid; start again from the first page.")

    def __init__(self, *, ordering: str | tuple[str, ...] = "-pk") -> None:
        self.ordering = ordering
        self.page_size, self.max_page_size = _page_size_limits()

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
            raise ValidationError(
                {self.page_size_query_param: [_("Give a whole number of at least 1.")]}
            )
        # A number longer than the cap's is over it: never int() of thousands of
        # digits (Python refuses past 4,300, a ValueError).
        if len(raw.lstrip("0")) > len(str(self.max_page_size)):
            return self.max_page_size
        return min(int(raw), self.max_page_size)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        """DRF's cursor format (base64 of ``o=<offset>&r=<0|1>&p=<position>``),
        read strictly: anything else is a 400, not a first page nor a 500."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
            if set(tokens) - {"o", "r", "p"} or any(len(v) != 1 for v in tokens.values()):
                raise ValueError("unknown or repeated key")
            offset = tokens.get("o", ["0"])[0]
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
            if not (offset.isascii() and offset.isdigit()) or int(offset) > self.offset_cutoff:
                raise ValueError("offset")
            if reverse not in ("0", "1"):
                raise ValueError("direction")
            if position is not None:
                self._check_position(position)
        except (ModelValidationError, TypeError, ValueError, OverflowError):
            raise self._invalid_cursor() from None
        return pagination.Cursor(offset=int(offset), reverse=reverse == "1", position=position)

    def _check_position(self, position: str) -> None:
        """The position is filtered on: it must be a value of the ordering field."""
        if "\x00" in position:  # PostgreSQL text cannot hold it
            raise ValueError("NUL")
        name = self.ordering[0].lstrip("-")
        meta = self._model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        field.run_validators(field.to_python(position))

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})


def paginated_response(
    request: Request,
    queryset: QuerySet,
    serializer_class: type[serializers.BaseSerializer],
    *,
    ordering: str | tuple[str, ...] = "-pk",
    context: dict[str, Any] | None = None,
) -> Response:
    """One page of ``queryset`` (ordered by ``ordering``), serialised."""
    paginator = CursorPage(ordering=ordering)
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(
        serializer_class(page, many=True, context=context or {}).data
    )


# --- Schema ------------------------------------------------------------------------


def pagination_parameters() -> list[OpenApiParameter]:
    default, most = _page_size_limits()
    return [
        OpenApiParameter(
            "cursor",
            OpenApiTypes.STR,
            description="Where the page starts: the `cursor` of a `next` or `previous` "
            "link. Omit it for the first page.",
        ),
        OpenApiParameter(
            "page_size",
            # Minimum only: a larger value than the cap is taken as the cap, not refused.
            {"type": "integer", "minimum": 1},
            description=f"Rows per page: {default} by default, at most {most} "
            "(a larger value gives the largest page).",
        ),
    ]


@cache
def page_of(serializer_class: type[serializers.BaseSerializer]) -> type[serializers.Serializer]:
    """The schema of a page of ``serializer_class`` rows (one component per row type)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}List",
        (serializers.Serializer,),
        {
            "__doc__": f"A page of {name} rows; follow `next` for the rest.",
            "next": serializers.URLField(
                allow_null=True, help_text="The next page, or null on the last one."
            ),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page, or null on the first one."
            ),
            "results": serializer_class(many=True),
        },
    )
