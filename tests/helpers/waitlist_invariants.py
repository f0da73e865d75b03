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
- ``suspension_problems``: nothing a suspension released is in force again
  (``backoffice.abuse.services.account_suspend``): no entry in force, no
  appointment to come of a suspended account from before its suspension, nor
  any an applicant's suspended account made;
- ``order_problems``: the order rule, for the offers one allocation run made
  (call it right after the run, before anything else changes the list);
  ``run_order_judge``: the same, judged inside the run while other
  transactions write (the soak's worker, on every run), on what could not have
  changed under it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Role
from allocation import rules
from allocation.models import ENTRY_IN_FORCE, EntryStatus, Offer, OfferStatus, WaitlistEntry
from booking.models import ACTIVE_STATUSES, Appointment, BookingBlock, SeatRelease, Slot

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


def suspension_problems() -> list[str]:
    """For every account suspended now: no entry in force and no appointment
    to come of its identity from before its suspension, and none that the
    account made (an applicant's: staff book for others, and their bookings
    stay). Staff may put the person on the list or book for them after the
    suspension: a suspension closes an account, not the person's access to
    the counter."""
    suspended = Q(applicant__user__suspended_at__isnull=False)
    made = Q(created_by__suspended_at__isnull=False, created_by__role=Role.APPLICANT)
    entries = list(
        WaitlistEntry.objects.filter(status__in=ENTRY_IN_FORCE)
        .filter((suspended & Q(joined_at__lte=F("applicant__user__suspended_at"))) | made)
        .values_list("pk", flat=True)[:EXAMPLES]
    )
    booked = Q(booked_by__suspended_at__isnull=False, booked_by__role=Role.APPLICANT)
    appointments = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES)
        .filter(
            (
                suspended
                & Q(created_at__lte=F("applicant__user__suspended_at"))
                & Q(slot__starts_at__gt=F("applicant__user__suspended_at"))
            )
            | (booked & Q(slot__starts_at__gt=F("booked_by__suspended_at")))
        )
        .values_list("reference", flat=True)[:EXAMPLES]
    )
    problems = []
    if entries:
        problems.append(f"entries of suspended accounts still in force, e.g. {entries}")
    if appointments:
        problems.append(f"appointments of suspended accounts still booked, e.g. {appointments}")
    return problems


def order_problems(offers: Iterable[Offer]) -> list[str]:
    """The order rule for the ``offers`` one allocation run just made: for each
    seat offered, no entry of the procedure that comes earlier in the list's
    order (``rules.list_key``), fits the seat (``rules.fits``), did not pass on
    it (declined it or let it expire) and could take an offer (waiting, no open
    offer, no active appointment, no booking block in force) was left without
    one. Call it right after the run, before anything else changes the list
    (``run_order_judge`` judges a run while others write)."""
    return _order_judge(list(offers), changed=None).problems


@dataclass(frozen=True)
class RunJudgement:
    """What ``run_order_judge`` found about one run."""

    problems: list[str]
    judged: int  # offers judged
    unjudged: int  # offers whose taker changed under the run: not judged
    set_aside: int  # entries that changed under the run: not held against it


def run_order_judge(offers: Iterable[Offer], *, snapshot: str) -> RunJudgement:
    """The order rule for the ``offers`` of one allocation run, judged **while
    other transactions write** (in the run's own transaction, at READ
    COMMITTED, when it sends ``offers_made``), on what could not have changed
    under it.

    ``snapshot`` is a PostgreSQL snapshot (``pg_current_snapshot()``) taken
    before the run read the list. A row version whose writer had committed by
    then is the version the run read, if it is still the latest now. Anything
    written by a transaction that snapshot does not show committed may have
    committed after the run's read, so it is set aside:

    - an entry whose row changed (it joined, in any class, a court order among
      them; its class moved: an order recorded or served, a closure's right;
      it was resumed, changed its places or days, moved back after a second
      decline; it left or was paused): the run may have read it elsewhere in
      the list, or not at all;
    - an entry with an offer whose row changed (declined, expired, withdrawn,
      accepted since): it may have held an open offer when the run read the
      list, so it could not take another;
    - an entry whose person has an appointment of the procedure whose row
      changed (cancelled since: by them, or by a closure): it may have been
      booked when the run read the list;
    - an offer whose taker's row changed: its place when the run read it is
      unknown, so that offer is not judged at all (``unjudged``).

    What is left is judged as ``order_problems`` does: an entry unchanged since
    the snapshot, earlier in the list than a taker unchanged since the
    snapshot, that fits the seat, did not pass on it and could take an offer
    was eligible and earlier when the run read the list, and the run (which
    gives each entry in order the earliest seat that fits it) left it without
    one: a real violation, never a race. A booking block is judged at the
    run's own moment (``offer.created_at``), as the run's query does."""
    offers = list(offers)
    if not offers:
        return RunJudgement([], 0, 0, 0)
    return _order_judge(offers, changed=_changed_since(offers, snapshot))


@dataclass(frozen=True)
class _Changed:
    entries: frozenset[int]  # entries set aside
    takers: frozenset[int]  # takers whose offers are not judged


def _changed_since(offers: list[Offer], snapshot: str) -> _Changed:
    """The entries of the offers' procedures that something written after
    ``snapshot`` may have moved (``run_order_judge`` says which writes)."""
    procedures = sorted({offer.procedure_id for offer in offers})
    quote = connection.ops.quote_name
    entry, offer, appointment = (
        quote(model._meta.db_table) for model in (WaitlistEntry, Offer, Appointment)
    )
    with connection.cursor() as cursor:
        # Now's snapshot dates the rows' 32-bit xmin (``committed_before``).
        cursor.execute("SELECT pg_current_snapshot()::text")
        (now,) = cursor.fetchone()
        cursor.execute(
            f"SELECT id, xmin::text FROM {entry} WHERE procedure_id = ANY(%s)",  # noqa: S608
            [procedures],
        )
        entry_rows = cursor.fetchall()
        cursor.execute(
            # The run's own offers are its doing, not a change under it.
            f"SELECT entry_id, xmin::text FROM {offer} "  # noqa: S608
            "WHERE procedure_id = ANY(%s) AND NOT id = ANY(%s)",
            [procedures, [offer.pk for offer in offers]],
        )
        offer_rows = cursor.fetchall()
        cursor.execute(
            f"SELECT e.id, a.xmin::text FROM {entry} e JOIN {appointment} a "  # noqa: S608
            "ON a.applicant_id = e.applicant_id AND a.procedure_id = e.procedure_id "
            "WHERE e.procedure_id = ANY(%s)",
            [procedures],
        )
        appointment_rows = cursor.fetchall()

    def after(xmin: str) -> bool:
        return not committed_before(int(xmin), snapshot=snapshot, now=now)

    rows_changed = {pk for pk, xmin in entry_rows if after(xmin)}
    entries = (
        rows_changed
        | {pk for pk, xmin in offer_rows if after(xmin)}
        | {pk for pk, xmin in appointment_rows if after(xmin)}
    )
    takers = rows_changed & {offer.entry_id for offer in offers}
    return _Changed(frozenset(entries), frozenset(takers))


def committed_before(xid: int, *, snapshot: str, now: str) -> bool:
    """Whether the transaction ``xid`` (a row's 32-bit ``xmin``) had committed
    when ``snapshot`` was taken (``pg_current_snapshot()`` as text,
    ``xmin:xmax:xip,...``, 64-bit ids); ``now`` is a later snapshot, whose
    ``xmax`` no row's ``xmin`` reaches, and which gives ``xid`` its epoch. The
    special ids (0 to 2: frozen, bootstrap) are older than any snapshot.
    A row's ``xmin`` is its writer's, and a writer that aborted leaves no row
    anyone reads, so "not in progress and older than ``xmax``" is "committed"."""
    if xid < 3:
        return True
    first, bound, in_progress = _snapshot(snapshot)
    _first, now_bound, _in_progress = _snapshot(now)
    full = (now_bound & ~0xFFFFFFFF) | xid
    if full >= now_bound:  # the previous epoch
        full -= 1 << 32
    return full < first or (full < bound and full not in in_progress)


def _snapshot(text: str) -> tuple[int, int, frozenset[int]]:
    first, bound, in_progress = text.split(":")
    return int(first), int(bound), frozenset(int(x) for x in in_progress.split(",") if x)


def _order_judge(offers: list[Offer], *, changed: _Changed | None) -> RunJudgement:
    """``order_problems`` on ``offers``, leaving out what ``changed`` names."""
    if not offers:
        return RunJudgement([], 0, 0, 0)
    set_aside = changed.entries if changed else frozenset()
    unjudged = changed.takers if changed else frozenset()
    moment = min(offer.created_at for offer in offers)
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
    ) | set(
        BookingBlock.objects.filter(procedure_id__in=procedures, until__gt=moment).values_list(
            "applicant_id", "procedure_id"
        )
    )
    passed = set(
        Offer.objects.filter(
            procedure_id__in=procedures, status__in=(OfferStatus.DECLINED, OfferStatus.EXPIRED)
        ).values_list("entry_id", "slot_id")
    )
    slots = Slot.objects.in_bulk([offer.slot_id for offer in offers])
    problems = []
    judged = 0
    for offer in offers:
        if offer.entry_id in unjudged:
            continue
        judged += 1
        slot = slots[offer.slot_id]
        weekday = timezone.localtime(slot.starts_at).isoweekday()
        taker = entries.get(offer.entry_id)
        if taker is None:
            problems.append(f"offer {offer.pk} went to entry {offer.entry_id}, not waiting")
            continue
        for entry in entries.values():
            if entry.procedure_id != taker.procedure_id or entry.pk in set_aside:
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
    return RunJudgement(problems, judged, len(offers) - judged, len(set_aside))


def all_problems() -> list[str]:
    """Every invariant but the order rule (which belongs to one allocation run)."""
    return seat_problems() + offer_problems() + live_problems() + entry_problems()
