"""The waiting list's rulebook: its order, who may have an offer of which
seat, and how long an offer holds it. The public page states the order rule
as written here (``ORDER_RULE``); the allocation (``allocation.services``), the
positions shown (``allocation.selectors``) and the tests all ask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocation.models import PriorityClass, WaitlistEntry
from booking import rules as booking_rules
from booking.models import Applicant, Injunction, PriorityRight, PriorityRightSource, Procedure

# --- The order of the list ---------------------------------------------------------

# The columns the list is sorted by, in this order: the priority class (lower
# first), then the moment the entry took its place, then its id (two people
# joining within the same microsecond: the first written first).
LIST_ORDER = ("priority_class", "queued_at", "id")

ORDER_RULE = _(
    "The list is in this order: first the people the court ordered the prefecture to "
    "convoke and who are not convoked yet; then the people whose appointment the "
    "prefecture cancelled; then the renewals whose residence permit expires within "
    "%(days)s days; then everyone else. Within each group, in the order they joined; "
    "someone who declines an offer keeps their place the first time, and goes to the end "
    "of their group from their second decline on. Speed buys nothing: joining first is "
    "the only advantage, and a seat freed by a cancellation goes to the head of the list, "
    "never back to the calendar. A person "
    "changes group as soon as their situation does (a court order recorded or served, a "
    "priority that ends); someone whose appointment the prefecture cancelled is put back "
    "on the list, ahead of the people without priority."
)


def order_rule_text() -> str:
    return str(ORDER_RULE) % {"days": settings.WAITLIST_PERMIT_EXPIRING_DAYS}


def list_key(entry: WaitlistEntry) -> tuple:
    """The place of ``entry`` in its procedure's list: smaller comes first."""
    return tuple(getattr(entry, column) for column in LIST_ORDER)


def priority_class(
    *,
    court_order: bool,
    cancelled_by_prefecture: bool,
    permit_expires_on: date | None,
    now: datetime,
) -> int:
    """The class of a person with these facts at ``now`` (the lowest that applies)."""
    if court_order:
        return PriorityClass.COURT_ORDER
    if cancelled_by_prefecture:
        return PriorityClass.CANCELLED_BY_PREFECTURE
    if permit_expires_on is not None and permit_expires_on <= permit_expiring_until(now):
        return PriorityClass.PERMIT_EXPIRING
    return PriorityClass.NONE


def priority_class_raised_sql(*, court_order: str, cancelled_by_prefecture: str) -> str:
    """``priority_class`` in SQL from the facts the database holds, for the
    boolean expressions ``court_order`` and ``cancelled_by_prefecture``: the
    class they give, or NULL when neither holds (the class is then the one of
    the permit's expiry, which the caller knows). The join's statement
    (``allocation.statements.entry_join``) decides its entry's class with it."""
    return (
        f"CASE WHEN {court_order} THEN {int(PriorityClass.COURT_ORDER)} "
        f"WHEN {cancelled_by_prefecture} THEN {int(PriorityClass.CANCELLED_BY_PREFECTURE)} END"
    )


def permit_expiring_until(now: datetime) -> date:
    """A permit expiring on or before this day puts its renewal in ``PERMIT_EXPIRING``."""
    return timezone.localdate(now) + timedelta(days=settings.WAITLIST_PERMIT_EXPIRING_DAYS)


def closure_rights_valid(now: datetime):
    """The priority rights a closure gave that put their person in
    ``CANCELLED_BY_PREFECTURE``: unused, not expired."""
    return PriorityRight.objects.filter(
        source=PriorityRightSource.CLOSURE, used_at__isnull=True, valid_until__gt=now
    )


def court_orders_pending():
    """The court orders that put their person in ``COURT_ORDER``: not served yet
    (no appointment made for them)."""
    return Injunction.objects.filter(appointment__isnull=True)


def priority_facts(*, procedure_id: int, now: datetime) -> dict[str, Exists]:
    """The facts ``priority_class`` reads, for ``procedure_id`` at ``now``, as
    subqueries of a read of applicants (``Applicant.objects.annotate(**...)``):
    the class of many people, or a join's, in the read it already makes."""
    return {
        "court_order": Exists(
            court_orders_pending().filter(applicant=OuterRef("pk"), procedure_id=procedure_id)
        ),
        "cancelled_by_prefecture": Exists(
            closure_rights_valid(now).filter(applicant=OuterRef("pk"), procedure_id=procedure_id)
        ),
    }


def priority_classes_of(
    *, procedure_id: int, permits: Mapping[int, date | None], now: datetime
) -> dict[int, int]:
    """The class in ``procedure_id``'s list at ``now`` of each person of
    ``permits`` (applicant id: the permit's expiry staff recorded, or ``None``):
    a court order not served, an appointment the prefecture cancelled (a
    closure's priority right still valid), a permit expiring soon. One query,
    whatever the count."""
    facts = (
        Applicant.objects.filter(pk__in=sorted(permits))
        .annotate(**priority_facts(procedure_id=procedure_id, now=now))
        .values_list("pk", "court_order", "cancelled_by_prefecture")
    )
    found = {pk: (ordered, cancelled) for pk, ordered, cancelled in facts}
    return {
        applicant_id: priority_class(
            court_order=found.get(applicant_id, (False, False))[0],
            cancelled_by_prefecture=found.get(applicant_id, (False, False))[1],
            permit_expires_on=permit,
            now=now,
        )
        for applicant_id, permit in permits.items()
    }


def priority_class_of(
    *,
    applicant: Applicant,
    procedure: Procedure,
    permit_expires_on: date | None,
    now: datetime,
) -> int:
    """The person's class for ``procedure``'s list at ``now`` (``priority_classes_of``)."""
    return priority_classes_of(
        procedure_id=procedure.pk, permits={applicant.pk: permit_expires_on}, now=now
    )[applicant.pk]


def priority_class_sql(now: datetime, *, alias: str = "e") -> tuple[str, list]:
    """``priority_class`` in SQL, for the entry row ``alias`` at ``now``: the
    same facts, read with two uncorrelated subqueries (PostgreSQL hashes them:
    one pass over the orders not served and the valid rights, whatever the
    number of entries). The beat's sweep compares it with the stored class."""
    ordered = (
        Injunction.objects.filter(appointment__isnull=True)
        .order_by()
        .values("applicant_id", "procedure_id")
    )
    rights = closure_rights_valid(now).order_by().values("applicant_id", "procedure_id")
    ordered_sql, ordered_params = ordered.query.sql_with_params()
    rights_sql, rights_params = rights.query.sql_with_params()
    person = f"({alias}.applicant_id, {alias}.procedure_id)"
    sql = (
        f"CASE WHEN {person} IN ({ordered_sql}) THEN %s "
        f"WHEN {person} IN ({rights_sql}) THEN %s "
        f"WHEN {alias}.permit_expires_on <= %s THEN %s ELSE %s END"
    )
    params = [
        *ordered_params,
        int(PriorityClass.COURT_ORDER),
        *rights_params,
        int(PriorityClass.CANCELLED_BY_PREFECTURE),
        permit_expiring_until(now),
        int(PriorityClass.PERMIT_EXPIRING),
        int(PriorityClass.NONE),
    ]
    return sql, params


def class_improves(before: int, after: int) -> bool:
    """Does the entry move ahead (a lower class comes first)?"""
    return after < before


# --- Which seats are offered, to whom, for how long ----------------------------------


def offerable_from(procedure: Procedure, now: datetime) -> datetime:
    """The earliest start of a slot offered at ``now``: the person must have
    ``OFFER_MIN_HOLD_MINUTES`` to answer before the slot closes to online booking."""
    return booking_rules.earliest_start(procedure, now) + timedelta(
        minutes=settings.OFFER_MIN_HOLD_MINUTES
    )


def offerable_until(procedure: Procedure, now: datetime) -> datetime:
    """Slots starting before this moment are offered: the procedure's booking
    horizon, as for the open calendar."""
    return booking_rules.horizon_end(procedure, now)


def offer_expires_at(*, procedure: Procedure, starts_at: datetime, now: datetime) -> datetime:
    """Until when an offer made at ``now`` of a slot starting at ``starts_at``
    holds its seat: ``OFFER_HOLD_HOURS``, less when the slot closes to online
    booking sooner (the offer says until when)."""
    return min(
        now + timedelta(hours=settings.OFFER_HOLD_HOURS),
        booking_rules.closes_at(procedure, starts_at),
    )


def fits(*, site_ids, weekdays_excluded, site_id: int, weekday: int) -> bool:
    """Can a person who reaches ``site_ids`` and cannot come on
    ``weekdays_excluded`` (ISO) take a seat at ``site_id`` on ``weekday``?"""
    return site_id in site_ids and weekday not in weekdays_excluded


def pauses_after_expiry(expiries: int) -> bool:
    """After this many offers left to expire, the entry waits for the person
    to say they still need an appointment."""
    return expiries >= settings.WAITLIST_PAUSE_AFTER_EXPIRIES


def keeps_place_after_decline(declines: int) -> bool:
    """The first decline keeps the person's place; later ones send them to the
    end of their group."""
    return declines <= 1
