"""The booking rulebook: when a slot may be seen, booked, cancelled or moved.

The only place that knows these rules. The pages (``booking.views``,
``booking.calendar``), the API and its fast refusal of full slots
(``booking.api.soldout``), availability (``booking.selectors``) and the
moments its cached answers expire (``booking.api.views.availability``), and
the services that write (``booking.services``) all ask here; none restates a
rule. Each rule is one function, looked up at call time, so that changing one
changes every caller (``tests/booking/test_rules.py`` checks it).

A slot the caller may not see (capacity not yet visible, beyond the booking
horizon, in a pool reserved for others) answers exactly as a slot that does
not exist: the same status, the same body. Slot ids are sequential; any other
answer would tell a bot which ids are coming and when.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import formats, timezone

from accounts.models import Role, User
from accounts.permissions import is_verified
from booking import errors, horizon
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    Applicant,
    Appointment,
    AppointmentStatus,
    BlockReason,
    BookingBlock,
    Pool,
    PriorityRight,
    Procedure,
    Site,
    Slot,
)
from booking.permissions import allowed_pools, can_act_for
from core.errors import DomainError

if TYPE_CHECKING:
    from booking.statements import SlotRead

# Draws that must not be guessed (the moment a freed seat comes back).
_random = random.SystemRandom()

# Staff who may book what applicants do not see yet (not visible, beyond the
# horizon) and past the cut-off.
PRIVILEGED_ROLES = (Role.AGENT, Role.SUPERVISOR)


def is_privileged(actor: User) -> bool:
    return actor.role in PRIVILEGED_ROLES


# --- Cut-off and horizon: the window of starts open to booking ---------------------
#
# Two windows. Online (applicants, mediators, the API's availability): from the
# procedure's cut-off to its horizon. At the counter (agents and supervisors,
# ``books_at_counter``): a walk-in or a priority case is served now, so any slot
# that has not started, up to the last one published (no horizon: a court order
# or a priority case may need a time beyond the public one). The services check
# the same windows (``booking_check``); the pages ask ``availability_window``
# with ``counter`` set for the actor.

# A slot starting at ``now`` has started (``SlotInPast``): the counter's window
# opens just after it.
_NOT_STARTED = timedelta(microseconds=1)


def books_at_counter(actor: User | None) -> bool:
    """Does ``actor`` book with the counter's window (agents, supervisors)
    rather than the online one (applicants, mediators, anyone else)?"""
    return actor is not None and actor.is_authenticated and is_privileged(actor)


def cutoff(procedure: Procedure) -> timedelta:
    """How long before its start a slot of ``procedure`` closes to online booking
    (the counter may still book it)."""
    return timedelta(hours=procedure.cutoff_hours)


def earliest_start(procedure: Procedure, now: datetime, *, counter: bool = False) -> datetime:
    """The first start open to booking at ``now``: earlier ones are closed.
    Online: after the cut-off; at the counter (``counter``): any start to come."""
    if counter:
        return now + _NOT_STARTED
    return now + cutoff(procedure)


def closes_at(procedure: Procedure, starts_at: datetime) -> datetime:
    """The moment a slot starting at ``starts_at`` closes to online booking."""
    return starts_at - cutoff(procedure)


def horizon_end(procedure: Procedure | SlotRead, now: datetime) -> datetime:
    """Slots of ``procedure`` starting before this moment are within its booking
    horizon at ``now``; later ones are not released yet: the step of
    ``booking.horizon``, at a moment nobody can compute in advance. Reads the
    procedure's ``Horizon`` unless it came with it (a ``SlotRead`` carries it).
    The online window's end; the counter's has none (``availability_window``)."""
    return horizon.end_at(horizon_days=procedure.horizon_days, row=horizon.of(procedure), now=now)


def horizon_step(procedure: Procedure, now: datetime) -> tuple[datetime, datetime] | None:
    """When the horizon next moves by itself and where to, if that is known:
    for the availability cache's expiry only, never to be shown."""
    step_at = horizon.next_change(procedure, now)
    if step_at is None:
        return None
    return step_at, horizon.of(procedure).next_released_until


def availability_window(
    procedure: Procedure,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime,
    counter: bool = False,
) -> tuple[datetime, datetime | None, bool]:
    """The starts open to booking now, within the local days asked for:
    ``[earliest, latest)``, and whether ``latest`` is the procedure's horizon
    (which moves with time: later slots enter) rather than the end of ``date_to``.
    ``counter``: the counter's window (``books_at_counter``): from now, and
    ``latest`` is ``None`` (no end: up to the last slot published) unless
    ``date_to`` sets one; it never moves."""
    earliest = earliest_start(procedure, now, counter=counter)
    latest: datetime | None = None if counter else horizon_end(procedure, now)
    moving = not counter
    tz = timezone.get_current_timezone()
    if date_from is not None:
        earliest = max(earliest, datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        if latest is None or end <= latest:
            latest, moving = end, False
    return earliest, latest, moving


def availability_changes_at(
    *,
    procedure: Procedure,
    first_start: datetime | None,
    becomes_visible: Iterable[datetime],
    horizon_entry: datetime | None,
) -> datetime | None:
    """When an answer of availability changes with no write: its first slot
    (starting at ``first_start``) closes, a slot of its window becomes visible,
    the horizon's step brings one in (``horizon_entry``). ``None``: none of these."""
    moments = list(becomes_visible)
    if first_start is not None:
        moments.append(closes_at(procedure, first_start))
    if horizon_entry is not None:
        moments.append(horizon_entry)
    return min(moments) if moments else None


# --- Seeing and booking a slot -------------------------------------------------------


def slot_hidden(
    slot: Slot | SlotRead,
    *,
    pools: Collection[str],
    privileged: bool,
    now: datetime,
    procedure: Procedure | SlotRead | None = None,
) -> bool:
    """Whether a caller who may use ``pools`` (``privileged``: an agent) may not
    see ``slot`` at ``now``: it must then answer as a missing one. ``procedure``
    is whose horizon counts (default: the slot's; a ``SlotRead`` is its own)."""
    if slot.pool not in pools:
        return True
    if privileged:
        return False
    if slot.published_at > now:
        return True
    return slot.starts_at >= horizon_end(procedure or slot.procedure, now)


def document_accepted(procedure: Procedure, document_type: str) -> bool:
    """Does ``procedure`` take an identity proven by ``document_type``?"""
    return procedure.accepts(document_type)


def visibility_check(*, actor: User, slot: Slot, now: datetime) -> None:
    """Raise ``SlotNotFound`` if ``actor`` may not see ``slot``: before any
    other check, so that nothing tells such a slot from one that does not exist."""
    if slot_hidden(
        slot, pools=slot_pools(actor, slot, now), privileged=is_privileged(actor), now=now
    ):
        raise errors.SlotNotFound()


# --- The priority right (a closure cancelled the person's appointment) ------------------


def priority_rights_valid(*, applicant_id: int, procedure_id: int, now: datetime):
    """The person's priority rights for the procedure they may still use: not
    used, not expired. Soonest to expire first (the one a booking uses)."""
    return PriorityRight.objects.filter(
        applicant_id=applicant_id,
        procedure_id=procedure_id,
        used_at__isnull=True,
        valid_until__gt=now,
    ).order_by("valid_until", "pk")


def priority_right_held(user: User, procedure_id: int, now: datetime) -> bool:
    """Does ``user``, an applicant, hold a valid priority right for the procedure?
    Then they may see and book its priority pool themselves, once (the booking
    uses the right: ``booking.services.appointment_book``). One query."""
    if not (user.is_authenticated and user.is_active and user.role == Role.APPLICANT):
        return False
    return PriorityRight.objects.filter(
        applicant__user_id=user.pk,
        procedure_id=procedure_id,
        used_at__isnull=True,
        valid_until__gt=now,
    ).exists()


def uses_priority_right(actor: User, slot: Slot) -> bool:
    """Does booking ``slot`` need (and so use) ``actor``'s priority right? An
    applicant booking a priority slot: the pool is not theirs otherwise."""
    return slot.pool == Pool.PRIORITY and slot.pool not in allowed_pools(actor)


def slot_pools(actor: User, slot: Slot, now: datetime) -> frozenset[str]:
    """The pools ``actor`` may use for ``slot``: their role's, and the priority
    pool of the slot's procedure while they hold a right for it. The right is
    looked up only for a priority slot: the public pool's path costs nothing more."""
    pools = allowed_pools(actor)
    if uses_priority_right(actor, slot) and priority_right_held(actor, slot.procedure_id, now):
        return pools | {Pool.PRIORITY.value}
    return pools


def booking_check(*, actor: User, applicant: Applicant, slot: Slot, now: datetime) -> None:
    """Raise the first reason why ``actor`` may not book ``slot`` for ``applicant``
    (the slot with its site and procedure loaded)."""
    visibility_check(actor=actor, slot=slot, now=now)
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
    if slot.starts_at < earliest_start(procedure, now, counter=books_at_counter(actor)):
        raise errors.BookingClosed()
    if not document_accepted(procedure, applicant.document_type):
        raise errors.DocumentNotAccepted(required=procedure.get_required_document_display())


def held_booking_check(
    *, actor: User | None, applicant: Applicant, slot: Slot, now: datetime
) -> None:
    """``booking_check`` for a seat held for ``applicant`` (an offer accepted):
    the same rules but the pool's and the cut-off's, which the offer answered
    for when it was made (``allocation.rules``). ``actor`` ``None``: the person
    by their offer's link, whose token answered for who they are."""
    if actor is not None:
        if not can_act_for(actor, applicant, site_id=slot.site_id):
            raise errors.NotAllowed()
        if actor.role == Role.APPLICANT and not is_verified(actor):
            raise errors.AccountNotVerified()
    procedure = slot.procedure
    if not (procedure.is_active and slot.site.is_active):
        raise errors.ProcedureUnavailable()
    if slot.starts_at <= now:
        raise errors.SlotInPast()
    if not document_accepted(procedure, applicant.document_type):
        raise errors.DocumentNotAccepted(required=procedure.get_required_document_display())


# --- Changing an appointment -------------------------------------------------------------


def change_refusal(appointment: Appointment, now: datetime) -> DomainError | None:
    """Why ``appointment`` may no longer be cancelled or moved, or ``None``:
    only a booked appointment (not checked in, not over) whose slot is to come."""
    if appointment.status != AppointmentStatus.BOOKED:
        return errors.AppointmentNotActive()
    if appointment.slot.starts_at <= now:
        return errors.AppointmentPast()
    return None


def changeable(appointment: Appointment, now: datetime) -> bool:
    """May ``appointment`` still be cancelled or moved (what the pages offer)?"""
    return change_refusal(appointment, now) is None


# --- Blocks: when a person may not book a procedure for a while ---------------------
#
# A ``BookingBlock`` in force (``until`` after now) refuses every booking of its
# person for its procedure, by anyone (the person, a mediator, an agent). The
# booking statement (``booking.statements``) holds the condition itself, so that
# the hot path costs no query more; when it refuses, ``block_refusal`` says why.


def no_show_window_start(now: datetime) -> datetime:
    """No-shows before this moment no longer count (``NO_SHOW_WINDOW_MONTHS``)."""
    return now - relativedelta(months=settings.NO_SHOW_WINDOW_MONTHS)


def no_show_block_until(*, count: int, last_no_show: datetime, now: datetime) -> datetime | None:
    """Until when a person with ``count`` no-shows for a procedure within the
    window (the last starting at ``last_no_show``) may not book it again, or
    ``None``: after ``NO_SHOW_LIMIT`` of them, ``NO_SHOW_COOLING_DAYS`` days
    after the last one."""
    if count < settings.NO_SHOW_LIMIT:
        return None
    until = last_no_show + timedelta(days=settings.NO_SHOW_COOLING_DAYS)
    return until if until > now else None


def blocks_in_force(now: datetime) -> QuerySet[BookingBlock]:
    """The blocks in force at ``now``."""
    return BookingBlock.objects.filter(until__gt=now)


def booking_block(*, applicant_id: int, procedure_id: int, now: datetime) -> BookingBlock | None:
    """The block in force on ``applicant_id`` for ``procedure_id`` at ``now``
    that lasts longest, or ``None``."""
    return (
        blocks_in_force(now)
        .filter(applicant_id=applicant_id, procedure_id=procedure_id)
        .order_by("-until")
        .first()
    )


def block_error(block: BookingBlock) -> DomainError:
    """The refusal a block in force gives, saying why and until when."""
    until = formats.date_format(timezone.localtime(block.until), "DATE_FORMAT")
    if block.reason == BlockReason.NO_SHOWS:
        return errors.NoShowCooling(
            count=settings.NO_SHOW_LIMIT, months=settings.NO_SHOW_WINDOW_MONTHS, until=until
        )
    if block.reason == BlockReason.CANCELLED:
        until = formats.date_format(timezone.localtime(block.until), "DATETIME_FORMAT")
        return errors.CancelCooling(until=until)
    raise ValueError(f"no refusal for a block of reason {block.reason!r}")  # pragma: no cover


def block_refusal(*, applicant_id: int, procedure_id: int, now: datetime) -> DomainError | None:
    """Why ``applicant_id`` may not book ``procedure_id`` at ``now`` because of a
    block, or ``None``: what the pages show before the booking, and what a
    booking the statement refused is told."""
    block = booking_block(applicant_id=applicant_id, procedure_id=procedure_id, now=now)
    return None if block is None else block_error(block)


# --- How a procedure's public capacity is given out ----------------------------------
#
# ``open``: first come, first served (the public pool). ``queue``: the waiting
# list (``allocation``): the public capacity is published in the pool ``queue``,
# which no role books directly, and each seat is offered in the list's order.
# A freed seat stays in its slot's pool: in a ``queue`` procedure it goes back to
# the list, never to the open calendar; in an ``open`` one it is shown again
# after a random delay, and whoever let it go may not take it back at once.


def allocation_modes(
    procedure_ids: Collection[int] | None = None,
) -> dict[tuple[int, int | None], str]:
    """The modes set, by ``(procedure id, site id or None)``. One query."""
    rows = AllocationPolicy.objects.all()
    if procedure_ids is not None:
        rows = rows.filter(procedure_id__in=list(procedure_ids))
    return {(row.procedure_id, row.site_id): row.mode for row in rows}


def allocation_mode(
    procedure_id: int, site_id: int, *, modes: dict[tuple[int, int | None], str] | None = None
) -> str:
    """How ``procedure_id``'s public capacity at ``site_id`` is given out: the
    site's own mode, else the procedure's, else ``open``. ``modes``: what
    ``allocation_modes`` read already (no query then)."""
    if modes is None:
        modes = allocation_modes([procedure_id])
    return modes.get(
        (procedure_id, site_id), modes.get((procedure_id, None), AllocationMode.OPEN.value)
    )


def given_by_list_at(sites: QuerySet[Site]) -> Exists:
    """An expression on ``Procedure``: whether ``allocation_mode`` is ``queue``
    at one of ``sites`` (the site's own mode, else the procedure's). For an
    annotation of the query that reads the procedure: no query of its own. The
    staff's "nothing free" pages ask it over the sites they act at, as their
    join form lists the procedures (``allocation.views.on_behalf.queue_choices``)."""
    own = AllocationPolicy.objects.filter(procedure=OuterRef(OuterRef("pk")), site=OuterRef("pk"))
    its = AllocationPolicy.objects.filter(
        procedure=OuterRef(OuterRef("pk")), site__isnull=True, mode=AllocationMode.QUEUE
    )
    return Exists(
        sites.filter(Exists(own.filter(mode=AllocationMode.QUEUE)) | (~Exists(own) & Exists(its)))
    )


def allocation_mode_sql(procedure: str, site: str) -> str:
    """``allocation_mode`` in SQL, for the id expressions ``procedure`` and
    ``site`` (columns of the statement it goes in): the site's own mode, else
    the procedure's, else ``open``. No parameter: the hot read of a join
    (``allocation.api.hotpath``) puts it in the token lookup's statement."""
    quote = connection.ops.quote_name
    table = quote(AllocationPolicy._meta.db_table)
    procedure_id = quote(AllocationPolicy._meta.get_field("procedure").column)
    site_id = quote(AllocationPolicy._meta.get_field("site").column)
    mode = quote(AllocationPolicy._meta.get_field("mode").column)
    # Identifiers from the models' metadata, quoted; the default a constant of the code.
    return (
        f"COALESCE((SELECT m.{mode} FROM {table} m "  # noqa: S608
        f"WHERE m.{procedure_id} = {procedure} AND m.{site_id} = {site}), "
        f"(SELECT m.{mode} FROM {table} m "
        f"WHERE m.{procedure_id} = {procedure} AND m.{site_id} IS NULL), "
        f"'{AllocationMode.OPEN.value}')"
    )


def public_pool(procedure_id: int, site_id: int, **kwargs) -> str:
    """The pool a publication's public counters go to: ``public``, or ``queue``
    where the waiting list gives the capacity out."""
    if allocation_mode(procedure_id, site_id, **kwargs) == AllocationMode.QUEUE:
        return Pool.QUEUE.value
    return Pool.PUBLIC.value


def pools_of_site(procedure_id: int, site_id: int, **kwargs) -> tuple[str, ...]:
    """The pools ``procedure_id``'s capacity at ``site_id`` is published into
    now: its public pool (``public_pool``), then mediation's and priority's."""
    return (public_pool(procedure_id, site_id, **kwargs), Pool.MEDIATION.value, Pool.PRIORITY.value)


def freed_seat_release_at(slot: Slot, now: datetime) -> datetime | None:
    """When a seat freed now on ``slot`` is shown again: ``None`` at once (not
    the public pool, or no delay set), else a moment drawn at random within
    ``FREED_SEAT_DELAY_MAX_MINUTES``, never past the slot's online cut-off."""
    delay_max = settings.FREED_SEAT_DELAY_MAX_MINUTES
    if slot.pool != Pool.PUBLIC or delay_max <= 0:
        return None
    release_at = now + timedelta(seconds=_random.randint(1, delay_max * 60))
    return min(release_at, max(now, closes_at(slot.procedure, slot.starts_at)))


def cancel_block_until(*, slot: Slot, by_applicant: bool, now: datetime) -> datetime | None:
    """Until when the identity whose appointment on ``slot`` was just cancelled
    may not book the procedure again: ``CANCEL_COOLING_HOURS`` for an
    appointment of the public pool cancelled by its person (or staff for them);
    ``None`` when the prefecture cancels (a closure) or no cooling is set."""
    hours = settings.CANCEL_COOLING_HOURS
    if slot.pool != Pool.PUBLIC or hours <= 0 or not by_applicant:
        return None
    return now + timedelta(hours=hours)
