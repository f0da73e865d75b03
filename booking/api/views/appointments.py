"""Appointments: list, book, see, cancel and reschedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from booking import selectors, services
from booking.api import hotpath, soldout
from booking.api.serializers import (
    AppointmentFilterSerializer,
    AppointmentSerializer,
    BookingRequestSerializer,
    SlotChoiceSerializer,
)
from booking.api.views.common import (
    BOOKING_403,
    BOOKING_404,
    BOOKING_409,
    BOOKING_CAP_409,
    BOOKING_PERSON_404,
    person_for_booking,
    rendered,
    slot_choice,
    visible_appointment,
)
from booking.models import Appointment
from core.antibot import antibot_require
from core.api import error_responses
from core.pagination import page_of, paginated_response, pagination_parameters


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


# --- Appointments ------------------------------------------------------------------


class AppointmentListView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    def perform_authentication(self, request: Request) -> None:
        """For a booking by token, the token and the slot asked for are read in
        one statement (unless this process knows the slot full): DRF then
        authenticates from that read and ``post`` takes its slot, one round
        trip fewer on every booking of a storm."""
        if request.method == "POST":
            self._slot_prefetched = hotpath.prefetch(request._request)
        super().perform_authentication(request)

    @extend_schema(
        operation_id="appointments_list",
        description="The appointments the caller may see (applicants: their own; "
        "mediators: those of their access point's people; agents: those at their sites; "
        "supervisors: all), most recently booked first, a page at a time.",
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
        description='Book a slot. An applicant books for themselves (`{"slot": id}`). '
        'Staff book for a person they may act for (`{"slot": id, "applicant": id}`): '
        "a mediator for a person of their access point who consented to it (the daily caps "
        "of the mediator and of the point apply), an agent at their sites, a supervisor "
        "anywhere. A person the caller may not name answers as a missing one. "
        "An applicant sends the solution of a proof-of-work challenge in the `Altcha` "
        "header (`GET /api/v1/challenge/`; 400 `proof_of_work_required` or "
        "`proof_of_work_invalid` without a valid one); staff do not.",
        request=BookingRequestSerializer,
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
                s403=BOOKING_403,
                s404=f"{BOOKING_404}, {BOOKING_PERSON_404}",
                s409=f"{BOOKING_409}, {BOOKING_CAP_409}",
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request) -> Response:
        # An applicant's own booking asks for a solved proof-of-work (CPU and one
        # cache write, no query); staff booking for someone do not.
        if request.user.role == Role.APPLICANT:
            antibot_require(request)
        slot_id = slot_choice(request.data)
        appointment = hotpath.appointment_book(
            actor=request.user,
            applicant=person_for_booking(request, request.data),
            slot_id=slot_id,
            prefetched=getattr(self, "_slot_prefetched", None),
        )
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
        return Response(AppointmentSerializer(visible_appointment(request, reference)).data)


class AppointmentCancelView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="appointments_cancel",
        description="Cancel an appointment the caller may see: an applicant their own, "
        "staff one of a person they may act for (a mediator with the person's consent).",
        request=None,
        responses={
            200: AppointmentSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                429,
                s403="`not_allowed`, `consent_required` (staff acting for someone)",
                s404="`appointment_not_found`",
                s409="`appointment_not_active`, `appointment_past`",
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request, reference: str) -> Response:
        appointment = services.appointment_cancel(
            actor=request.user, appointment=visible_appointment(request, reference)
        )
        soldout.forget(appointment.slot_id)
        return Response(rendered(request, appointment))


class AppointmentRescheduleView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        operation_id="appointments_reschedule",
        description="Move an appointment the caller may see to another slot of its "
        "procedure: an applicant their own, staff one of a person they may act for "
        "(a mediator with the person's consent; an agent between their sites).",
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
                s403=BOOKING_403,
                s404="`appointment_not_found`, " + BOOKING_404,
                s409="`appointment_not_active`, `appointment_past`, `same_slot`, " + BOOKING_409,
            ),
        },
        tags=["booking"],
    )
    def post(self, request: Request, reference: str) -> Response:
        appointment = visible_appointment(request, reference)
        new_slot_id = slot_choice(request.data)
        old_slot_id = appointment.slot_id
        moved = services.appointment_reschedule(
            actor=request.user, appointment=appointment, new_slot_id=new_slot_id
        )
        soldout.forget(old_slot_id)
        return Response(rendered(request, moved))
