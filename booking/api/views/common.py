"""What the booking API's views share: who may write, the person, the slot
chosen, the appointment asked for, and the refusals each documents."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role
from booking import errors, selectors
from booking.api.serializers import (
    MAX_ID,
    AppointmentSerializer,
    SlotChoiceSerializer,
)
from booking.models import Applicant, Appointment, reference_parse

BOOKING_409 = (
    "`slot_full`, `already_booked`, `slot_in_past`, `booking_closed`, "
    "`document_not_accepted`, `procedure_unavailable`, `identity_missing`, `identity_changed`"
)
BOOKING_403 = "`account_not_verified`, `procedure_not_self_bookable`, `applicants_only`"
# A slot the caller may not see (not yet visible, beyond the horizon, reserved
# for others, of another procedure) answers exactly as a missing one.
BOOKING_404 = "`slot_not_found`"
LIST_400 = "`invalid`: a malformed `cursor` or `page_size`"


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


def own_applicant(request: Request) -> Applicant:
    try:
        return request.user.applicant
    except Applicant.DoesNotExist:
        raise errors.IdentityMissing() from None


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
