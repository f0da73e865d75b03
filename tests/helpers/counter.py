"""Helpers of the counter's tests: appointments of a given day and time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from booking.models import Applicant, Appointment, Procedure, Site, Slot
from booking.services import appointment_book
from tests import factories


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute``, local time."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def today_at(hour: int, minute: int = 0) -> datetime:
    return local(timezone.localdate(), hour, minute)


def appointment_at(
    starts_at: datetime,
    *,
    site: Site,
    procedure: Procedure | None = None,
    applicant: Applicant | None = None,
) -> Appointment:
    """An appointment booked online, its slot then moved to ``starts_at`` (booking
    in the past is refused), read back with its slot, site and procedure."""
    applicant = applicant or factories.ApplicantFactory()
    slot = factories.SlotFactory(site=site, procedure=procedure or factories.ProcedureFactory())
    booked = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=20)
    )
    return Appointment.objects.select_related("slot__site", "procedure", "applicant").get(
        pk=booked.pk
    )


def status_of(appointment: Appointment) -> str:
    return Appointment.objects.values_list("status", flat=True).get(pk=appointment.pk)


def clock_at_noon(monkeypatch, day: date | None = None) -> None:
    """Move the clock (``timezone.now``) to today's noon (or ``day``'s), local
    time, still ticking: a day's first slot (00:00-00:20) is then over and the
    next hour still to come, whatever the hour the suite runs at. From 00:00 to
    00:20 no slot of today was over yet, and a no-show of today could not be made."""
    real = timezone.now
    shift = local(day or timezone.localdate(), 12) - real()
    monkeypatch.setattr(timezone, "now", lambda: real() + shift)
