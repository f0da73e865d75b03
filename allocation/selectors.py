"""Reads of the waiting list: a person's entries with their place and an
honest estimate of the wait, their offers, and what the sweep must look at."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from allocation.models import ENTRY_IN_FORCE, EntryStatus, Offer, OfferStatus, WaitlistEntry
from booking.models import Pool, Slot
from booking.permissions import can_act_for


def queue_seats_free(now: datetime) -> QuerySet[Slot]:
    """The slots of the pool ``queue`` visible, not closed, to come, with a seat
    neither booked nor held: what the waiting lists may be offered (the
    allocation narrows it to the times it offers, ``allocation.rules``)."""
    return Slot.objects.filter(
        pool=Pool.QUEUE,
        closure__isnull=True,
        published_at__lte=now,
        starts_at__gt=now,
        capacity__gt=F("booked") + F("held"),
    )


def procedures_with_seats_to_offer(now: datetime | None = None) -> list[int]:
    """The procedures with free seats of their pool ``queue`` visible and to
    come, and someone waiting on their list. One query."""
    now = now or timezone.now()
    free = queue_seats_free(now).values("procedure_id")
    return sorted(
        WaitlistEntry.objects.filter(status=EntryStatus.WAITING, procedure_id__in=free)
        .values_list("procedure_id", flat=True)
        .distinct()
    )


def position_of(entry: WaitlistEntry) -> int:
    """The entry's place in its procedure's list (1: next), counting the entries
    waiting before it in the list's order (``allocation.rules.LIST_ORDER``)."""
    ahead = WaitlistEntry.objects.filter(
        procedure_id=entry.procedure_id, status=EntryStatus.WAITING
    ).filter(
        Q(priority_class__lt=entry.priority_class)
        | Q(priority_class=entry.priority_class, queued_at__lt=entry.queued_at)
        | Q(priority_class=entry.priority_class, queued_at=entry.queued_at, pk__lt=entry.pk)
    )
    return ahead.count() + 1


def seats_given_per_week(procedure_id: int, *, now: datetime | None = None) -> float:
    """Seats the list gave out (offers accepted) per week over the last
    ``WAITLIST_ESTIMATE_WEEKS`` weeks."""
    now = now or timezone.now()
    weeks = settings.WAITLIST_ESTIMATE_WEEKS
    given = Offer.objects.filter(
        procedure_id=procedure_id,
        status=OfferStatus.ACCEPTED,
        answered_at__gte=now - timedelta(weeks=weeks),
    ).count()
    return given / weeks


@dataclass(frozen=True)
class EntryView:
    entry: WaitlistEntry
    position: int | None
    # Weeks until an offer at the pace of the last weeks; None: no seat given
    # out lately, no honest figure.
    weeks_estimate: int | None
    offer: Offer | None


def open_offer_of(entry: WaitlistEntry) -> Offer | None:
    """The entry's open offer (at most one), with its slot, site and procedure."""
    return (
        entry.offers.filter(status=OfferStatus.OPEN)
        .select_related("slot__site", "procedure")
        .first()
    )


def entry_view(entry: WaitlistEntry, *, now: datetime | None = None) -> EntryView:
    now = now or timezone.now()
    offer = open_offer_of(entry)
    if entry.status != EntryStatus.WAITING:
        return EntryView(entry=entry, position=None, weeks_estimate=None, offer=offer)
    position = position_of(entry)
    pace = seats_given_per_week(entry.procedure_id, now=now)
    # Rounded up: at 10 seats a week, the 25th person's seat comes in the third week.
    weeks = None if pace <= 0 else max(1, math.ceil(position / pace))
    return EntryView(entry=entry, position=position, weeks_estimate=weeks, offer=offer)


def entries_of_user(user: User) -> QuerySet[WaitlistEntry]:
    """An applicant's entries in force, with their procedure."""
    return (
        WaitlistEntry.objects.filter(applicant__user_id=user.pk, status__in=ENTRY_IN_FORCE)
        .select_related("procedure", "applicant")
        .order_by("joined_at", "pk")
    )


def entry_for(user: User, pk: int) -> WaitlistEntry | None:
    """The entry ``pk`` if ``user`` may see it (their own; staff: one they may act
    for at every site of it), else ``None`` (as if it did not exist)."""
    entry = WaitlistEntry.objects.select_related("procedure", "applicant").filter(pk=pk).first()
    if entry is None or not all(
        can_act_for(user, entry.applicant, site_id=site_id) for site_id in entry.site_ids
    ):
        return None
    return entry


def offers_of_user(user: User) -> QuerySet[Offer]:
    """An applicant's offers, newest first, with what a page shows of them."""
    return (
        Offer.objects.filter(applicant__user_id=user.pk)
        .select_related("slot__site", "procedure", "appointment")
        .order_by("-created_at", "-pk")
    )


def offer_for(user: User, pk: int) -> Offer | None:
    """The offer ``pk`` if ``user`` may see it, else ``None``."""
    offer = (
        Offer.objects.select_related("slot__site", "procedure", "applicant", "appointment")
        .filter(pk=pk)
        .first()
    )
    if offer is None or not can_act_for(user, offer.applicant, site_id=offer.slot.site_id):
        return None
    return offer
