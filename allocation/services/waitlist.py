"""Joining the waiting list (leaving, resuming and changing an entry:
``allocation.services.entries``).

Whoever acts (the person, or staff for them: ``booking.permissions.can_act_for``
at every site chosen, and for a mediator the person's consent for the waiting
list, asked through ``allocation.signals.acting_for_entry``) writes the entry,
its audit row and, when seats wait, the allocation after the commit. The
database keeps one entry in force per identity and procedure.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import nullcontext
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Value
from django.utils import timezone

from accounts.errors import AccountSuspended
from accounts.models import Role, User
from accounts.permissions import is_verified
from accounts.suspension import SuspendedLocked
from allocation import errors, rules, signals, statements
from allocation.models import (
    WaitlistEntry,
)
from allocation.services.scheduling import allocation_after_join
from audit.models import AuditAction
from audit.services import audit_event
from booking import errors as booking_errors
from booking import rules as booking_rules
from booking.models import (
    ACTIVE_STATUSES,
    AllocationMode,
    Applicant,
    Appointment,
    Channel,
    Procedure,
    Site,
)
from booking.permissions import can_act_for
from core.db import PreparedQuery

WEEKDAYS = range(1, 8)


def _for_someone(actor: User) -> bool:
    return actor.role != Role.APPLICANT


def _acting(*, actor: User, applicant: Applicant, event: str, now: datetime) -> dict:
    """What the receivers of ``acting_for_entry`` say (they may refuse)."""
    if not _for_someone(actor):
        return {}
    details: dict = {}
    for _receiver, answer in signals.acting_for_entry.send(
        sender=WaitlistEntry, actor=actor, applicant=applicant, event=event, now=now
    ):
        details.update(answer or {})
    return details


def _check_actor(*, actor: User, applicant: Applicant, site_ids: Collection[int]) -> None:
    if not site_ids or not all(
        can_act_for(actor, applicant, site_id=site_id) for site_id in site_ids
    ):
        raise booking_errors.NotAllowed()
    if actor.role == Role.APPLICANT and not is_verified(actor):
        raise booking_errors.AccountNotVerified()


def queue_sites(procedure: Procedure) -> list[Site]:
    """The active sites whose capacity of ``procedure`` its waiting list gives out."""
    modes = booking_rules.allocation_modes([procedure.pk])
    return [
        site
        for site in Site.objects.filter(is_active=True).order_by("name")
        if booking_rules.allocation_mode(procedure.pk, site.pk, modes=modes) == AllocationMode.QUEUE
    ]


def _choice_checked(
    site_ids: Collection[int], weekdays_excluded: Collection[int]
) -> tuple[list[int], list[int]]:
    """The sites and the weekdays excluded of an entry, sorted, once; at least
    one site and one day left, ISO weekdays only (``InvalidEntry``)."""
    sites = sorted({int(site_id) for site_id in site_ids})
    excluded = sorted({int(day) for day in weekdays_excluded})
    if not sites or any(day not in WEEKDAYS for day in excluded) or len(excluded) >= 7:
        raise errors.InvalidEntry()
    return sites, excluded


def _listed_only(
    site_ids: list[int], procedure: Procedure, queue_site_ids: Collection[int] | None = None
) -> list[int]:
    """Those of ``site_ids`` whose capacity of ``procedure`` the list gives out
    (``queue_site_ids`` when the caller read them; ``NotGivenOutByList`` if none)."""
    if queue_site_ids is None:
        queue_site_ids = [site.pk for site in queue_sites(procedure)]
    listed = set(queue_site_ids)
    kept = [site_id for site_id in site_ids if site_id in listed]
    if not kept:
        raise errors.NotGivenOutByList()
    return kept


# Sentinels of the values a join's read of the person changes from call to call
# (``core.db.PreparedQuery``): nothing else in the query has them.
_APPLICANT, _PROCEDURE, _ACTOR = -710_000_001, -710_000_002, -710_000_003
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC)


def _standing_query(*, applicant_id: int, procedure_id: int, actor_id: int, now: datetime):
    return (
        Applicant.objects.filter(pk=applicant_id)
        .annotate(
            booked=Exists(
                Appointment.objects.filter(
                    applicant=OuterRef("pk"), procedure_id=procedure_id, status__in=ACTIVE_STATUSES
                )
            ),
            blocked=Exists(
                booking_rules.blocks_in_force(now).filter(
                    applicant=OuterRef("pk"), procedure_id=procedure_id
                )
            ),
            suspended=SuspendedLocked(Value(actor_id)),
            **rules.priority_facts(procedure_id=procedure_id, now=now),
        )
        .values_list(*statements.STANDING_FACTS)
    )


_STANDING = PreparedQuery(
    _standing_query, applicant_id=_APPLICANT, procedure_id=_PROCEDURE, actor_id=_ACTOR, now=_NOW
)


def _refusal(facts: dict, *, applicant: Applicant, procedure: Procedure, now: datetime):
    """What the facts of a join's read refuse (``_standing_query``), if
    anything: the acting account suspended while the request ran
    (``AccountSuspended``), a block in force (its refusal:
    ``booking.rules.block_refusal``, read again only then; ``None`` if lifted
    since), an active appointment (``AlreadyBooked``)."""
    if facts["suspended"]:
        return AccountSuspended()
    if facts["blocked"]:
        return booking_rules.block_refusal(
            applicant_id=applicant.pk, procedure_id=procedure.pk, now=now
        )
    if facts["booked"]:
        return booking_errors.AlreadyBooked()
    return None


def waitlist_join(
    *,
    actor: User,
    applicant: Applicant,
    procedure: Procedure,
    site_ids: Collection[int],
    weekdays_excluded: Collection[int] = (),
    permit_expires_on: date | None = None,
    channel: str = Channel.WEB,
    queue_site_ids: Collection[int] | None = None,
) -> WaitlistEntry:
    """Put ``applicant`` on ``procedure``'s waiting list for the sites they can
    reach (those of ``site_ids`` the list gives out: ``NotGivenOutByList`` if
    none) and the weekdays they can come. Refused while they hold an active
    appointment for it (``AlreadyBooked``), are on its list already
    (``AlreadyWaiting``) or are blocked from booking it. Seats waiting to be
    offered are offered after the commit. ``queue_site_ids``: which of
    ``site_ids`` the list gives out, when the caller read it already (with
    ``booking.rules.allocation_mode_sql``); else read here (``queue_sites``)."""
    now = timezone.now()
    site_ids, excluded = _choice_checked(site_ids, weekdays_excluded)
    if not (procedure.is_active):
        raise booking_errors.ProcedureUnavailable()
    if actor.role == Role.APPLICANT and not procedure.self_booking:
        raise booking_errors.ProcedureNotSelfBookable()
    if not booking_rules.document_accepted(procedure, applicant.document_type):
        raise booking_errors.DocumentNotAccepted(required=procedure.get_required_document_display())
    site_ids = _listed_only(site_ids, procedure, queue_site_ids)
    _check_actor(actor=actor, applicant=applicant, site_ids=site_ids)
    if permit_expires_on is not None and actor.role == Role.APPLICANT:
        permit_expires_on = None  # staff record it, having seen the permit
    # A person joining themselves: one statement, its own transaction
    # (``statements.entry_join``). Staff: in a transaction, which holds what
    # the receivers of ``acting_for_entry`` lock (a mediator's consent) until
    # the entry is written.
    with transaction.atomic() if _for_someone(actor) else nullcontext():
        return _join_written(
            actor=actor,
            applicant=applicant,
            procedure=procedure,
            site_ids=site_ids,
            excluded=excluded,
            permit_expires_on=permit_expires_on,
            channel=channel,
            now=now,
        )


def _join_written(
    *,
    actor: User,
    applicant: Applicant,
    procedure: Procedure,
    site_ids: list[int],
    excluded: list[int],
    permit_expires_on: date | None,
    channel: str,
    now: datetime,
) -> WaitlistEntry:
    """``waitlist_join`` once its input is checked: the receivers' answer, the
    entry and its audit row written if nothing refuses the person."""
    details = _acting(actor=actor, applicant=applicant, event=signals.JOINED, now=now)
    entry = WaitlistEntry(
        applicant=applicant,
        procedure=procedure,
        identity_key=applicant.identity_key,
        site_ids=site_ids,
        weekdays_excluded=excluded,
        permit_expires_on=permit_expires_on,
        # The class of the permit's expiry: the statement raises it for a court
        # order or a closure's right it reads (``rules.priority_class_raised_sql``).
        priority_class=rules.priority_class(
            court_order=False,
            cancelled_by_prefecture=False,
            permit_expires_on=permit_expires_on,
            now=now,
        ),
        queued_at=now,
        joined_at=now,
        channel=channel,
        created_by=actor if actor.is_authenticated else None,
        access_point_id=details.get("access_point"),
        updated_at=now,
    )
    audit = audit_event(
        actor=actor,
        action=AuditAction.WAITLIST_JOINED,
        applicant=applicant,
        details={
            "entry": None,  # the entry's id and class, once written
            "procedure": procedure.slug,
            "sites": site_ids,
            "weekdays_excluded": excluded,
            "priority_class": None,
            "channel": channel,
            **details,
        },
    )
    standing = _STANDING.statement(
        applicant_id=applicant.pk, procedure_id=procedure.pk, actor_id=actor.pk, now=now
    )
    # Twice at most: a block lifted between the statement and the read of its
    # refusal refused a join it no longer refuses.
    for _attempt in range(2):
        written = statements.entry_join(standing=standing, entry=entry, audit=audit)
        if written is None:
            raise booking_errors.ApplicantNotFound()
        facts, inserted = written
        if inserted:
            break
        refusal = _refusal(facts, applicant=applicant, procedure=procedure, now=now)
        if refusal is not None:
            raise refusal
        if not (facts["blocked"] or facts["suspended"] or facts["booked"]):
            raise errors.AlreadyWaiting()
    else:
        raise errors.AlreadyWaiting()  # pragma: no cover - a block lifted twice over
    # Only when a seat waits (rare in a scarce procedure), asked at most once a
    # second: a storm of joins must become neither a storm of allocation runs
    # nor a storm of reads of the list's capacity. After the commit: at once
    # when no transaction is open.
    allocation_after_join(procedure.pk, now=now)
    return entry
