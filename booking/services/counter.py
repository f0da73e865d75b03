"""At the counter: checking a person in, marking them seen, marking no-shows.

The agent of the appointment's site (supervisors: any site) types or scans the
reference (the convocation's QR code holds it) and types the number of the
document the person shows; it is compared, normalised, with the identity
copied onto the appointment at booking. A match checks the person in, once; a
mismatch changes nothing but is recorded in the audit trail
(``appointment.check_in_refused``, with the site and a keyed hash of the
number typed, never the number): the abuse report reads it. A supervisor may
force the check-in with a reason (audited).

Check-in is only possible on the appointment's day (local time): earlier or
later is refused (``not_today``). An unknown reference and one at a site the
agent does not serve answer the same ``appointment_not_found``.

The appointment row is locked (``SELECT … FOR UPDATE``) before it is looked
at: two counters scanning the same convocation check it in once.

No-shows: at the end of a day, every still-booked appointment of a site whose
slot is over becomes ``no_show`` in one UPDATE (``day_no_shows_mark``); the
hourly closing job does the same for the days nobody closed where the counter
worked (``booking.services.retention``). Either writes the ``BookingBlock``s
the rulebook asks for (``booking.rules.no_show_block_until``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors, rules
from booking.identity import normalize_document_number
from booking.models import (
    Appointment,
    AppointmentStatus,
    BlockReason,
    BookingBlock,
    Site,
    Slot,
    reference_parse,
)
from booking.permissions import works_at


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` (local) and of the day after."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def document_fingerprint(document_number: str) -> str:
    """A keyed hash of a typed document number, normalised: the audit trail can
    tell the same number typed twice without holding it."""
    normalised = normalize_document_number(document_number or "")
    return salted_hmac("booking.counter.document", normalised).hexdigest()[:24]


def _appointment_locked(*, actor: User, reference: str) -> Appointment:
    """The appointment of ``reference``, its row locked, with its slot, site,
    procedure and applicant, if ``actor`` works at its site; else
    ``AppointmentNotFound`` (an unknown reference answers the same). Caller is
    in a transaction."""
    parsed = reference_parse(reference or "")
    if parsed is None:
        raise errors.AppointmentNotFound()
    # Locked on its own row (see ``appointments._appointment_lock``), then read.
    pk = (
        Appointment.objects.select_for_update()
        .filter(reference=parsed)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise errors.AppointmentNotFound()
    appointment = Appointment.objects.select_related("slot__site", "procedure", "applicant").get(
        pk=pk
    )
    if not works_at(actor, appointment.slot.site_id):
        raise errors.AppointmentNotFound()
    return appointment


def _check_in_refusal(appointment: Appointment, now: datetime) -> errors.DomainError | None:
    """Why ``appointment`` may not be checked in at ``now`` whatever the document."""
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return errors.AlreadyCheckedIn()
    if appointment.status != AppointmentStatus.BOOKED:
        return errors.AppointmentNotActive()
    day = timezone.localdate(appointment.slot.starts_at)
    if day != timezone.localdate(now):
        return errors.NotToday(day=formats.date_format(day, "DATE_FORMAT"))
    return None


def _checked_in(
    *, actor: User, appointment: Appointment, now: datetime, action: str, details: dict
) -> Appointment:
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.checked_in_by = actor
    appointment.updated_at = now
    appointment.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        appointment=appointment,
        details={"site": appointment.slot.site_id, **details},
    )
    return appointment


def appointment_check_in(
    *, actor: User, reference: str, document_number: str, now: datetime | None = None
) -> Appointment:
    """Check in the person of ``reference`` if ``document_number`` is the one of
    the identity booked. Raises ``AppointmentNotFound``, ``AlreadyCheckedIn``,
    ``AppointmentNotActive``, ``NotToday`` or ``DocumentMismatch`` (recorded)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _appointment_locked(actor=actor, reference=reference)
        if (refusal := _check_in_refusal(appointment, now)) is not None:
            raise refusal
        typed = normalize_document_number(document_number or "")
        if typed and typed == normalize_document_number(appointment.document_number):
            return _checked_in(
                actor=actor,
                appointment=appointment,
                now=now,
                action=AuditAction.APPOINTMENT_CHECKED_IN,
                details={},
            )
        # Recorded, then refused: the row is written by this transaction, which
        # commits (nothing else changed).
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED,
            appointment=appointment,
            details={
                "site": appointment.slot.site_id,
                "reason": errors.DocumentMismatch.code,
                "document_fingerprint": document_fingerprint(document_number) if typed else "",
            },
        )
    raise errors.DocumentMismatch()


def appointment_check_in_override(
    *, actor: User, reference: str, reason: str, now: datetime | None = None
) -> Appointment:
    """A supervisor checks in the person of ``reference`` without the document
    matching (a document renewed since the booking, a typing error at booking),
    with a reason, audited. Same day and same states as ``appointment_check_in``."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        appointment = _appointment_locked(actor=actor, reference=reference)
        if actor.role != Role.SUPERVISOR:
            raise errors.SupervisorsOnly()
        if not reason:
            raise errors.ReasonRequired()
        if (refusal := _check_in_refusal(appointment, now)) is not None:
            raise refusal
        return _checked_in(
            actor=actor,
            appointment=appointment,
            now=now,
            action=AuditAction.APPOINTMENT_CHECK_IN_OVERRIDDEN,
            details={"reason": reason[:500]},
        )


def appointment_done(
    *, actor: User, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """The person checked in has been seen: ``checked_in`` → ``done``."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _appointment_locked(actor=actor, reference=appointment.reference)
        if locked.status != AppointmentStatus.CHECKED_IN:
            raise errors.NotCheckedIn()
        locked.status = AppointmentStatus.DONE
        locked.done_at = now
        locked.updated_at = now
        locked.save(update_fields=["status", "done_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_DONE,
            appointment=locked,
            details={"site": locked.slot.site_id},
        )
    return locked


def _no_shows_update(*, where: str, params: list, now: datetime) -> list[tuple[int, int]]:
    """Mark ``no_show`` the booked appointments whose slot ``s`` matches
    ``where``, in one UPDATE; their (applicant, procedure) pairs."""
    quote = connection.ops.quote_name
    appointments = quote(Appointment._meta.db_table)
    slots = quote(Slot._meta.db_table)
    sql = (
        f"UPDATE {appointments} a SET status = %s, updated_at = %s "  # noqa: S608
        f"FROM {slots} s WHERE s.id = a.slot_id AND a.status = %s AND {where} "
        "RETURNING a.applicant_id, a.procedure_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [AppointmentStatus.NO_SHOW, now, AppointmentStatus.BOOKED, *params])
        return [tuple(row) for row in cursor.fetchall()]


def no_show_blocks_write(pairs: Iterable[tuple[int, int]], *, now: datetime) -> int:
    """Block the people of ``pairs`` (applicant, procedure) who reached the
    no-show limit (``booking.rules.no_show_block_until``) from booking that
    procedure: one read, one INSERT … ON CONFLICT. Returns how many blocks."""
    pairs = set(pairs)
    if not pairs:
        return 0
    counts = (
        Appointment.objects.filter(
            applicant_id__in={applicant for applicant, _ in pairs},
            procedure_id__in={procedure for _, procedure in pairs},
            status=AppointmentStatus.NO_SHOW,
            slot__starts_at__gte=rules.no_show_window_start(now),
        )
        .values_list("applicant_id", "procedure_id")
        .annotate(count=Count("pk"), last=Max("slot__starts_at"))
        .order_by()
    )
    blocks = []
    for applicant_id, procedure_id, count, last in counts:
        if (applicant_id, procedure_id) not in pairs:
            continue
        until = rules.no_show_block_until(count=count, last_no_show=last, now=now)
        if until is not None:
            blocks.append(
                BookingBlock(
                    applicant_id=applicant_id,
                    procedure_id=procedure_id,
                    reason=BlockReason.NO_SHOWS,
                    until=until,
                    created_at=now,
                )
            )
    BookingBlock.objects.bulk_create(
        blocks,
        update_conflicts=True,
        unique_fields=["applicant", "procedure", "reason"],
        update_fields=["until"],
    )
    return len(blocks)


def day_no_shows_mark(*, actor: User, site: Site, day: date, now: datetime | None = None) -> int:
    """Mark ``no_show`` every appointment of ``site`` on ``day`` still booked
    whose slot is over, in one UPDATE, audited once with the count, and block
    those who reached the no-show limit. Returns how many; idempotent (a second
    call finds none, writes nothing). ``SiteNotFound`` for a site the agent does
    not serve."""
    now = now or timezone.now()
    if not works_at(actor, site.pk):
        raise errors.SiteNotFound()
    start, end = day_bounds(day)
    with transaction.atomic():
        pairs = _no_shows_update(
            where="s.site_id = %s AND s.starts_at >= %s AND s.starts_at < %s AND s.ends_at <= %s",
            params=[site.pk, start, end, now],
            now=now,
        )
        if pairs:
            blocked = no_show_blocks_write(pairs, now=now)
            audit_record(
                actor=actor,
                action=AuditAction.NO_SHOWS_MARKED,
                details={
                    "site": site.pk,
                    "day": day.isoformat(),
                    "count": len(pairs),
                    "blocked": blocked,
                },
            )
    return len(pairs)
