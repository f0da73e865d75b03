"""Closing the appointments of past days and erasing the identities they copied."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
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
    Slot,
)
from booking.services.counter import no_show_blocks_write


def appointments_close_past(*, now: datetime | None = None) -> dict[str, int]:
    """Close the appointments of the days before today (local time) that are
    still active: checked-in ones become ``done``; booked ones ``no_show`` if
    the counter of their site recorded at least one check-in that day (it was
    working: the person did not come), else ``ended`` (nobody used the counter:
    no consequence for the person). The no-shows write the blocks of the
    rulebook (``booking.services.counter.no_show_blocks_write``).

    An active appointment holds the person's one place for its procedure (the
    partial unique indexes); left active once its day is over, it would keep
    them from ever booking that procedure again. Run every hour by Celery
    beat; today's appointments stay as they are until the day is over, for
    the counter. The seat stays taken (it was used). Returns how many became
    of each status, with one audit row per run; idempotent.
    """
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    closed: dict[str, int] = {}
    with transaction.atomic():
        rows = _booked_close(before=midnight, now=now)
        for status in (AppointmentStatus.ENDED, AppointmentStatus.NO_SHOW):
            if count := sum(1 for row in rows if row[0] == status):
                closed[str(status)] = count
        no_shows = [(who, procedure) for status, who, procedure in rows if status == "no_show"]
        blocked = no_show_blocks_write(no_shows, now=now)
        done = Appointment.objects.filter(
            status=AppointmentStatus.CHECKED_IN, slot__ends_at__lte=midnight
        ).update(status=AppointmentStatus.DONE, updated_at=now)
        if done:
            closed[str(AppointmentStatus.DONE)] = done
        if closed:
            audit_record(
                actor=None,
                action=AuditAction.APPOINTMENTS_CLOSED,
                details={
                    "closed": closed,
                    "blocked": blocked,
                    "ended_before": midnight.isoformat(),
                },
            )
    return closed


def _booked_close(*, before: datetime, now: datetime) -> list[tuple[str, int, int]]:
    """One UPDATE: the booked appointments whose slot ended by ``before`` become
    ``no_show`` where their site-day had a check-in, else ``ended``. Returns
    each one's new status, applicant and procedure."""
    quote = connection.ops.quote_name
    appointments = quote(Appointment._meta.db_table)
    slots = quote(Slot._meta.db_table)
    # The local day of the slot ``s``, as instants.
    local = "date_trunc('day', s.starts_at AT TIME ZONE %(tz)s)"
    sql = (
        f"UPDATE {appointments} a SET status = CASE WHEN EXISTS ("  # noqa: S608
        f"SELECT FROM {appointments} c JOIN {slots} cs ON cs.id = c.slot_id "
        "WHERE cs.site_id = s.site_id "
        f"AND c.checked_in_at >= ({local} AT TIME ZONE %(tz)s) "
        f"AND c.checked_in_at < (({local} + interval '1 day') AT TIME ZONE %(tz)s)"
        ") THEN %(no_show)s ELSE %(ended)s END, updated_at = %(now)s "
        f"FROM {slots} s WHERE s.id = a.slot_id AND a.status = %(booked)s "
        "AND s.ends_at <= %(before)s "
        "RETURNING a.status, a.applicant_id, a.procedure_id"
    )
    params = {
        "tz": timezone.get_current_timezone_name(),
        "no_show": AppointmentStatus.NO_SHOW.value,
        "ended": AppointmentStatus.ENDED.value,
        "booked": AppointmentStatus.BOOKED.value,
        "now": now,
        "before": before,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


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
