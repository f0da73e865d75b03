"""Court-ordered convocations: recording an order of the administrative court,
serving it with an appointment before its deadline, and opening it again when
that appointment is cancelled. Reads: ``booking.injunctions``.

Each write runs in one transaction with its audit row (the order's id in the
details). The appointment is booking's own (``appointment_book``: the same
rules, the confirmation owed to the person by the channels they have).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors, signals
from booking.injunctions import can_handle_injunctions, deadline_end, visible_injunctions
from booking.models import (
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Injunction,
    Procedure,
    Site,
)
from booking.models.injunctions import CASE_NUMBER_MAX, COURT_MAX, NOTES_MAX
from booking.permissions import works_at
from booking.services.bookings import appointment_book, slot_for_booking
from core.db import constraint_of


def _text(value: str) -> str:
    """One line, its runs of spaces made one."""
    return " ".join((value or "").split())


def _checked(
    *,
    court: str,
    case_number: str,
    ordered_on: date,
    deadline: date,
    notes: str,
    today: date,
) -> tuple[str, str, str]:
    court = _text(court)
    case_number = _text(case_number)
    notes = (notes or "").strip()
    if not court:
        raise errors.InvalidInjunction(_("Enter the court that made the order."))
    if len(court) > COURT_MAX:
        raise errors.InvalidInjunction(_("The court's name is too long."))
    if not case_number:
        raise errors.InvalidInjunction(_("Enter the case number of the order."))
    if len(case_number) > CASE_NUMBER_MAX:
        raise errors.InvalidInjunction(_("The case number is too long."))
    if not isinstance(ordered_on, date) or not isinstance(deadline, date):
        raise errors.InvalidInjunction(_("Enter the date of the order and the deadline."))
    if ordered_on > today:
        raise errors.InvalidInjunction(_("The date of the order cannot be in the future."))
    if deadline < ordered_on:
        raise errors.InvalidInjunction(
            _("The deadline to convoke cannot be before the date of the order.")
        )
    if len(notes) > NOTES_MAX:
        raise errors.InvalidInjunction(_("The notes are too long."))
    return court, case_number, notes


def injunction_record(
    *,
    actor: User,
    applicant: Applicant,
    court: str,
    case_number: str,
    ordered_on: date,
    deadline: date,
    procedure: Procedure,
    site: Site,
    notes: str = "",
    now: datetime | None = None,
) -> Injunction:
    """Record an order of the administrative court to convoke ``applicant`` for
    ``procedure`` by ``deadline``, to be served at ``site`` (one of the actor's).

    Raises, writing nothing: ``InvalidInjunction`` (a missing or too long
    field, an order dated in the future, a deadline before the order, a site
    that is not the actor's), ``ProcedureUnavailable`` (a closed procedure or
    site) and ``InjunctionAlreadyRecorded`` (the same case for the same person
    and procedure is on file). The caller counts the rate limit.
    """
    now = now or timezone.now()
    if not can_handle_injunctions(actor):
        raise errors.NotAllowed()
    court, case_number, notes = _checked(
        court=court,
        case_number=case_number,
        ordered_on=ordered_on,
        deadline=deadline,
        notes=notes,
        today=timezone.localdate(now),
    )
    if site is None or not works_at(actor, site.pk):
        raise errors.InvalidInjunction(_("Choose one of your sites."))
    if not procedure.is_active or not site.is_active:
        raise errors.ProcedureUnavailable()
    same_case = Injunction.objects.filter(
        applicant=applicant, procedure=procedure, case_number=case_number
    )
    if same_case.exists():
        raise errors.InjunctionAlreadyRecorded()
    injunction = Injunction(
        court=court,
        case_number=case_number,
        ordered_on=ordered_on,
        deadline=deadline,
        applicant=applicant,
        procedure=procedure,
        site=site,
        notes=notes,
        recorded_by=actor,
        recorded_at=now,
    )
    with transaction.atomic():
        try:
            injunction.save(force_insert=True)
        except IntegrityError as exc:
            if "one_open_injunction" in constraint_of(exc):  # the same order, twice at once
                raise errors.InjunctionAlreadyRecorded() from None
            raise
        audit_record(
            actor=actor,
            action=AuditAction.INJUNCTION_RECORDED,
            applicant=applicant,
            details={
                "injunction": injunction.pk,
                "court": court,
                "case_number": case_number,
                "ordered_on": ordered_on.isoformat(),
                "deadline": deadline.isoformat(),
                "procedure": procedure.slug,
                "site": site.slug,
            },
        )
        # The person's place on the procedure's waiting list moves with the order.
        signals.priority_changed.send(
            sender=Injunction,
            applicant_ids=[applicant.pk],
            procedure_id=procedure.pk,
            reason=signals.INJUNCTION_RECORDED,
            details={"injunction": injunction.pk},
            actor=actor,
            now=now,
        )
    return injunction


def _locked(*, actor: User, injunction: Injunction) -> Injunction:
    """The order locked, if ``actor`` may act on it (``InjunctionNotFound``
    otherwise: what they may not see does not exist), then read afresh with its
    person, procedure, site and appointment. Caller is in a transaction.

    The row is locked on its own (as ``booking.services.appointments`` does):
    locked in a join, a row another transaction served meanwhile would be
    rechecked against the appointment row read before the wait."""
    locked = list(
        Injunction.objects.select_for_update()
        .filter(visible_injunctions(actor), pk=injunction.pk)
        .values_list("pk", flat=True)
    )
    if not locked:
        raise errors.InjunctionNotFound()
    return Injunction.objects.select_related("applicant", "procedure", "site", "appointment").get(
        pk=injunction.pk
    )


def injunction_convoke(
    *, actor: User, injunction: Injunction, slot_id: int, now: datetime | None = None
) -> Injunction:
    """Serve ``injunction``: book its person on ``slot_id`` and link the appointment.

    The slot must be of the order's procedure, at one of the actor's sites, in
    a pool they may book (priority capacity first, on the page), and start on
    or before the deadline's day: a later one is refused (``SlotAfterDeadline``)
    while the deadline has not passed; once it has, the order is served as soon
    as possible, by any time (it will read "convoked late"). The booking is
    ``appointment_book``'s (the actor, ``Channel.AGENT``; its refusals:
    ``SlotFull``, ``AlreadyBooked``...), in one transaction with the link and
    its audit row: a refusal leaves nothing written. ``InjunctionAlreadyServed``
    when an appointment already serves it.
    """
    now = now or timezone.now()
    read = slot_for_booking(slot_id)
    with transaction.atomic():
        locked = _locked(actor=actor, injunction=injunction)
        if (
            locked.appointment_id is not None
            and locked.appointment.status != AppointmentStatus.CANCELLED
        ):
            raise errors.InjunctionAlreadyServed()
        if read is None:
            raise errors.SlotNotFound()
        slot = read.slot()
        # Another procedure's time, or one of a site not theirs: as if it did not exist.
        if slot.procedure_id != locked.procedure_id or not works_at(actor, slot.site_id):
            raise errors.SlotNotFound()
        in_time = slot.starts_at < deadline_end(locked)
        if not in_time and locked.deadline >= timezone.localdate(now):
            raise errors.SlotAfterDeadline(
                deadline=formats.date_format(locked.deadline, "SHORT_DATE_FORMAT")
            )
        appointment = appointment_book(
            actor=actor,
            applicant=locked.applicant,
            slot_id=slot.pk,
            channel=Channel.AGENT,
            slot=slot,
        )
        previous = locked.appointment_id
        locked.appointment = appointment
        locked.convoked_at = now
        locked.convoked_by = actor
        locked.save(update_fields=["appointment", "convoked_at", "convoked_by"])
        audit_record(
            actor=actor,
            action=AuditAction.INJUNCTION_CONVOKED,
            appointment=appointment,
            details={
                "injunction": locked.pk,
                "case_number": locked.case_number,
                "deadline": locked.deadline.isoformat(),
                "slot": slot.pk,
                "pool": slot.pool,
                "in_time": in_time,
                **({"replaces": previous} if previous else {}),
            },
        )
        # Served: the order no longer puts the person first on the waiting list.
        signals.priority_changed.send(
            sender=Injunction,
            applicant_ids=[locked.applicant_id],
            procedure_id=locked.procedure_id,
            reason=signals.INJUNCTION_SERVED,
            details={"injunction": locked.pk, "appointment": appointment.pk},
            actor=actor,
            now=now,
        )
    return locked


@receiver(
    signals.appointment_changed,
    sender=Appointment,
    dispatch_uid="booking.injunctions.reopen_on_cancel",
)
def injunction_reopen(sender, *, appointment: Appointment, event: str, now, **kwargs) -> None:
    """An appointment that served a court order is cancelled: the order is open
    again (its link cleared, audited), in the cancellation's transaction.

    Only an agent's booking can serve an order (``injunction_convoke`` books
    with ``Channel.AGENT``): any other cancellation costs no query.
    """
    if event != signals.CANCELLED or appointment.channel != Channel.AGENT:
        return
    served = list(
        Injunction.objects.select_for_update()
        .filter(appointment_id=appointment.pk)
        .values_list("pk", "case_number")
    )
    if not served:
        return
    Injunction.objects.filter(pk__in=[pk for pk, _case in served]).update(
        appointment=None, convoked_at=None, convoked_by=None
    )
    actor = appointment.cancelled_by if appointment.cancelled_by_id else None
    for pk, case_number in served:
        audit_record(
            actor=actor,
            action=AuditAction.INJUNCTION_REOPENED,
            appointment=appointment,
            details={"injunction": pk, "case_number": case_number},
        )
    # Open again: the person comes first on the waiting list again.
    signals.priority_changed.send(
        sender=Injunction,
        applicant_ids=[appointment.applicant_id],
        procedure_id=appointment.procedure_id,
        reason=signals.INJUNCTION_REOPENED,
        details={"injunctions": [pk for pk, _case in served], "appointment": appointment.pk},
        actor=actor,
        now=now,
    )
