"""The waiting list's invariants, read from the database: what must hold
whatever sequence of joins, offers, answers, expiries, cancellations and
closures came before. Each function returns its problems (empty: it holds),
so that the Hypothesis state machine (``tests/allocation/test_state_machine.py``,
after every step) and the soak (``bench/soak/checks/waitlist.py``, after its traffic)
check the same thing.

- ``seat_problems``: no seat leaked: on every slot ``held + booked <= capacity``,
  ``booked`` = its active appointments, ``held`` = its open offers + the freed
  seats of an open procedure not shown yet (``SeatRelease``);
- ``offer_problems``: no seat offered twice: one open offer per entry at most,
  and only for an entry still waiting;
- ``live_problems``: one live thing per identity and procedure: never two of
  (open offer, active appointment);
- ``entry_problems``: one entry in force (waiting or paused) per identity and
  procedure, and per applicant and procedure;
- ``order_problems``: the order rule, for the offers one allocation run made
  (call it right after the run, before anything else changes the list).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils import timezone

from allocation import rules
from allocation.models import ENTRY_IN_FORCE, EntryStatus, Offer, OfferStatus, WaitlistEntry
from booking.models import ACTIVE_STATUSES, Appointment, SeatRelease, Slot

# How many examples of a broken invariant a problem names.
EXAMPLES = 5


def _counts(queryset, field: str) -> dict[int, int]:
    return dict(queryset.values(field).annotate(n=Count("pk")).values_list(field, "n"))


def seat_problems() -> list[str]:
    """On every slot: ``0 <= free = capacity - booked - held``, ``booked`` = its
    active appointments, ``held`` = its open offers + its unreleased freed seats."""
    rows = Slot.objects.annotate(
        active=Count("appointments", filter=Q(appointments__status__in=ACTIVE_STATUSES)),
    ).values_list("pk", "capacity", "booked", "held", "active")
    open_offers = _counts(Offer.objects.filter(status=OfferStatus.OPEN), "slot_id")
    releases = _counts(SeatRelease.objects.filter(released_at__isnull=True), "slot_id")
    problems = []
    for pk, capacity, booked, held, active in rows:
        offered, released = open_offers.get(pk, 0), releases.get(pk, 0)
        if booked < 0 or held < 0 or booked + held > capacity:
            problems.append(f"slot {pk}: capacity {capacity}, booked {booked}, held {held}")
        if booked != active:
            problems.append(f"slot {pk}: booked {booked}, active appointments {active}")
        if held != offered + released:
            problems.append(
                f"slot {pk}: held {held}, {offered} open offers + {released} freed seats"
            )
    return problems


def offer_problems() -> list[str]:
    """One open offer per entry at most, and only for an entry still waiting."""
    offers = list(
        Offer.objects.filter(status=OfferStatus.OPEN).values_list("pk", "entry_id", "entry__status")
    )
    twice = [entry for entry, n in Counter(entry for _pk, entry, _s in offers).items() if n > 1]
    stale = [(pk, status) for pk, _entry, status in offers if status != EntryStatus.WAITING]
    problems = []
    if twice:
        problems.append(f"{len(twice)} entries hold two open offers, e.g. {twice[:EXAMPLES]}")
    if stale:
        problems.append(
            f"{len(stale)} open offers of entries that no longer wait, e.g. {stale[:EXAMPLES]}"
        )
    return problems


def live_problems() -> list[str]:
    """No identity holds two of (open offer, active appointment) for a procedure."""
    live = list(
        Offer.objects.filter(status=OfferStatus.OPEN).values_list(
            "applicant__identity_key", "procedure_id"
        )
    ) + list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
            "identity_key", "procedure_id"
        )
    )
    twice = [key for key, n in Counter(live).items() if n > 1]
    if twice:
        return [f"{len(twice)} identities hold two live offers or appointments for a procedure"]
    return []


def entry_problems() -> list[str]:
    """One entry in force per identity and procedure, and per applicant and procedure."""
    problems = []
    for person in ("identity_key", "applicant_id"):
        twice = (
            WaitlistEntry.objects.filter(status__in=ENTRY_IN_FORCE)
            .values(person, "procedure_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        if twice:
            problems.append(f"{twice} ({person}, procedure) with two entries in force")
    return problems


def order_problems(offers: Iterable[Offer]) -> list[str]:
    """The order rule for the ``offers`` one allocation run just made: for each
    seat offered, no entry of the procedure that comes earlier in the list's
    order (``rules.list_key``), fits the seat (``rules.fits``), did not pass on
    it (declined it or let it expire) and could take an offer (waiting, no open
    offer, no active appointment) was left without one."""
    offers = list(offers)
    if not offers:
        return []
    procedures = {offer.procedure_id for offer in offers}
    entries = {
        entry.pk: entry
        for entry in WaitlistEntry.objects.filter(
            procedure_id__in=procedures, status=EntryStatus.WAITING
        )
    }
    with_offer = set(
        Offer.objects.filter(status=OfferStatus.OPEN).values_list("entry_id", flat=True)
    )
    booked = set(
        Appointment.objects.filter(
            procedure_id__in=procedures, status__in=ACTIVE_STATUSES
        ).values_list("applicant_id", "procedure_id")
    )
    passed = set(
        Offer.objects.filter(
            procedure_id__in=procedures, status__in=(OfferStatus.DECLINED, OfferStatus.EXPIRED)
        ).values_list("entry_id", "slot_id")
    )
    slots = Slot.objects.in_bulk([offer.slot_id for offer in offers])
    problems = []
    for offer in offers:
        slot = slots[offer.slot_id]
        weekday = timezone.localtime(slot.starts_at).isoweekday()
        taker = entries.get(offer.entry_id)
        if taker is None:
            problems.append(f"offer {offer.pk} went to entry {offer.entry_id}, not waiting")
            continue
        for entry in entries.values():
            if entry.procedure_id != taker.procedure_id:
                continue
            if rules.list_key(entry) >= rules.list_key(taker):
                continue
            if entry.pk in with_offer or (entry.applicant_id, entry.procedure_id) in booked:
                continue
            if (entry.pk, slot.pk) in passed:
                continue
            if rules.fits(
                site_ids=entry.site_ids,
                weekdays_excluded=entry.weekdays_excluded,
                site_id=slot.site_id,
                weekday=weekday,
            ):
                problems.append(
                    f"entry {entry.pk} fits slot {slot.pk}, comes before {taker.pk}, got nothing"
                )
    return problems


def all_problems() -> list[str]:
    """Every invariant but the order rule (which belongs to one allocation run)."""
    return seat_problems() + offer_problems() + live_problems() + entry_problems()
