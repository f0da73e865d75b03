"""Availability, the hottest read: rendered directly to JSON and kept in
``booking.availability_cache`` until it changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.models import Role
from booking import availability_cache, rules, selectors, signals
from booking.api.serializers import (
    AvailabilityQuerySerializer,
    AvailableSlotSerializer,
)
from booking.models import Pool, Procedure
from core.api import error_responses


def _local_iso(tz: tzinfo) -> Callable[[datetime], str]:
    """What ``serializers.DateTimeField().to_representation`` gives (local time
    with its offset), without looking up the current time zone for every value:
    availability renders thousands of them per answer. Each instant is
    formatted once per answer: the sites share their opening times and a
    slot's end is often the next one's start (the conversion to local time and
    the formatting were more than half of an uncached answer's CPU)."""
    done: dict[datetime, str] = {}

    def iso(value: datetime) -> str:
        text = done.get(value)
        if text is None:
            text = value.astimezone(tz).isoformat()
            if text.endswith("+00:00"):
                text = text[:-6] + "Z"
            done[value] = text
        return text

    return iso


# --- Availability ------------------------------------------------------------------


class AvailabilityView(APIView):
    throttle_scope = "availability"

    @extend_schema(
        operation_id="availability_list",
        parameters=[
            OpenApiParameter(
                "procedure", OpenApiTypes.STR, required=True, description="Procedure slug."
            ),
            OpenApiParameter(
                "site",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description="Site slug; repeat for several sites "
                "(`site=a&site=b`). Default: every site.",
            ),
            OpenApiParameter(
                "pool",
                OpenApiTypes.STR,
                enum=["priority"],
                description="`priority`: the procedure's times reserved for priority "
                "cases instead, for a person holding a valid priority right for it "
                "(a closure cancelled their appointment) and for agents; anyone "
                "else gets an empty list. Default: the caller's usual pools.",
            ),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="First local day."),
            OpenApiParameter(
                "date_to",
                OpenApiTypes.DATE,
                description="Last local day (at most 92 days after date_from).",
            ),
        ],
        responses={
            200: AvailableSlotSerializer(many=True),
            **error_responses(400, 401, 429, s400="`invalid`: unknown slug, bad date or range"),
        },
        tags=["booking"],
    )
    def get(self, request: Request) -> HttpResponse:
        priority = request.query_params.get("pool") == Pool.PRIORITY
        if priority:  # asked for: the right is looked up only then (one query)
            pools = selectors.priority_pool_for(request.user, request.query_params.get("procedure"))
        else:
            pools = selectors.pools_for(request.user)
        # The parameters as sent are the key: a hit skips validation and queries.
        # Only the known ones, so that junk parameters cannot flood the cache.
        params = request.query_params
        key = (
            params.get("procedure"),
            tuple(sorted(params.getlist("site"))),
            params.get("date_from"),
            params.get("date_to"),
            tuple(sorted(pools)),
        )
        found = availability_cache.lookup(key, params.get("procedure"))
        body = found.body
        if body is None:
            body, changes_at = self._body(request, pools)
            availability_cache.store(key, found, body, changes_at=changes_at)
        if (
            body == b"[]"
            and not priority
            and request.user.is_authenticated
            and request.user.role == Role.APPLICANT
        ):
            # Nothing found, by a person: the record of attempts (an answer with
            # slots sends nothing and costs nothing more).
            signals.availability_found_nothing.send(
                sender=Procedure,
                user=request.user,
                procedure=key[0],
                sites=key[1],
                now=timezone.now(),
            )
        return HttpResponse(body, content_type="application/json")

    @staticmethod
    def _body(request: Request, pools) -> tuple[bytes, float | None]:
        """The answer, and when it changes by itself (a timestamp, or ``None``
        if not within the cache's long lifetime): see ``booking.availability_cache``."""
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        procedure: Procedure = query.validated_data["procedure"]
        sites = query.validated_data.get("site")
        site_ids = [site.pk for site in sites] if sites else None
        date_to = query.validated_data.get("date_to")
        now = timezone.now()
        slots = selectors.availability(
            procedure=procedure,
            site_ids=site_ids,
            date_from=query.validated_data.get("date_from"),
            date_to=date_to,
            pools=pools,
            now=now,
            include_unpublished=True,
        )
        # Plain tuples, no model instances: this is the hottest read.
        fetched = list(
            slots.values_list(
                "pk",
                "site__slug",
                "starts_at",
                "ends_at",
                "capacity",
                "booked",
                "held",
                "published_at",
            )
        )
        rows = [row for row in fetched if row[7] <= now]
        body = _availability_json(rows, procedure.slug, timezone.get_current_timezone())
        entry = None
        if (longest := availability_cache.long_lifetime()) > 0:
            entry = selectors.availability_next_entry(
                procedure=procedure,
                site_ids=site_ids,
                date_to=date_to,
                pools=pools,
                now=now,
                within=timedelta(seconds=longest),
            )
        # What changes it with no write: a slot becomes visible, the first one
        # passes the cut-off, the horizon reaches the next one.
        changes_at = rules.availability_changes_at(
            procedure=procedure,
            first_start=rows[0][2] if rows else None,
            becomes_visible=[row[7] for row in fetched if row[7] > now],
            horizon_entry=entry,
        )
        return body, None if changes_at is None else changes_at.timestamp()


def _json_string(text: str) -> str:
    """``text`` as DRF's ``JSONRenderer`` writes a string."""
    written = json.dumps(text, ensure_ascii=not api_settings.UNICODE_JSON)
    return written.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _availability_json(rows, procedure_slug: str, tz: tzinfo) -> bytes:
    """``[{"slot", "site", "procedure", "starts_at", "ends_at", "remaining"}, ...]``
    (``AvailableSlotSerializer``) of rows that begin with those columns, byte
    for byte what ``JSONRenderer`` makes of those dicts, written directly: an
    uncached 60-day answer has thousands of rows, and building then encoding
    the dicts took half of its CPU."""
    iso = _local_iso(tz)
    procedure = _json_string(procedure_slug)
    sites: dict[str, str] = {}
    parts = []
    for pk, site_slug, starts_at, ends_at, capacity, booked, held, *_more in rows:
        site = sites.get(site_slug)
        if site is None:
            site = sites[site_slug] = _json_string(site_slug)
        # The times are ISO 8601 (digits, "-", ":", "T", "+", "Z"): nothing to escape.
        parts.append(
            f'{{"slot":{int(pk)},"site":{site},"procedure":{procedure},'
            f'"starts_at":"{iso(starts_at)}","ends_at":"{iso(ends_at)}",'
            f'"remaining":{int(capacity - booked - held)}}}'
        )
    return f"[{','.join(parts)}]".encode()
