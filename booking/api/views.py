"""The booking API. Views check input, pick the person, call a service or a
selector, and render; domain errors are translated once in ``core.api``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.authentication import token_lookup_joined, token_prefetched
from accounts.models import Role
from booking import availability_cache, errors, selectors, services, statements
from booking.api import soldout
from booking.api.serializers import (
    MAX_ID,
    AppointmentFilterSerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
    AvailableSlotSerializer,
    ProcedureSerializer,
    PublicationResultSerializer,
    PublicationSerializer,
    SiteSerializer,
    SlotChoiceSerializer,
)
from booking.models import Applicant, Appointment, Channel, Procedure, Site, reference_parse
from booking.statements import SlotRead
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


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


_BOOKING_409 = (
    "`slot_full`, `already_booked`, `slot_in_past`, `booking_closed`, "
    "`document_not_accepted`, `procedure_unavailable`, `identity_missing`, `identity_changed`"
)
_BOOKING_403 = "`account_not_verified`, `procedure_not_self_bookable`, `applicants_only`"
# A slot the caller may not see (not yet visible, beyond the horizon, reserved
# for others, of another procedure) answers exactly as a missing one.
_BOOKING_404 = "`slot_not_found`"
_LIST_400 = "`invalid`: a malformed `cursor` or `page_size`"


# --- Permissions -------------------------------------------------------------------


class ApplicantWrites(permissions.BasePermission):
    """Reads for every authenticated role; booking, cancelling and rescheduling
    through the API are for applicants acting for themselves. Staff acting for
    someone else (consent, audit) is not part of the API yet."""

    message = _("Through the API, only applicants book, cancel or reschedule, for themselves.")
    code = "applicants_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in permissions.SAFE_METHODS or request.user.role == Role.APPLICANT


class Publisher(permissions.BasePermission):
    """Agents and supervisors; whether the site is theirs is the service's call."""

    message = _("Only prefecture agents publish capacity.")
    code = "agents_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role in (Role.AGENT, Role.SUPERVISOR)


# --- Helpers -----------------------------------------------------------------------


def _own_applicant(request: Request) -> Applicant:
    try:
        return request.user.applicant
    except Applicant.DoesNotExist:
        raise errors.IdentityMissing() from None


def _slot_choice(data) -> int:
    """The slot id of a ``{"slot": <id>}`` body.

    A well-formed body (an integer id in range) skips the serializer, which
    deep-copies its fields each time it is made: every request of a storm has
    one. Anything else gets the serializer's validation and its exact errors.
    """
    value = data.get("slot") if isinstance(data, dict) else None
    if type(value) is int and 1 <= value <= MAX_ID:  # not a bool, not a string
        return value
    choice = SlotChoiceSerializer(data=data)
    choice.is_valid(raise_exception=True)
    return choice.validated_data["slot"]


def _token_and_slot_read(request: HttpRequest) -> tuple[int, SlotRead | None] | None:
    """Read the token of ``Authorization: Token <key>`` and the slot of a small
    ``{"slot": <id>}`` JSON body in one statement; hand the token to DRF's
    authentication (``token_prefetched``) and return the slot's id and read.
    ``None`` (nothing read) for anything else: DRF and ``post`` then read and
    answer as usual, errors included."""
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(words) != 2 or words[0].lower() != "token" or request.content_type != "application/json":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= 256:
        return None
    try:
        data = json.loads(request.body)
    except ValueError:  # not JSON, not UTF-8: the parser says so later
        return None
    slot_id = data.get("slot") if isinstance(data, dict) else None
    if type(slot_id) is not int or not 1 <= slot_id <= MAX_ID or soldout.is_sold_out(slot_id):
        return None
    found, columns = token_lookup_joined(words[1], statements.slot_joined(), (slot_id,))
    token_prefetched(request, words[1], found)
    return slot_id, statements.slot_read_of(columns)


def _visible_appointment(request: Request, reference: str) -> Appointment:
    """The appointment if ``request.user`` may see it. Someone else's is a 404,
    never a 403: a reference must not be confirmed to exist."""
    parsed = reference_parse(reference)
    appointment = (
        selectors.appointments_for(request.user)
        .select_related("applicant")
        .filter(reference=parsed)
        .first()
        if parsed is not None
        else None
    )
    if appointment is None:
        raise errors.AppointmentNotFound()
    return appointment


def _local_midnight(day: date) -> datetime | None:
    """The start of ``day`` in the current time zone; ``None`` at the ends of
    the calendar, where the instant cannot be represented (no bound, then)."""
    try:
        return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone()).astimezone(
            UTC
        )
    except OverflowError:
        return None


def _filtered(appointments: QuerySet[Appointment], filters: dict) -> QuerySet[Appointment]:
    """``appointments`` narrowed by the validated ``AppointmentFilterSerializer``."""
    if (day := filters.get("date_from")) is not None and (
        start := _local_midnight(day)
    ) is not None:
        appointments = appointments.filter(slot__starts_at__gte=start)
    if (day := filters.get("date_to")) is not None and day < date.max:
        end = _local_midnight(day + timedelta(days=1))
        if end is not None:
            appointments = appointments.filter(slot__starts_at__lt=end)
    if "site" in filters:
        appointments = appointments.filter(slot__site__slug=filters["site"])
    if "procedure" in filters:
        appointments = appointments.filter(procedure__slug=filters["procedure"])
    if "status" in filters:
        appointments = appointments.filter(status=filters["status"])
    return appointments


def _rendered(request: Request, appointment: Appointment) -> dict:
    # Re-read through the selector: the service's instance lacks some joins.
    fresh = selectors.appointments_for(request.user).get(pk=appointment.pk)
    return AppointmentSerializer(fresh).data


def _rendered_booking(appointment: Appointment) -> dict:
    """The new appointment as the service returned it, without reading it again.

    The service read the slot with its site and procedure to check the booking;
    reusing them saves the hottest write path a query. Anything not loaded is
    fetched lazily, so this stays right if the service changes.
    """
    if not Appointment.procedure.is_cached(appointment):
        appointment.procedure = appointment.slot.procedure
    return _BOOKING_RENDERER.to_representation(appointment)


# One instance, its fields bound once: a serializer deep-copies its declared
# fields each time it is made, a fifth of the view's own time on a booking.
# ``to_representation`` keeps no state, so sharing it is safe.
_BOOKING_RENDERER = AppointmentSerializer()


# --- Reference data ----------------------------------------------------------------


class SiteListView(APIView):
    @extend_schema(
        operation_id="sites_list",
        parameters=pagination_parameters(),
        responses={200: page_of(SiteSerializer), **error_responses(400, 401, s400=_LIST_400)},
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        sites = Site.objects.filter(is_active=True)
        return paginated_response(request, sites, SiteSerializer, ordering=("name", "pk"))


class ProcedureListView(APIView):
    @extend_schema(
        operation_id="procedures_list",
        parameters=pagination_parameters(),
        responses={
            200: page_of(ProcedureSerializer),
            **error_responses(400, 401, s400=_LIST_400),
        },
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        procedures = Procedure.objects.filter(is_active=True)
        return paginated_response(request, procedures, ProcedureSerializer, ordering=("name", "pk"))


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
                "pk", "site__slug", "starts_at", "ends_at", "capacity", "booked", "published_at"
            )
        )
        rows = [row for row in fetched if row[6] <= now]
        body = _availability_json(rows, procedure.slug, timezone.get_current_timezone())
        # What changes it with no write: a slot becomes visible, the first one
        # passes the cut-off, the horizon reaches the next one.
        moments = [row[6] for row in fetched if row[6] > now]
        if rows:
            moments.append(rows[0][2] - timedelta(hours=procedure.cutoff_hours))
        if (longest := availability_cache.long_lifetime()) > 0:
            entry = selectors.availability_next_entry(
                procedure=procedure,
                site_ids=site_ids,
                date_to=date_to,
                pools=pools,
                now=now,
                within=timedelta(seconds=longest),
            )
            if entry is not None:
                moments.append(entry)
        return body, min(moments).timestamp() if moments else None


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
    for pk, site_slug, starts_at, ends_at, capacity, booked, *_more in rows:
        site = sites.get(site_slug)
        if site is None:
            site = sites[site_slug] = _json_string(site_slug)
        # The times are ISO 8601 (digits, "-", ":", "T", "+", "Z"): nothing to escape.
        parts.append(
            f'{{"slot":{int(pk)},"site":{site},"procedure":{procedure},'
            f'"starts_at":"{iso(starts_at)}","ends_at":"{iso(ends_at)}",'
            f'"remaining":{int(capacity - booked)}}}'
        )
    return f"[{','.join(parts)}]".encode()


# --- Appointments ------------------------------------------------------------------


class AppointmentListView(APIView):
    permission_classes = [permissions.IsAuthenticated, ApplicantWrites]
    throttle_scope = "booking"

    def perform_authentication(self, request: Request) -> None:
        """For a booking by token, the token and the slot asked for are read in
        one statement (unless this process knows the slot full): DRF then
        authenticates from that read and ``post`` takes its slot, one round
        trip fewer on every booking of a storm."""
        if request.method == "POST":
            self._slot_prefetched = _token_and_slot_read(request._request)
        super().perform_authentication(request)

    @extend_schema(
        operation_id="appointments_list",
        description="The appointments the caller may see (applicants: their own; "
        "mediators: those they booked; agents: those at their sites; supervisors: all), "
        "most recently booked first, a page at a time.",
        parameters=[AppointmentFilterSerializer, *pagination_parameters()],
        responses={
            200: page_of(AppointmentSerializer),
            **error_responses(
                400, 401, s400="`invalid`: a malformed filter, `cursor` or `page_size`"
            ),
        },
        tags=["booking"],
    )
    def get(self, request: Request) -> Response:
        query = AppointmentFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        appointments = _filtered(selectors.appointments_for(request.user), query.validated_data)
        # By id, not by start: unique and unchanging, so a walk through the
        # pages meets each appointment once even while some are rescheduled.
        return paginated_response(request, appointments, AppointmentSerializer, ordering="-pk")

    @extend_schema(
        operation_id="appointments_create",
        request=SlotChoiceSerializer,
        responses={
            201: AppointmentSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s403=_BOOKING_403,
                s404=_BOOKING_404,
                s409=_BOOKING_409,
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request) -> Response:
        slot_id = _slot_choice(request.data)
        applicant = _own_applicant(request)
        prefetched = getattr(self, "_slot_prefetched", None)
        if soldout.is_sold_out(slot_id):
            read = None
        elif prefetched is not None and prefetched[0] == slot_id:
            read = prefetched[1]
        else:
            read = services.slot_for_booking(slot_id)
        if soldout.is_full(slot_id, read, pools=selectors.pools_for(request.user)):
            raise errors.SlotFull()
        slot = None if read is None else read.slot()
        try:
            appointment = services.appointment_book(
                actor=request.user,
                applicant=applicant,
                slot_id=slot_id,
                channel=Channel.API,
                slot=slot,
            )
        except errors.SlotFull:
            soldout.remember(slot_id)
            raise
        return Response(_rendered_booking(appointment), status=status.HTTP_201_CREATED)


class AppointmentDetailView(APIView):
    @extend_schema(
        operation_id="appointments_retrieve",
        responses={
            200: AppointmentSerializer,
            **error_responses(401, 404, s404="`appointment_not_found`"),
        },
        tags=["booking"],
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(AppointmentSerializer(_visible_appointment(request, reference)).data)


class AppointmentCancelView(APIView):
    permission_classes = [permissions.IsAuthenticated, ApplicantWrites]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="appointments_cancel",
        request=None,
        responses={
            200: AppointmentSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403="`applicants_only`",
                s404="`appointment_not_found`",
                s409="`appointment_not_active`, `appointment_past`",
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request, reference: str) -> Response:
        appointment = services.appointment_cancel(
            actor=request.user, appointment=_visible_appointment(request, reference)
        )
        soldout.forget(appointment.slot_id)
        return Response(_rendered(request, appointment))


class AppointmentRescheduleView(APIView):
    permission_classes = [permissions.IsAuthenticated, ApplicantWrites]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="appointments_reschedule",
        request=SlotChoiceSerializer,
        responses={
            200: AppointmentSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                429,
                s403=_BOOKING_403,
                s404="`appointment_not_found`, " + _BOOKING_404,
                s409="`appointment_not_active`, `appointment_past`, `same_slot`, " + _BOOKING_409,
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request, reference: str) -> Response:
        appointment = _visible_appointment(request, reference)
        new_slot_id = _slot_choice(request.data)
        old_slot_id = appointment.slot_id
        moved = services.appointment_reschedule(
            actor=request.user, appointment=appointment, new_slot_id=new_slot_id
        )
        soldout.forget(old_slot_id)
        return Response(_rendered(request, moved))


# --- Agents ------------------------------------------------------------------------


class PublicationCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]

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
        payload = {
            "publication": result.publication.pk,
            "created": result.created,
            "skipped": result.skipped,
            "visible_at": result.publication.visible_at,
        }
        return Response(PublicationResultSerializer(payload).data, status=status.HTTP_201_CREATED)
