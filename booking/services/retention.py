"""Closing the appointments of past days and erasing the identities they copied."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from booking.models import (
    ACTIVE_STATUSES,
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    Appointment,
    AppointmentStatus,
)

# What becomes of an appointment still open when its day is over.
_CLOSED_AS = {
    AppointmentStatus.BOOKED: AppointmentStatus.ENDED,  # nothing recorded at the counter
    AppointmentStatus.CHECKED_IN: AppointmentStatus.DONE,  # the person came
}


def appointments_close_past(*, now: datetime | None = None) -> dict[str, int]:
    """Close the appointments of the days before today (local time) that are
    still active: booked ones become ``ended``, checked-in ones ``done``.

    An active appointment holds the person's one place for its procedure (the
    partial unique indexes); left active once its day is over, it would keep
    them from ever booking that procedure again. Run every hour by Celery
    beat; today's appointments stay as they are until the day is over, for
    the counter. The seat stays taken (it was used). Returns how many of each
    status were closed, with one audit row per run; idempotent.
    """
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    closed: dict[str, int] = {}
    with transaction.atomic():
        for status, closed_as in _CLOSED_AS.items():
            count = Appointment.objects.filter(status=status, slot__ends_at__lte=midnight).update(
                status=closed_as, updated_at=now
            )
            if count:
                closed[str(status)] = count
        if closed:
            audit_record(
                actor=None,
                action=AuditAction.APPOINTMENTS_CLOSED,
                details={"closed": closed, "ended_before": midnight.isoformat()},
            )
    return closed


# Rows erased per statement: each batch is its own short transaction.
ERASE_BATCH = 1000


def appointment_identities_erase(*, ended_before: datetime, now: datetime | None = None) -> int:
    """Erase the identity copied onto every appointment no longer active whose
    slot ended before ``ended_before`` (the retention purge passes
    ``RETENTION_MONTHS`` ago, after ``appointments_close_past``).

    The names, birth date, document number and identity key become the erased
    markers of ``booking.models``, and ``identity_erased_at`` is set: the one
    change to an appointment's identity the database allows, once (migration
    0005). The row stays, with its procedure, site, time, status, nationality
    and document type: the counter's history and the statistics. Returns how
    many appointments were erased; idempotent.
    """
    now = now or timezone.now()
    due = (
        Appointment.objects.filter(identity_erased_at__isnull=True, slot__ends_at__lt=ended_before)
        .exclude(status__in=ACTIVE_STATUSES)  # the database refuses those
        .order_by("pk")
    )
    erased = 0
    while ids := list(due.values_list("pk", flat=True)[:ERASE_BATCH]):
        erased += Appointment.objects.filter(pk__in=ids, identity_erased_at__isnull=True).update(
            identity_key=Concat(Value(ERASED_KEY_PREFIX), Cast("pk", output_field=CharField())),
            surname=ERASED_TEXT,
            given_names=ERASED_TEXT,
            birth_date=ERASED_BIRTH_DATE,
            document_number=ERASED_TEXT,
            identity_erased_at=now,
        )
    return erased
