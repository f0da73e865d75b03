"""Every change of booking or capacity state goes through these functions.

Invariants, held by the database and not only here:
- ``Slot.booked`` never exceeds ``Slot.capacity`` (CHECK constraint); it is
  changed only by conditional UPDATEs, never read-modified-written in Python.
- one active appointment per identity and procedure (partial UNIQUE index).
Lock order, to keep transactions free of deadlocks: an appointment row first,
then slot rows in primary-key order.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, F, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import Role, User
from accounts.permissions import (
    allowed_pools,
    can_act_for,
    can_publish,
    can_register_identity,
    is_verified,
)
from accounts.phones import normalize_mobile
from audit.models import AuditAction
from audit.services import audit_event, audit_record
from booking import availability_cache, errors, rules, statements
from booking.identity import document_number_error, normalize_name
from booking.models import (
    ACTIVE_STATUSES,
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Pool,
    Procedure,
    Publication,
    Site,
    Slot,
    new_reference,
)
from core.parsing import parse_id
from notifications import services as notifications

MAX_PUBLICATION_DAYS = 366


# --- Capacity ------------------------------------------------------------------


def _slot_claim(slot_id: int) -> None:
    """Take one seat of the slot or raise ``SlotFull``. Caller is in a transaction
    and marks availability out of date (``availability_cache.capacity_changed``)."""
    claimed = Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if claimed != 1:
        raise errors.SlotFull()


def _slot_release(slot_id: int) -> None:
    """Give one seat back. Caller is in a transaction, has an active appointment
    on it and marks availability out of date (``availability_cache.capacity_changed``)."""
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


def _check_visible(*, actor: User, slot: Slot, now: datetime) -> None:
    """Raise ``SlotNotFound`` if ``actor`` may not see ``slot``: before any
    other check, so that nothing tells such a slot from one that does not exist."""
    procedure = slot.procedure
    if rules.slot_hidden(
        pool=slot.pool,
        published_at=slot.published_at,
        starts_at=slot.starts_at,
        horizon_end=rules.horizon_end(procedure, now),
        pools=allowed_pools(actor),
        privileged=rules.is_privileged(actor),
        now=now,
    ):
        raise errors.SlotNotFound()


def _check_bookable(*, actor: User, applicant: Applicant, slot: Slot, now: datetime) -> None:
    """Raise the first reason why ``actor`` may not book ``slot`` for ``applicant``."""
    _check_visible(actor=actor, slot=slot, now=now)
    if not can_act_for(actor, applicant, site_id=slot.site_id):
        raise errors.NotAllowed()
    if actor.role == Role.APPLICANT and not is_verified(actor):
        # The account is the protection against farmed identities: no booking
        # (nor move) before both the e-mail and the phone are confirmed.
        raise errors.AccountNotVerified()
    procedure = slot.procedure
    if not (procedure.is_active and slot.site.is_active):
        raise errors.ProcedureUnavailable()
    if actor.role == Role.APPLICANT and not procedure.self_booking:
        raise errors.ProcedureNotSelfBookable()
    if slot.starts_at <= now:
        raise errors.SlotInPast()
    if not rules.is_privileged(actor) and slot.starts_at < now + timedelta(
        hours=procedure.cutoff_hours
    ):
        raise errors.BookingClosed()
    if not procedure.accepts(applicant.document_type):
        raise errors.DocumentNotAccepted(required=procedure.get_required_document_display())


def _get_slot(slot_id: int) -> Slot:
    try:
        return Slot.objects.select_related("site", "procedure__horizon").get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise errors.SlotNotFound() from None


def _constraint_of(exc: IntegrityError) -> str:
    """The name (PostgreSQL) or the message (SQLite) of the violated constraint."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name or str(exc)


def _is_one_active_violation(exc: IntegrityError) -> bool:
    text = _constraint_of(exc)
    return (
        "one_active_appointment_per_person_and_procedure" in text
        or "one_active_appointment_per_applicant_and_procedure" in text
        or "booking_appointment.identity_key" in text
        or "booking_appointment.applicant_id" in text
    )


# --- Identities --------------------------------------------------------------------


def identity_validate(
    *,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
) -> None:
    """Raise ``InvalidIdentity`` unless the identity can be recorded and compared.

    Shared by every path that records or corrects an identity.
    """
    # Compared at the counter in their normalised form: a name of punctuation or
    # of a non-Latin script only would normalise to nothing and match nobody.
    if not normalize_name(surname) or not normalize_name(given_names):
        raise errors.InvalidIdentity(
            _("Enter the surname and the first names in Latin letters, as on your document.")
        )
    # Part of a passport's identity key: an unknown country would make a second key.
    if nationality not in countries:
        raise errors.InvalidIdentity(_("Choose a nationality."))
    today = timezone.localdate()
    if birth_date > today or birth_date < date(today.year - 120, 1, 1):
        raise errors.InvalidIdentity(_("The date of birth is not plausible."))
    problem = document_number_error(document_type, document_number)
    if problem:
        raise errors.InvalidIdentity(problem)


def applicant_create(
    *,
    actor: User,
    user: User | None,
    surname: str,
    given_names: str,
    birth_date: date,
    nationality: str,
    document_type: str,
    document_number: str,
    phone: str = "",
    email: str = "",
    preferred_language: str = "fr",
) -> Applicant:
    """Record a person's identity, for an account (``user``) or a walk-in (``user=None``).

    ``phone`` and ``email`` are a walk-in's contacts, typed by staff: the phone
    must be a mobile of ``CONTACT_PHONE_REGIONS`` (``InvalidPhone`` otherwise).
    An account's identity takes none: its messages go to the account's
    confirmed phone and e-mail (``notifications.services.applicant_contacts``).

    Raises ``InvalidIdentity`` for bad data, ``IdentityTaken`` when the same
    document is already on file (one identity, one record) and
    ``IdentityAlreadyOnFile`` when the account already has one.
    """
    if not can_register_identity(actor, user):
        raise errors.NotAllowed()
    if user is not None and (phone or email):
        raise ValueError("an account's identity has no contacts of its own")
    if phone:
        phone = normalize_mobile(phone, regions=settings.CONTACT_PHONE_REGIONS)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise errors.InvalidIdentity(_("Enter a valid e-mail address.")) from None
    if user is not None and Applicant.objects.filter(user=user).exists():
        raise errors.IdentityAlreadyOnFile()
    identity_validate(
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
    )
    applicant = Applicant(
        user=user,
        surname=surname.strip(),
        given_names=given_names.strip(),
        birth_date=birth_date,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
        phone=phone,
        email=email,
        preferred_language=preferred_language,
        # A mediator's walk-in belongs to their access point: its mediators act for them.
        access_point_id=actor.access_point_id if actor.role == Role.MEDIATOR else None,
    )
    with transaction.atomic():
        try:
            # The refusal leaves this block by an exception: its rollback covers
            # the failed INSERT, no savepoint needed.
            applicant.save(force_insert=True)
        except IntegrityError as exc:
            if "user_id" in _constraint_of(exc):  # the same account, twice at once
                raise errors.IdentityAlreadyOnFile() from None
            raise errors.IdentityTaken() from None
        audit_record(
            actor=actor,
            action=AuditAction.IDENTITY_RECORDED,
            subject_user=user,
            applicant=applicant,
            details={"document_type": applicant.document_type, "walk_in": user is None},
        )
    return applicant


# --- Appointments ----------------------------------------------------------------


def slot_for_booking(slot_id: int) -> statements.SlotRead | None:
    """The slot with its site and procedure, read outside any transaction, or
    ``None``: what a caller may check (its seats) before ``appointment_book``
    and hand it (``.slot()``)."""
    slot_id = parse_id(slot_id)  # past bigint, PostgreSQL would refuse it (a 500)
    if slot_id is None:
        return None
    return statements.slot_read(slot_id)


def appointment_book(
    *,
    actor: User,
    applicant: Applicant,
    slot_id: int,
    channel: str = Channel.WEB,
    slot: Slot | None = None,
) -> Appointment:
    """Book ``slot_id`` for ``applicant``, on behalf of ``actor``.

    Raises a ``booking.errors`` error and changes nothing when it cannot.
    On PostgreSQL the seat, the appointment, its audit row and its outbox rows
    are one statement (``booking.statements``), after one read of the slot
    (``slot``, when the caller already made it: ``slot_for_booking(...).slot()``);
    elsewhere (SQLite, ``make run``) the ORM does the same work in a
    transaction, reading the slot again.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _appointment_book_statement(
            actor=actor, applicant=applicant, slot_id=slot_id, channel=channel, now=now, slot=slot
        )
    with transaction.atomic():
        slot = _get_slot(slot_id)
        _check_bookable(actor=actor, applicant=applicant, slot=slot, now=now)
        # A cheap early refusal; the partial unique index is the guarantee.
        if _has_active_appointment(applicant, slot):
            raise errors.AlreadyBooked()
        _slot_claim(slot.pk)
        availability_cache.capacity_changed([slot.procedure.slug])
        appointment = _appointment_insert(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        appointment.procedure = slot.procedure  # already loaded: no query for the messages
        notifications.appointment_notify(
            appointment=appointment, event=notifications.BOOKED, now=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_BOOKED,
            appointment=appointment,
            details=_booked_details(slot, channel),
        )
        return appointment


def _appointment_book_statement(
    *,
    actor: User,
    applicant: Applicant,
    slot_id: int,
    channel: str,
    now: datetime,
    slot: Slot | None,
) -> Appointment:
    """``appointment_book`` on PostgreSQL: one read, then one statement.

    The slot is read outside any transaction: what the checks look at is fixed
    at publication, and the seat itself is taken by the conditional UPDATE.
    """
    if slot is None or slot.pk != slot_id:
        read = slot_for_booking(slot_id)
        slot = None if read is None else read.slot()
    if slot is None:
        raise errors.SlotNotFound()
    _check_bookable(actor=actor, applicant=applicant, slot=slot, now=now)
    appointment_id = statements.appointment_id_next()
    for _attempt in range(5):
        appointment = _appointment_new(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        appointment.pk = appointment_id
        audit = audit_event(
            actor=actor,
            action=AuditAction.APPOINTMENT_BOOKED,
            appointment=appointment,
            details=_booked_details(slot, channel),
        )
        messages = notifications.appointment_messages(
            appointment=appointment, event=notifications.BOOKED, now=now
        )
        try:
            # Alone, the statement is its own transaction; inside the caller's,
            # a savepoint keeps a refusal from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                message_ids = statements.book(
                    slot_id=slot.pk, appointment=appointment, audit=audit, messages=messages
                )
        except IntegrityError as exc:
            if _is_one_active_violation(exc):
                raise errors.AlreadyBooked() from None
            if "reference" in _constraint_of(exc):
                continue  # 31^8 references: a collision is rare, try another
            raise
        if message_ids is None:
            # No seat. Say "already booked" if that is also true, as the ORM path does.
            if _has_active_appointment(applicant, slot):
                raise errors.AlreadyBooked()
            raise errors.SlotFull()
        appointment._state.adding = False
        appointment._state.db = connection.alias
        availability_cache.capacity_changed([slot.procedure.slug])
        notifications.enqueue_on_commit(message_ids)
        return appointment
    raise RuntimeError("Could not draw a free appointment reference.")  # pragma: no cover


def _has_active_appointment(applicant: Applicant, slot: Slot) -> bool:
    return Appointment.objects.filter(
        Q(identity_key=applicant.identity_key) | Q(applicant_id=applicant.pk),
        procedure_id=slot.procedure_id,
        status__in=ACTIVE_STATUSES,
    ).exists()


def _booked_details(slot: Slot, channel: str) -> dict:
    return {"slot": slot.pk, "channel": channel}


def _appointment_new(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    """The new appointment, not saved: the identity copied, the slot's site and
    procedure already loaded (the messages and the API's answer use them)."""
    appointment = Appointment(
        reference=new_reference(),
        slot=slot,
        procedure=slot.procedure,
        applicant=applicant,
        identity_key=applicant.identity_key,
        surname=applicant.surname,
        given_names=applicant.given_names,
        birth_date=applicant.birth_date,
        nationality=applicant.nationality,
        document_type=applicant.document_type,
        document_number=applicant.document_number,
        channel=channel,
        booked_by=actor,
        booked_by_role=actor.role,
        created_at=now,
        updated_at=now,
    )
    return appointment


def _appointment_insert(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    for _attempt in range(5):
        appointment = _appointment_new(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        try:
            with transaction.atomic():
                appointment.save(force_insert=True)
        except IntegrityError as exc:
            if _is_one_active_violation(exc):
                raise errors.AlreadyBooked() from None
            if "reference" in _constraint_of(exc):
                continue  # 31^8 references: a collision is rare, try another
            raise
        return appointment
    raise RuntimeError("Could not draw a free appointment reference.")  # pragma: no cover


def _appointment_lock(appointment: Appointment) -> Appointment:
    """Lock the appointment's row, then read it afresh with its slot and applicant.

    The row is locked on its own: locked in a join, a row that another
    transaction updated meanwhile (a reschedule moved it to another slot) is
    rechecked by PostgreSQL against the slot row read before the wait, no
    longer matches, and the appointment would seem not to exist.
    """
    list(Appointment.objects.select_for_update().filter(pk=appointment.pk).values_list("pk"))
    # The applicant's account too: its confirmed contacts are where the messages go.
    return Appointment.objects.select_related("slot", "procedure", "applicant__user").get(
        pk=appointment.pk
    )


def appointment_cancel(*, actor: User, appointment: Appointment) -> Appointment:
    """Cancel an active appointment and free its seat, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        locked = _appointment_lock(appointment)
        if not can_act_for(actor, locked.applicant, site_id=locked.slot.site_id):
            raise errors.NotAllowed()
        if locked.status != AppointmentStatus.BOOKED:
            raise errors.AppointmentNotActive()
        if locked.slot.starts_at <= now:
            raise errors.AppointmentPast()
        locked.status = AppointmentStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = actor
        locked.updated_at = now
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        _slot_release(locked.slot_id)
        availability_cache.capacity_changed([locked.procedure.slug])
        notifications.appointment_notify(appointment=locked, event=notifications.CANCELLED, now=now)
        notifications.freed_seat_owe(slot=locked.slot, procedure=locked.procedure, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_CANCELLED,
            appointment=locked,
            details={"slot": locked.slot_id},
        )
    return locked


def appointment_reschedule(
    *, actor: User, appointment: Appointment, new_slot_id: int
) -> Appointment:
    """Move an active appointment to another slot of the same procedure.

    The new seat is claimed before the old one is released; if the new slot
    cannot be had, the transaction rolls back and the old appointment stands.
    The reference and the identity stay the same.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = _appointment_lock(appointment)
        # Where it is now; where it goes is checked with the new slot below.
        if not can_act_for(actor, locked.applicant, site_id=locked.slot.site_id):
            raise errors.NotAllowed()
        if locked.status != AppointmentStatus.BOOKED:
            raise errors.AppointmentNotActive()
        if locked.slot.starts_at <= now:
            raise errors.AppointmentPast()
        new_slot = _get_slot(new_slot_id)
        if new_slot.pk == locked.slot_id:
            raise errors.SameSlot()
        # A slot of another procedure is not one this appointment may see.
        if new_slot.procedure_id != locked.procedure_id:
            raise errors.SlotNotFound()
        _check_bookable(actor=actor, applicant=locked.applicant, slot=new_slot, now=now)
        old_slot, old_slot_id, old_starts_at = locked.slot, locked.slot_id, locked.slot.starts_at
        # Both slot rows, in primary-key order: crossing reschedules cannot deadlock.
        list(
            Slot.objects.select_for_update()
            .filter(pk__in=sorted((old_slot_id, new_slot.pk)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _slot_claim(new_slot.pk)
        _slot_release(old_slot_id)
        availability_cache.capacity_changed([new_slot.procedure.slug])
        # The seat left behind is freed as a cancellation frees one.
        notifications.freed_seat_owe(slot=old_slot, procedure=locked.procedure, now=now)
        locked.slot = new_slot
        locked.reschedule_count = F("reschedule_count") + 1
        locked.updated_at = now
        locked.save(update_fields=["slot", "reschedule_count", "updated_at"])
        locked.refresh_from_db(fields=["reschedule_count"])
        notifications.appointment_notify(
            appointment=locked, event=notifications.RESCHEDULED, now=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_RESCHEDULED,
            appointment=locked,
            details={
                "from_slot": old_slot_id,
                "from_starts_at": old_starts_at.isoformat(),
                "to_slot": new_slot.pk,
                "to_starts_at": new_slot.starts_at.isoformat(),
            },
        )
    return locked


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


# --- Publishing capacity ---------------------------------------------------------


@dataclass(frozen=True)
class OpeningRange:
    start: time
    end: time


@dataclass(frozen=True)
class PublicationResult:
    publication: Publication
    created: int
    skipped: int


def _publication_invalid(message) -> errors.InvalidPublication:
    return errors.InvalidPublication(message)


def _validate_publication(
    *,
    date_from: date,
    date_to: date,
    weekdays: set[int],
    ranges: Sequence[OpeningRange],
    slot_minutes: int,
    counters: int,
    mediation_counters: int,
    priority_counters: int,
    visible_at: datetime | None,
    visible_until: datetime | None,
    today: date,
) -> None:
    if date_to < date_from:
        raise _publication_invalid(_("The end date is before the start date."))
    if date_from < today:
        raise _publication_invalid(_("Capacity cannot be published for past dates."))
    if (date_to - date_from).days >= MAX_PUBLICATION_DAYS:
        raise _publication_invalid(_("A publication covers at most one year."))
    if not weekdays or not weekdays <= set(range(7)):
        raise _publication_invalid(_("Choose at least one weekday (0 = Monday … 6 = Sunday)."))
    if not ranges:
        raise _publication_invalid(_("Give at least one opening range."))
    if slot_minutes <= 0 or slot_minutes > 480:
        raise _publication_invalid(_("The slot length must be between 1 and 480 minutes."))
    ordered = sorted(ranges, key=lambda r: r.start)
    for rng in ordered:
        if rng.end <= rng.start:
            raise _publication_invalid(_("An opening range ends before it starts."))
        length = datetime.combine(today, rng.end) - datetime.combine(today, rng.start)
        if length < timedelta(minutes=slot_minutes):
            raise _publication_invalid(_("An opening range is shorter than one slot."))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise _publication_invalid(_("Opening ranges overlap."))
    if counters < 1 or counters > 200:
        raise _publication_invalid(_("The number of counters must be between 1 and 200."))
    if mediation_counters < 0 or priority_counters < 0:
        raise _publication_invalid(_("Reserved counters cannot be negative."))
    if mediation_counters + priority_counters > counters:
        raise _publication_invalid(_("More counters are reserved than there are counters."))
    if visible_until is not None and (visible_at is None or visible_until < visible_at):
        raise _publication_invalid(_("A random visibility window needs a start before its end."))


def _visibility_moment(
    visible_at: datetime | None, visible_until: datetime | None, now: datetime
) -> datetime:
    """The chosen moment, or one drawn at random in the window (to beat bots that
    poll at the usual hour)."""
    start = visible_at or now
    if visible_until is None or visible_until == start:
        return start
    span = int((visible_until - start).total_seconds())
    return start + timedelta(seconds=secrets.randbelow(span + 1))


def _slot_starts(
    *,
    date_from: date,
    date_to: date,
    weekdays: set[int],
    ranges: Sequence[OpeningRange],
    slot_minutes: int,
    tz: ZoneInfo,
) -> Iterable[tuple[datetime, datetime]]:
    step = timedelta(minutes=slot_minutes)
    day = date_from
    while day <= date_to:
        if day.weekday() in weekdays:
            for rng in ranges:
                # Step in UTC, not on the local clock: on a DST change day a local
                # range lasts an hour less or more, and stepping the clock would
                # start slots twice or skip an hour. Each lasts ``slot_minutes``.
                start = datetime.combine(day, rng.start, tzinfo=tz).astimezone(UTC)
                end_of_range = datetime.combine(day, rng.end, tzinfo=tz).astimezone(UTC)
                while start + step <= end_of_range:
                    yield start, start + step
                    start += step
        day += timedelta(days=1)


def slots_publish(
    *,
    actor: User,
    site: Site,
    procedure: Procedure,
    date_from: date,
    date_to: date,
    weekdays: Iterable[int],
    opening_ranges: Sequence[OpeningRange],
    counters: int,
    slot_minutes: int | None = None,
    mediation_counters: int = 0,
    priority_counters: int = 0,
    visible_at: datetime | None = None,
    visible_until: datetime | None = None,
) -> PublicationResult:
    """Put capacity online for ``site`` and ``procedure``.

    One slot row per time and pool (public, mediation, priority) whose
    capacity is that pool's number of counters. A start that already has
    slots for the same site and procedure (in any pool) is left alone:
    publishing the same window twice creates nothing twice.
    """
    if not can_publish(actor, site):
        raise errors.NotAllowed(_("You may only publish capacity for your own sites."))
    now = timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    length = slot_minutes if slot_minutes is not None else procedure.duration_minutes
    weekday_set = set(weekdays)
    opening_ranges = sorted(opening_ranges, key=lambda r: r.start)
    _validate_publication(
        date_from=date_from,
        date_to=date_to,
        weekdays=weekday_set,
        ranges=opening_ranges,
        slot_minutes=length,
        counters=counters,
        mediation_counters=mediation_counters,
        priority_counters=priority_counters,
        visible_at=visible_at,
        visible_until=visible_until,
        today=timezone.localdate(now),
    )
    published_at = _visibility_moment(visible_at, visible_until, now)
    pools = [
        (Pool.PUBLIC, counters - mediation_counters - priority_counters),
        (Pool.MEDIATION, mediation_counters),
        (Pool.PRIORITY, priority_counters),
    ]
    pools = [(pool, capacity) for pool, capacity in pools if capacity > 0]
    times = [
        (start, end)
        for start, end in _slot_starts(
            date_from=date_from,
            date_to=date_to,
            weekdays=weekday_set,
            ranges=opening_ranges,
            slot_minutes=length,
            tz=tz,
        )
        if start > now
    ]
    with transaction.atomic():
        # Publications for one site take turns: two concurrent ones with different
        # pool splits must not both find a time free and both add seats to it.
        list(Site.objects.select_for_update().filter(pk=site.pk).values_list("pk", flat=True))
        publication = Publication.objects.create(
            site=site,
            procedure=procedure,
            created_by=actor,
            created_at=now,
            visible_at=published_at,
            date_from=date_from,
            date_to=date_to,
            parameters={
                "weekdays": sorted(weekday_set),
                "opening_ranges": [
                    [r.start.isoformat(), r.end.isoformat()] for r in opening_ranges
                ],
                "slot_minutes": length,
                "counters": counters,
                "mediation_counters": mediation_counters,
                "priority_counters": priority_counters,
            },
        )
        # A time already published keeps its seats, in whatever pools: publishing
        # it again with another split must not add seats beyond its counters.
        existing: set[datetime] = set()
        if times:
            existing = set(
                Slot.objects.filter(
                    site=site,
                    procedure=procedure,
                    starts_at__gte=times[0][0],
                    starts_at__lte=times[-1][0],
                ).values_list("starts_at", flat=True)
            )
        new_slots = [
            Slot(
                site=site,
                procedure=procedure,
                publication=publication,
                starts_at=start,
                ends_at=end,
                pool=pool,
                capacity=capacity,
                published_at=published_at,
            )
            for start, end in times
            for pool, capacity in pools
            if start not in existing
        ]
        # ignore_conflicts covers a concurrent publication of the same window.
        Slot.objects.bulk_create(new_slots, batch_size=2000, ignore_conflicts=True)
        availability_cache.capacity_changed([procedure.slug])
        totals = Slot.objects.filter(publication=publication).aggregate(
            slots=Count("pk"), seats=Sum("capacity")
        )
        created = totals["slots"]
        publication.slots_created = created
        publication.seats_created = totals["seats"] or 0
        publication.save(update_fields=["slots_created", "seats_created"])
        audit_record(
            actor=actor,
            action=AuditAction.SLOTS_PUBLISHED,
            details={
                "publication": publication.pk,
                "site": site.slug,
                "procedure": procedure.slug,
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "visible_at": published_at.isoformat(),
                "pools": {pool.value: seats for pool, seats in pools},
                "slots_created": created,
                "seats_created": publication.seats_created,
                "skipped": len(times) * len(pools) - created,
            },
        )
    return PublicationResult(
        publication=publication, created=created, skipped=len(times) * len(pools) - created
    )
