"""Joining, leaving and resuming the waiting list.

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
    ENTRY_IN_FORCE,
    EntryStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)
from allocation.selectors import queue_seats_free
from allocation.services.offers import offer_slots_lock, offers_withdraw
from allocation.services.priority import classes_recompute
from allocation.services.scheduling import allocation_after_commit
from audit.models import AuditAction
from audit.services import audit_event, audit_record
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
            seats_free=Exists(queue_seats_free(now).filter(procedure_id=procedure_id)),
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
    site_ids = sorted({int(site_id) for site_id in site_ids})
    excluded = sorted({int(day) for day in weekdays_excluded})
    if not site_ids or any(day not in WEEKDAYS for day in excluded) or len(excluded) >= 7:
        raise errors.InvalidEntry()
    if not (procedure.is_active):
        raise booking_errors.ProcedureUnavailable()
    if actor.role == Role.APPLICANT and not procedure.self_booking:
        raise booking_errors.ProcedureNotSelfBookable()
    if not booking_rules.document_accepted(procedure, applicant.document_type):
        raise booking_errors.DocumentNotAccepted(required=procedure.get_required_document_display())
    if queue_site_ids is not None:
        listed = set(queue_site_ids)
    else:
        listed = {site.pk for site in queue_sites(procedure)}
    site_ids = [site_id for site_id in site_ids if site_id in listed]
    if not site_ids:
        raise errors.NotGivenOutByList()
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
    if facts["seats_free"]:
        # Only when a seat waits (rare in a scarce procedure): a storm of joins
        # must not become a storm of allocation runs. A seat freed meanwhile
        # runs its own allocation; the beat's sweep (every minute) catches
        # the rest. After the commit: at once when no transaction is open.
        allocation_after_commit([procedure.pk])
    return entry


def _entry_locked(*, actor: User | None, entry_id: int) -> WaitlistEntry:
    """The entry locked, if ``actor`` may act on it (``EntryNotFound`` otherwise:
    what they may not touch does not exist; ``None``: an offer's link answered
    for it). Caller is in a transaction."""
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("applicant", "procedure")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or (
        actor is not None
        and not all(
            can_act_for(actor, entry.applicant, site_id=site_id) for site_id in entry.site_ids
        )
    ):
        raise errors.EntryNotFound()
    return entry


def waitlist_leave(*, actor: User, entry: WaitlistEntry | int) -> WaitlistEntry:
    """Take the entry off the list (its open offer withdrawn, the seat offered
    to the next person after the commit). Leaving twice changes nothing more."""
    now = timezone.now()
    entry_id = entry if isinstance(entry, int) else entry.pk
    with transaction.atomic():
        offer_slots_lock(entry_id=entry_id)
        locked = _entry_locked(actor=actor, entry_id=entry_id)
        if locked.status not in ENTRY_IN_FORCE:
            return locked
        details = _acting(actor=actor, applicant=locked.applicant, event=signals.LEFT, now=now)
        withdrawn = offers_withdraw(
            offers=locked.offers.filter(status=OfferStatus.OPEN), reason="left", now=now
        )
        locked.status = EntryStatus.LEFT
        locked.ended_at = locked.updated_at = now
        locked.save(update_fields=["status", "ended_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.WAITLIST_LEFT,
            applicant=locked.applicant,
            details={"entry": locked.pk, "offers_withdrawn": withdrawn, **details},
        )
    return locked


def waitlist_entry_resume(*, actor: User, entry: WaitlistEntry | int) -> WaitlistEntry:
    """The person still needs an appointment: a paused entry waits again, in
    the place it had (its expiries start again from zero)."""
    entry_id = entry if isinstance(entry, int) else entry.pk
    return _resume(actor=actor, entry_id=entry_id)


def waitlist_entry_resume_by_link(*, offer: Offer) -> WaitlistEntry:
    """``waitlist_entry_resume`` by the person following the link of their
    entry's last offer (the token is the authority: no account acts). The link
    of an older offer resumes nothing (``EntryNotFound``): it may have gone
    round long ago."""
    last = (
        Offer.objects.filter(entry_id=offer.entry_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if last != offer.pk:
        raise errors.EntryNotFound()
    return _resume(actor=None, entry_id=offer.entry_id)


def _resume(*, actor: User | None, entry_id: int) -> WaitlistEntry:
    now = timezone.now()
    with transaction.atomic():
        locked = _entry_locked(actor=actor, entry_id=entry_id)
        if locked.status != EntryStatus.PAUSED:
            raise errors.EntryNotPaused()
        details = (
            {"by": "link"}
            if actor is None
            else _acting(actor=actor, applicant=locked.applicant, event=signals.RESUMED, now=now)
        )
        locked.status = EntryStatus.WAITING
        locked.expiries = 0
        locked.updated_at = now
        locked.save(update_fields=["status", "expiries", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.WAITLIST_RESUMED,
            applicant=locked.applicant,
            details={"entry": locked.pk, **details},
        )
        allocation_after_commit([locked.procedure_id])
    return locked


def waitlist_entry_change(
    *,
    actor: User,
    entry: WaitlistEntry | int,
    site_ids: Collection[int] | None = None,
    weekdays_excluded: Collection[int] | None = None,
) -> WaitlistEntry:
    """Change where (``site_ids``: those the list gives out, ``NotGivenOutByList``
    if none) and when (``weekdays_excluded``) the person can come, keeping the
    entry's place: the moment it joined and its class stay. ``None`` keeps
    what the entry has. Whoever may act on the entry (at every site it lists
    and every site it will list; a mediator with the person's consent) and it
    is in force (``EntryNotFound`` otherwise). An open offer the new choice no
    longer fits is withdrawn, its seat to the next person (the person's own
    doing: not told). Audited with the choice before and after; a choice that
    changes nothing writes nothing."""
    now = timezone.now()
    entry_id = entry if isinstance(entry, int) else entry.pk
    with transaction.atomic():
        offer_slots_lock(entry_id=entry_id)
        locked = _entry_locked(actor=actor, entry_id=entry_id)
        if locked.status not in ENTRY_IN_FORCE:
            raise errors.EntryNotFound()
        sites = sorted({int(pk) for pk in (locked.site_ids if site_ids is None else site_ids)})
        excluded = sorted(
            {
                int(day)
                for day in (
                    locked.weekdays_excluded if weekdays_excluded is None else weekdays_excluded
                )
            }
        )
        if not sites or any(day not in WEEKDAYS for day in excluded) or len(excluded) >= 7:
            raise errors.InvalidEntry()
        listed = {site.pk for site in queue_sites(locked.procedure)}
        sites = [pk for pk in sites if pk in listed]
        if not sites:
            raise errors.NotGivenOutByList()
        _check_actor(actor=actor, applicant=locked.applicant, site_ids=sites)
        before = {"sites": locked.site_ids, "weekdays_excluded": locked.weekdays_excluded}
        if before == {"sites": sites, "weekdays_excluded": excluded}:
            return locked
        details = _acting(actor=actor, applicant=locked.applicant, event=signals.CHANGED, now=now)
        unfit = [
            offer.pk
            for offer in locked.offers.filter(status=OfferStatus.OPEN).select_related("slot")
            if not rules.fits(
                site_ids=sites,
                weekdays_excluded=excluded,
                site_id=offer.slot.site_id,
                weekday=timezone.localtime(offer.slot.starts_at).isoweekday(),
            )
        ]
        withdrawn = offers_withdraw(
            offers=Offer.objects.filter(pk__in=unfit), reason="changed", now=now
        )
        locked.site_ids, locked.weekdays_excluded, locked.updated_at = sites, excluded, now
        locked.save(update_fields=["site_ids", "weekdays_excluded", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.WAITLIST_CHANGED,
            applicant=locked.applicant,
            details={
                "entry": locked.pk,
                "sites_before": before["sites"],
                "weekdays_excluded_before": before["weekdays_excluded"],
                "sites": sites,
                "weekdays_excluded": excluded,
                "offers_withdrawn": withdrawn,
                **details,
            },
        )
        # A seat waiting at a site now listed is offered after the commit.
        allocation_after_commit([locked.procedure_id])
    return locked


def waitlist_entry_permit_set(
    *, actor: User, entry: WaitlistEntry | int, permit_expires_on: date | None
) -> WaitlistEntry:
    """Record (or clear, with ``None``) when the person's residence permit
    expires, as an agent or supervisor read it on the permit, and recompute the
    entry's priority class (``rules.priority_classes_of``: within
    ``WAITLIST_PERMIT_EXPIRING_DAYS``, a renewal comes before the people who
    joined without a class). Agents at every site of the entry, supervisors;
    anyone else ``NotAllowed``. Its place within its class stays the moment it
    joined. Audited, with the class before and after."""
    if actor.role not in (Role.AGENT, Role.SUPERVISOR):
        raise booking_errors.NotAllowed()
    now = timezone.now()
    entry_id = entry if isinstance(entry, int) else entry.pk
    with transaction.atomic():
        locked = _entry_locked(actor=actor, entry_id=entry_id)
        if locked.status not in ENTRY_IN_FORCE:
            raise errors.EntryNotFound()
        before = (locked.permit_expires_on, locked.priority_class)
        locked.permit_expires_on = permit_expires_on
        classes_recompute([locked], now=now)
        if (locked.permit_expires_on, locked.priority_class) == before:
            return locked
        locked.updated_at = now
        locked.save(update_fields=["permit_expires_on", "priority_class", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.WAITLIST_PERMIT_SET,
            applicant=locked.applicant,
            details={
                "entry": locked.pk,
                "permit_expires_on_before": before[0].isoformat() if before[0] else None,
                "permit_expires_on": (permit_expires_on.isoformat() if permit_expires_on else None),
                "priority_class_before": before[1],
                "priority_class": locked.priority_class,
            },
        )
    return locked
