"""Helpers of the booking service tests: the state a refusal leaves, slots and walk-ins."""

from __future__ import annotations

from datetime import timedelta

from booking.models import Applicant, Appointment, Slot
from tests import factories


def seats_and_appointments() -> tuple[list, list]:
    """Everything a refused call must leave untouched: seats and appointments."""
    slots = list(Slot.objects.order_by("pk").values_list("pk", "booked", "capacity"))
    appointments = list(
        Appointment.objects.order_by("pk").values_list(
            "pk", "reference", "status", "slot_id", "reschedule_count", "cancelled_at"
        )
    )
    return slots, appointments


def slot_like(slot: Slot, **changes) -> Slot:
    """A slot like ``slot`` (same site and procedure) with some fields changed."""
    fields = {"site": slot.site, "procedure": slot.procedure, **changes}
    if "starts_at" in changes and "ends_at" not in changes:
        fields["ends_at"] = changes["starts_at"] + timedelta(minutes=20)
    return factories.SlotFactory(**fields)


def walk_in(applicant: Applicant, mediator, *, consent: bool = True) -> Applicant:
    """``applicant`` as a walk-in registered at ``mediator``'s access point,
    who consents (unless ``consent=False``) that its mediators act for them."""
    applicant.access_point = mediator.access_point
    applicant.save(update_fields=["access_point"])
    if consent:
        factories.ConsentFactory(applicant=applicant, mediator=mediator)
    return applicant
