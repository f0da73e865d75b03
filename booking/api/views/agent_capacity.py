"""Agents: the preview of a publication, the calendar of capacity per day and
pool, a slot's capacity changed, counters moved between pools.

Same authentication and permission as ``agent/publications/`` (agents and
supervisors; 403 ``agents_only`` for anyone else). A site that is not the
caller's, and its slots, answer 404 exactly like ones that do not exist.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import errors, services
from booking.api.serializers import PublicationSerializer
from booking.api.views.common import PUBLICATION_ERRORS, Publisher
from booking.capacity import MAX_CALENDAR_DAYS, capacity_by_day
from booking.models import Pool, Procedure, Site, Slot
from booking.permissions import managed_sites
from booking.services.capacity import MAX_CAPACITY, PublicationPreview
from core.api import QuerySerializer, error_responses

AGENT_403 = "`agents_only`"
SITE_404 = "`site_not_found`: not one of your sites, or no such site"


def managed_site(user, slug: str) -> Site:
    """The active site ``slug`` if ``user`` works there; else 404 ``site_not_found``."""
    site = Site.objects.filter(managed_sites(user), slug=slug, is_active=True).first()
    if site is None:
        raise errors.SiteNotFound()
    return site


# --- Serializers ----------------------------------------------------------------------


class PoolCountSerializer(serializers.Serializer):
    slots = serializers.IntegerField()
    seats = serializers.IntegerField()


class PreviewDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    slots = serializers.IntegerField()
    seats = serializers.IntegerField()
    pools = serializers.DictField(child=PoolCountSerializer(), help_text="Per pool.")
    clashes = serializers.IntegerField(help_text="Times that already have slots: left alone.")
    overlaps = serializers.IntegerField(
        help_text="New times overlapping slots that start at another time: created anyway."
    )


class TimesSerializer(serializers.Serializer):
    times = serializers.IntegerField()
    days = serializers.ListField(child=serializers.DateField())


class VisibilitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["now", "at", "random"])
    visible_at = serializers.DateTimeField(allow_null=True)
    visible_window = serializers.ListField(child=serializers.DateTimeField(), allow_null=True)


class PreviewSerializer(serializers.Serializer):
    times = serializers.IntegerField(help_text="Times to come in the range.")
    slots = serializers.IntegerField(help_text="Slots that would be created.")
    seats = serializers.IntegerField(help_text="Seats that would be created.")
    pools = serializers.DictField(child=PoolCountSerializer())
    days = PreviewDaySerializer(many=True)
    clashes = TimesSerializer()
    overlaps = TimesSerializer()
    visibility = VisibilitySerializer()


def preview_json(preview: PublicationPreview) -> dict:
    plan = preview.plan
    if plan.random_window:
        kind, at, window = "random", None, [plan.visible_at, plan.visible_until]
    elif plan.visible_at is not None:
        kind, at, window = "at", plan.visible_at, None
    else:
        kind, at, window = "now", None, None
    return {
        "times": preview.times,
        "slots": preview.slots,
        "seats": preview.seats,
        "pools": {
            pool: {"slots": slots, "seats": seats}
            for pool, (slots, seats) in preview.pool_totals().items()
        },
        "days": [
            {
                "date": day.day,
                "slots": day.slots,
                "seats": day.seats,
                "pools": {pool: {"slots": n, "seats": s} for pool, (n, s) in day.pools.items()},
                "clashes": day.clashes,
                "overlaps": day.overlaps,
            }
            for day in preview.days
        ],
        "clashes": {"times": preview.clashes, "days": preview.clash_days},
        "overlaps": {"times": preview.overlaps, "days": preview.overlap_days},
        "visibility": {"kind": kind, "visible_at": at, "visible_window": window},
    }


class CalendarQuerySerializer(QuerySerializer):
    site = serializers.SlugField(max_length=50)
    procedure = serializers.SlugField(max_length=50)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"to": _("The end date is before the start date.")})
        if (attrs["date_to"] - attrs["date_from"]).days >= MAX_CALENDAR_DAYS:
            raise serializers.ValidationError(
                {"to": _("Ask for at most %(days)d days at a time.") % {"days": MAX_CALENDAR_DAYS}}
            )
        return attrs


class PoolFiguresSerializer(serializers.Serializer):
    capacity = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    pools = serializers.DictField(child=PoolFiguresSerializer(), help_text="Every pool.")
    total = PoolFiguresSerializer()


class CalendarSerializer(serializers.Serializer):
    site = serializers.SlugField()
    procedure = serializers.SlugField()
    days = CalendarDaySerializer(many=True)


class CapacityChangeSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(min_value=0, max_value=MAX_CAPACITY)


class AgentSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.SlugField()
    procedure = serializers.SlugField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    pool = serializers.ChoiceField(choices=Pool.choices)
    capacity = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class CountersMoveSerializer(serializers.Serializer):
    site = serializers.SlugField(max_length=50)
    procedure = serializers.SlugField(max_length=50)
    starts_at = serializers.DateTimeField(help_text="The time whose counters move.")
    from_pool = serializers.ChoiceField(choices=Pool.choices)
    to_pool = serializers.ChoiceField(choices=Pool.choices)
    count = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)


class CountersMovedSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    created = serializers.BooleanField(help_text="Whether the destination's slot was created.")
    source = AgentSlotSerializer()
    destination = AgentSlotSerializer()


def slot_json(slot: Slot, site: Site, procedure: Procedure) -> dict:
    return {
        "id": slot.pk,
        "site": site.slug,
        "procedure": procedure.slug,
        "starts_at": timezone.localtime(slot.starts_at),
        "ends_at": timezone.localtime(slot.ends_at),
        "pool": slot.pool,
        "capacity": slot.capacity,
        "booked": slot.booked,
        "held": slot.held,
        "free": slot.remaining,
    }


# --- Views ---------------------------------------------------------------------------------


class PublicationPreviewView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "capacity"

    @extend_schema(
        operation_id="agent_publications_preview",
        request=PublicationSerializer,
        responses={
            200: PreviewSerializer,
            **PUBLICATION_ERRORS,
        },
        tags=["agent"],
        description="What `POST agent/publications/` would create with the same body, "
        "per day and pool, and the clashes with existing capacity. Writes nothing.",
    )
    def post(self, request: Request) -> Response:
        body = PublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preview = services.publication_preview(actor=request.user, **body.service_arguments())
        return Response(PreviewSerializer(preview_json(preview)).data)


class CalendarView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]

    @extend_schema(
        operation_id="agent_calendar",
        parameters=[
            OpenApiParameter("site", OpenApiTypes.STR, required=True, description="A site slug."),
            OpenApiParameter(
                "procedure", OpenApiTypes.STR, required=True, description="A procedure slug."
            ),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day."),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                required=True,
                description=f"Last day (included); at most {MAX_CALENDAR_DAYS} days.",
            ),
        ],
        responses={
            200: CalendarSerializer,
            **error_responses(
                400, 401, 403, 404, s403=AGENT_403, s404=f"{SITE_404}; `procedure_not_found`"
            ),
        },
        tags=["agent"],
        description="Capacity, booked and free per local day and pool (hidden slots included).",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        query = CalendarQuerySerializer(
            data={
                "site": params.get("site"),
                "procedure": params.get("procedure"),
                "date_from": params.get("from"),
                "date_to": params.get("to"),
            }
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        site = managed_site(request.user, data["site"])
        procedure = Procedure.objects.filter(slug=data["procedure"]).first()
        if procedure is None:
            raise errors.ProcedureNotFound()
        days = capacity_by_day(
            site=site, procedure=procedure, date_from=data["date_from"], date_to=data["date_to"]
        )
        payload = {
            "site": site.slug,
            "procedure": procedure.slug,
            "days": [
                {
                    "date": day.day,
                    "pools": {
                        pool: {"capacity": f.capacity, "booked": f.booked, "free": f.free}
                        for pool, f in day.rows
                    },
                    "total": {
                        "capacity": day.total.capacity,
                        "booked": day.total.booked,
                        "free": day.total.free,
                    },
                }
                for day in days
            ],
        }
        return Response(CalendarSerializer(payload).data)


class SlotCapacityView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "capacity"

    @extend_schema(
        operation_id="agent_slot_capacity",
        request=CapacityChangeSerializer,
        responses={
            200: AgentSlotSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                s403=AGENT_403,
                s404="`slot_not_found`: not at one of your sites, or no such slot",
                s409="`capacity_below_booked`, `slot_in_past`",
            ),
        },
        tags=["agent"],
        description="Set a slot's capacity; never below what is booked.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        body = CapacityChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        slot = services.slot_capacity_change(
            actor=request.user, slot=pk, capacity=body.validated_data["capacity"]
        )
        return Response(AgentSlotSerializer(slot_json(slot, slot.site, slot.procedure)).data)


class SlotCountersMoveView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    throttle_scope = "capacity"

    @extend_schema(
        operation_id="agent_slots_move",
        request=CountersMoveSerializer,
        responses={
            200: CountersMovedSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                s400="`invalid`, `invalid_capacity_change` (the same pool twice)",
                s403=AGENT_403,
                s404=f"{SITE_404}; `slot_not_found` (no slot of `from_pool` at that time)",
                s409="`not_enough_free_counters`, `slot_in_past`",
            ),
        },
        tags=["agent"],
        description="Move free counters of one time from one pool to another "
        "(the destination's slot created if missing). Booked seats never move.",
    )
    def post(self, request: Request) -> Response:
        body = CountersMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        site = managed_site(request.user, data["site"])
        procedure = Procedure.objects.filter(slug=data["procedure"]).first()
        if procedure is None:
            raise errors.SlotNotFound()
        moved = services.slot_counters_move(
            actor=request.user,
            site=site,
            procedure=procedure,
            starts_at=data["starts_at"],
            from_pool=data["from_pool"],
            to_pool=data["to_pool"],
            count=data["count"],
        )
        payload = {
            "count": moved.count,
            "created": moved.created,
            "source": slot_json(moved.source, site, procedure),
            "destination": slot_json(moved.destination, site, procedure),
        }
        return Response(CountersMovedSerializer(payload).data)
