"""What the booking API's views share: who may write, the person, the slot
chosen, the appointment asked for, and the refusals each documents."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role
from booking import errors, selectors
from booking import permissions as permissions_module
from booking.api.serializers import (
    MAX_ID,
    AppointmentSerializer,
    BookingRequestSerializer,
    SlotChoiceSerializer,
)
from booking.models import Applicant, Appointment, reference_parse
from core.api import error_responses

BOOKING_409 = (
    "`slot_full`, `already_booked`, `slot_in_past`, `booking_closed`, "
    "`document_not_accepted`, `procedure_unavailable`, `identity_missing`, `identity_changed`"
)
BOOKING_403 = (
    "`account_not_verified`, `procedure_not_self_bookable`, `not_allowed` (staff: not "
    "one of your sites or people), `consent_required` (a mediator without the person's "
    "valid consent for booking)"
    ", `no_show_cooling` (the person missed too many appointments for this procedure: "
    "the detail says until when they may book it again)"
    ", `account_suspended` (your account was suspended while the request ran: nothing "
    "was booked)"
)
# A slot the caller may not see (not yet visible, beyond the horizon, reserved
# for others, of another procedure) answers exactly as a missing one.
BOOKING_404 = "`slot_not_found`"
# A person the caller may not name answers exactly as a missing one.
BOOKING_PERSON_404 = "`applicant_not_found`"
# A mediator's booking beyond the day's cap of their point or their own.
BOOKING_CAP_409 = "`daily_cap_reached`"
LIST_400 = "`invalid`: a malformed `cursor` or `page_size`"


# --- Permissions -------------------------------------------------------------------


class Publisher(permissions.BasePermission):
    """Agents and supervisors; whether the site is theirs is the service's call."""

    message = _("Only prefecture agents publish capacity.")
    code = "agents_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.role in (Role.AGENT, Role.SUPERVISOR)


# What publishing and its preview answer when refused: the same body, the same checks.
PUBLICATION_ERRORS = error_responses(
    400,
    401,
    403,
    415,
    s400="`invalid` (malformed field, unknown slug) or `invalid_publication`",
    s403="`agents_only`, or `not_allowed` (not one of your sites)",
)


# --- Helpers -----------------------------------------------------------------------


def own_applicant(request: Request) -> Applicant:
    try:
        return request.user.applicant
    except Applicant.DoesNotExist:
        raise errors.IdentityMissing() from None


def person_for_booking(request: Request, data) -> Applicant:
    """The person a ``POST /appointments/`` books for.

    An applicant books for themselves: no query beyond their own identity
    (loaded with the token); naming another id is a 404 ``applicant_not_found``,
    as a missing one. Staff must name the person (400 without), and one they
    may not name (``booking.permissions.addressable_applicants``) is the same 404.
    """
    named = data.get("applicant") if isinstance(data, dict) else None
    if request.user.role == Role.APPLICANT:
        own = own_applicant(request)
        if named is None and not (isinstance(data, dict) and "applicant" in data):
            return own
        if _applicant_choice(data) != own.pk:
            raise errors.ApplicantNotFound()
        return own
    applicant_id = _applicant_choice(data, required=True)
    person = (
        Applicant.objects.filter(permissions_module.addressable_applicants(request.user))
        .filter(pk=applicant_id)
        .first()
    )
    if person is None:
        raise errors.ApplicantNotFound()
    return person


def _applicant_choice(data, *, required: bool = False) -> int:
    value = data.get("applicant") if isinstance(data, dict) else None
    if type(value) is int and 1 <= value <= MAX_ID:
        return value
    choice = BookingRequestSerializer(data=data)
    choice.fields["applicant"].required = required
    choice.is_valid(raise_exception=True)
    if "applicant" not in choice.validated_data:  # pragma: no cover - required above
        raise errors.ApplicantNotFound()
    return choice.validated_data["applicant"]


def slot_choice(data) -> int:
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


def visible_appointment(request: Request, reference: str) -> Appointment:
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


def rendered(request: Request, appointment: Appointment) -> dict:
    # Re-read through the selector: the service's instance lacks some joins.
    fresh = selectors.appointments_for(request.user).get(pk=appointment.pk)
    return AppointmentSerializer(fresh).data
