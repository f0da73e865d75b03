"""An entry's life after joining (``allocation.services.waitlist``): leaving,
resuming a paused entry, changing its places and days (its place kept), and
the permit's expiry staff record. Whoever acts may act on the entry at every
site it lists (``_entry_locked``); a mediator also needs the person's consent
(``acting_for_entry``). Each change is audited, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from allocation import errors, rules, signals
from allocation.models import (
    ENTRY_IN_FORCE,
    EntryStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)
from allocation.services.offers import offer_slots_lock, offers_withdraw
from allocation.services.priority import classes_recompute
from allocation.services.scheduling import allocation_after_commit
from allocation.services.waitlist import (
    _acting,
    _check_actor,
    _choice_checked,
    _listed_only,
)
from audit.models import AuditAction
from audit.services import audit_record
from booking import errors as booking_errors
from booking.permissions import can_act_for


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
        sites, excluded = _choice_checked(
            locked.site_ids if site_ids is None else site_ids,
            locked.weekdays_excluded if weekdays_excluded is None else weekdays_excluded,
        )
        sites = _listed_only(sites, locked.procedure)
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
