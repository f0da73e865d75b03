"""``GET /api/v1/transparency/``: the public transparency figures as JSON, the
same as the page's (``allocation.transparency``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation import transparency
from allocation.rules import order_rule_text
from booking.models import AllocationMode
from core import ratelimit
from core.api import error_responses
from core.client import client_address

# --- The answer's shape (for the OpenAPI schema) --------------------------------------


class _NamedSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class TransparencyRowSerializer(serializers.Serializer):
    procedure = _NamedSerializer()
    site = _NamedSerializer()
    mode = serializers.ChoiceField(
        choices=AllocationMode.choices,
        help_text="`open`: first come, first served; `queue`: given out by the waiting list.",
    )
    waiting = serializers.IntegerField(
        help_text="Waiting-list entries in force (waiting or paused) that list this site."
    )
    seats_by_week = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Appointments made during each week of `weeks` for a time at this site, "
        "by any route, not counting those cancelled since.",
    )
    seats_per_week = serializers.FloatField(help_text="The average of `seats_by_week`.")
    median_wait_days = serializers.FloatField(
        allow_null=True,
        help_text="Median wait in days since `since` (null: nothing measured); see "
        "`median_wait_measure`.",
    )
    median_wait_measure = serializers.ChoiceField(
        choices=["joined_to_offer_accepted", "first_failed_search_to_booking"],
        help_text="`queue`: from joining the list to accepting the offer; `open`: from the "
        "person's first search that found nothing to the booking.",
    )
    next_publication = serializers.DateField(
        allow_null=True,
        help_text="The day of the next publication of capacity, if one is scheduled (a "
        "random window: its first day). Never a time.",
    )
    refused_as_abuse = serializers.IntegerField(
        help_text="Appointments since `since` refused at the counter (identity document "
        "not matching, never let in) or cancelled by a suspension for abuse."
    )


class TransparencySerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(help_text="When the figures were computed.")
    weeks = serializers.ListField(
        child=serializers.DateField(),
        help_text="The Monday of each complete week measured, oldest first.",
    )
    since = serializers.DateField(help_text="The first day measured.")
    order_rule = serializers.CharField(help_text="The rule that orders the waiting list.")
    rows = TransparencyRowSerializer(many=True)


# --- The view ----------------------------------------------------------------------------


class TransparencyView(APIView):
    """Public: no credentials, none looked at (a token or a session is ignored)."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)

    @extend_schema(
        operation_id="transparency_retrieve",
        responses={
            200: TransparencySerializer,
            **error_responses(429, s429="`rate_limited`: per client address"),
        },
        tags=["transparency"],
        auth=[],
        description=(
            "The public transparency figures, per active procedure and site: how the "
            "capacity is given out, the people waiting, the appointments given per week "
            "over the last complete weeks, the median wait, the day of the next "
            "publication, the bookings refused as abuse, and the rule that orders the "
            "waiting list (in the language asked). The same figures as the page "
            "`/transparency/`, computed at most once a minute."
        ),
    )
    def get(self, request: Request) -> Response:
        ratelimit.hit("transparency", ip=client_address(request))
        body = transparency.figures().as_json()
        body["order_rule"] = order_rule_text()
        return Response(body)
