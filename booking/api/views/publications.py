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
from booking.api.views.common import PUBLICATION_ERRORS, Publisher
from booking.capacity import publication_visibility

# --- Agents ------------------------------------------------------------------------


class PublicationCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "capacity"

    @extend_schema(
        operation_id="agent_publications_create",
        request=PublicationSerializer,
        responses={
            201: PublicationResultSerializer,
            **PUBLICATION_ERRORS,
        },
        tags=["agent"],
    )
    def post(self, request: Request) -> Response:
        body = PublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.slots_publish(actor=request.user, **body.service_arguments())
        shown = publication_visibility(result.publication, now=timezone.now())
        payload = {
            "publication": result.publication.pk,
            "created": result.created,
            "skipped": result.skipped,
            "visible_at": shown.at,
            "visible_window": list(shown.window) if shown.window else None,
        }
        return Response(PublicationResultSerializer(payload).data, status=status.HTTP_201_CREATED)
