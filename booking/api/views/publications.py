"""Agents: putting capacity online."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import services
from booking.api.serializers import (
    PublicationResultSerializer,
    PublicationSerializer,
)
from booking.api.views.common import (
    Publisher,
)
from booking.capacity import publication_visibility
from core.api import error_responses

# --- Agents ------------------------------------------------------------------------


class PublicationCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "capacity"

    @extend_schema(
        operation_id="agent_publications_create",
        request=PublicationSerializer,
        responses={
            201: PublicationResultSerializer,
            **error_responses(
                400,
                401,
                403,
                415,
                s400="`invalid` (malformed field, unknown slug) or `invalid_publication`",
                s403="`agents_only`, or `not_allowed` (not one of your sites)",
            ),
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = PublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.slots_publish(
            actor=request.user,
            site=data["site"],
            procedure=data["procedure"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            weekdays=data["weekdays"],
            opening_ranges=[
                services.OpeningRange(start=r["start"], end=r["end"])
                for r in data["opening_ranges"]
            ],
            counters=data["counters"],
            slot_minutes=data.get("slot_minutes"),
            mediation_counters=data["mediation_counters"],
            priority_counters=data["priority_counters"],
            visible_at=data.get("visible_at"),
            visible_until=data.get("visible_until"),
        )
        shown = publication_visibility(result.publication, now=timezone.now())
        payload = {
            "publication": result.publication.pk,
            "created": result.created,
            "skipped": result.skipped,
            "visible_at": shown.at,
            "visible_window": list(shown.window) if shown.window else None,
        }
        return Response(PublicationResultSerializer(payload).data, status=status.HTTP_201_CREATED)
