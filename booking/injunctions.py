"""Reads of court-ordered convocations (``booking.Injunction``): each one's state,
the agents' list and counts, the people an agent may name, the times that can
serve an order. Writes are in ``booking.services.injunctions``.

States (``InjunctionState``), computed from the dates when read, never stored:

- served (an appointment that is not cancelled): **in time** when the
  appointment's day (local) is on or before the deadline, else **late**;
- not served: **overdue** once the deadline's day has passed, **at risk** when
  it is ``INJUNCTION_AT_RISK_DAYS`` days away or fewer, else **open**.

An appointment cancelled is no longer served: the cancellation clears the link
(``booking.services.injunctions``), and the states here also read a cancelled
one as not served, whatever path cancelled it.

Who sees what: agents the orders of their sites, supervisors all
(``booking.permissions.managed_sites``); anyone else none. What one may not see
answers as what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Role
from booking import rules
from booking.calendar import Week, build_week
from booking.identity import normalize_document_number
from booking.models import (
    Applicant,
    Appointment,
    AppointmentStatus,
    Injunction,
    InjunctionState,
    Pool,
    Site,
    Slot,
    reference_parse,
)
from booking.permissions import allowed_pools, managed_sites
from booking.selectors import availability, by_day
from core.parsing import parse_id

if TYPE_CHECKING:
    from accounts.models import User

_NOTHING = Q(pk__in=[])

# The list's order: what needs doing first.
STATE_RANK = {
    InjunctionState.OVERDUE: 0,
    InjunctionState.AT_RISK: 1,
    InjunctionState.OPEN: 2,
    InjunctionState.LATE: 3,
    InjunctionState.IN_TIME: 4,
}
NOT_SERVED_STATES = (InjunctionState.OVERDUE, InjunctionState.AT_RISK, InjunctionState.OPEN)


def can_handle_injunctions(user: User) -> bool:
    """Agents and supervisors record and serve court orders (of their sites)."""
    return bool(user.is_authenticated and user.is_active) and user.role in (
        Role.AGENT,
        Role.SUPERVISOR,
    )


def visible_injunctions(user: User) -> Q:
    """A filter on ``Injunction``: those ``user`` may see and act on."""
    if not can_handle_injunctions(user):
        return _NOTHING
    if user.role == Role.SUPERVISOR:
        return Q()
    return Q(site__in=Site.objects.filter(managed_sites(user)).values("pk"))


def _served() -> Q:
    """Served: an appointment linked, and not cancelled."""
    return Q(appointment__isnull=False) & ~Q(appointment__status=AppointmentStatus.CANCELLED)


def _today(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now())


def at_risk_until(today: date) -> date:
    """The last deadline that makes an order not served "at risk" on ``today``."""
    return today + timedelta(days=settings.INJUNCTION_AT_RISK_DAYS)


def state_expression(now: datetime | None = None) -> Case:
    """The state of each row, as SQL (for filters, order and counts)."""
    today = _today(now)
    local_day = TruncDate("appointment__slot__starts_at", tzinfo=timezone.get_current_timezone())
    served = _served()
    return Case(
        When(served & Q(deadline__gte=local_day), then=Value(InjunctionState.IN_TIME.value)),
        When(served, then=Value(InjunctionState.LATE.value)),
        When(deadline__lt=today, then=Value(InjunctionState.OVERDUE.value)),
        When(deadline__lte=at_risk_until(today), then=Value(InjunctionState.AT_RISK.value)),
        default=Value(InjunctionState.OPEN.value),
    )


def _rank_expression(state: Case) -> Case:
    return Case(
        *(When(state_value=value, then=Value(rank)) for value, rank in STATE_RANK.items()),
        output_field=IntegerField(),
    )


def injunction_state(injunction: Injunction, *, now: datetime | None = None) -> str:
    """The state of one order (its appointment and slot read if linked)."""
    today = _today(now)
    appointment = injunction.appointment if injunction.appointment_id else None
    if appointment is not None and appointment.status != AppointmentStatus.CANCELLED:
        day = timezone.localdate(appointment.slot.starts_at)
        return InjunctionState.IN_TIME if day <= injunction.deadline else InjunctionState.LATE
    if injunction.deadline < today:
        return InjunctionState.OVERDUE
    if injunction.deadline <= at_risk_until(today):
        return InjunctionState.AT_RISK
    return InjunctionState.OPEN


def injunctions_for(
    *,
    user: User,
    state: str | None = None,
    site: Site | int | None = None,
    now: datetime | None = None,
) -> QuerySet[Injunction]:
    """The orders ``user`` sees, each annotated with ``state_value``: overdue
    first, then at risk, open, late and in time; by deadline within each.

    ``state``: one ``InjunctionState`` value, ``"not_served"`` (the first three)
    or ``None`` (all). ``site``: one site (or its id), else all of the user's.
    """
    state_value = state_expression(now)
    rows = (
        Injunction.objects.filter(visible_injunctions(user))
        .annotate(state_value=state_value)
        .annotate(state_rank=_rank_expression(state_value))
    )
    if site is not None:
        rows = rows.filter(site_id=getattr(site, "pk", site))
    if state == "not_served":
        rows = rows.filter(state_value__in=[each.value for each in NOT_SERVED_STATES])
    elif state in InjunctionState.values:
        rows = rows.filter(state_value=state)
    return rows.select_related(
        "applicant", "procedure", "site", "appointment__slot__site", "recorded_by"
    ).order_by("state_rank", "deadline", "pk")


class InjunctionCounts(NamedTuple):
    """The orders not served whose deadline is near (``at_risk``) or passed (``overdue``)."""

    at_risk: int
    overdue: int


def injunction_counts(user: User, *, now: datetime | None = None) -> InjunctionCounts:
    """How many of the orders ``user`` sees are at risk and overdue (one query).
    For the dashboard and the list's header; zeros for anyone but staff."""
    if not can_handle_injunctions(user):
        return InjunctionCounts(0, 0)
    today = _today(now)
    not_served = ~_served()
    counts = Injunction.objects.filter(visible_injunctions(user)).aggregate(
        at_risk=Count(
            "pk", filter=not_served & Q(deadline__gte=today, deadline__lte=at_risk_until(today))
        ),
        overdue=Count("pk", filter=not_served & Q(deadline__lt=today)),
    )
    return InjunctionCounts(at_risk=counts["at_risk"], overdue=counts["overdue"])


def injunctions_not_served(
    *,
    procedure_id: int | None = None,
    site_id: int | None = None,
    applicant_id: int | None = None,
) -> QuerySet[Injunction]:
    """The court-ordered convocations not served yet (no appointment, or a
    cancelled one), soonest deadline first: a priority class for whoever hands
    out capacity (the waiting list). Not filtered by who asks: the caller is a
    service or a job, or filters with ``visible_injunctions``."""
    rows = Injunction.objects.exclude(_served())
    if procedure_id is not None:
        rows = rows.filter(procedure_id=procedure_id)
    if site_id is not None:
        rows = rows.filter(site_id=site_id)
    if applicant_id is not None:
        rows = rows.filter(applicant_id=applicant_id)
    return rows.order_by("deadline", "pk")


def injunction_for_staff(*, user: User, pk: int) -> Injunction | None:
    """The order ``pk`` if ``user`` may see it, else ``None`` (a 404 either way)."""
    pk = parse_id(pk)  # past bigint, PostgreSQL would refuse it (a 500)
    if pk is None:
        return None
    return (
        Injunction.objects.filter(visible_injunctions(user), pk=pk)
        .select_related(
            "applicant__user",
            "procedure",
            "site",
            "appointment__slot__site",
            "appointment__procedure",
            "recorded_by",
            "convoked_by",
        )
        .first()
    )


# --- The person ----------------------------------------------------------------------


def people_find(*, actor: User, document_number: str, birth_date: date) -> list[Applicant]:
    """The people on file with this document number (normalised) and date of
    birth, for agents and supervisors (anyone else finds nobody). Several when
    the same passport number exists in two countries."""
    if not can_handle_injunctions(actor) or not isinstance(birth_date, date):
        return []
    number = normalize_document_number(document_number or "")
    if not number or len(number) > Applicant._meta.get_field("document_number").max_length:
        return []
    return list(
        Applicant.objects.filter(document_number=number, birth_date=birth_date).order_by("pk")
    )


def person_by_reference(*, actor: User, reference: str, birth_date: date) -> Applicant | None:
    """The person of the appointment ``reference`` if their date of birth is
    ``birth_date`` (on the booking or on file), for agents and supervisors."""
    if not can_handle_injunctions(actor) or not isinstance(birth_date, date):
        return None
    parsed = reference_parse(reference or "")
    if parsed is None:
        return None
    appointment = (
        Appointment.objects.filter(reference=parsed)
        .filter(Q(birth_date=birth_date) | Q(applicant__birth_date=birth_date))
        .select_related("applicant")
        .first()
    )
    return appointment.applicant if appointment is not None else None


# --- The times that can serve an order -------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def deadline_end(injunction: Injunction) -> datetime:
    """The first moment after the deadline's day (local): a start before it is in time."""
    return _day_start(injunction.deadline + timedelta(days=1))


def convocation_pools(user: User, *, any_pool: bool = False) -> frozenset[str]:
    """The pools an order's convocation is booked from: priority capacity, or
    any pool the user may book from when asked (``any_pool``)."""
    pools = allowed_pools(user)
    return pools if any_pool else pools & {Pool.PRIORITY.value}


@dataclass
class ConvocationChoice:
    """What an order's page offers to book: the site looked at (one of the
    user's), its week (``booking.calendar``), and that week's free times up to
    the deadline (any time once the deadline has passed), by day."""

    site: Site
    sites: list[Site]
    week: Week
    days: list[tuple[date, list[Slot]]]
    any_pool: bool
    overdue: bool


def convocation_choice(
    *,
    user: User,
    injunction: Injunction,
    site: Site | None = None,
    requested: date | None = None,
    any_pool: bool = False,
    now: datetime | None = None,
) -> ConvocationChoice | None:
    """The times ``user`` may book to serve ``injunction``, a week at a time:
    at ``site`` (one of the user's; the order's site by default). ``None`` when
    the user works at no active site."""
    now = now or timezone.now()
    sites = list(Site.objects.filter(managed_sites(user), is_active=True).order_by("name"))
    if not sites:
        return None
    by_pk = {each.pk: each for each in sites}
    chosen = by_pk.get(getattr(site, "pk", None)) or by_pk.get(injunction.site_id) or sites[0]
    pools = convocation_pools(user, any_pool=any_pool)
    overdue = injunction.deadline < _today(now)
    # The counter's window (``booking.rules``): a court order may need a time
    # sooner than the cut-off or beyond the public horizon.
    counter = rules.books_at_counter(user)
    week = build_week(
        procedure=injunction.procedure,
        site=chosen,
        requested=requested,
        pools=pools,
        now=now,
        counter=counter,
    )
    slots = availability(
        procedure=injunction.procedure,
        site_ids=[chosen.pk],
        date_from=week.start,
        date_to=week.end,
        pools=pools,
        now=now,
        counter=counter,
    )
    if not overdue:
        slots = slots.filter(starts_at__lt=deadline_end(injunction))
        if week.next is not None and week.next > injunction.deadline:
            week.next = None  # nothing after the deadline can serve the order
    return ConvocationChoice(
        site=chosen,
        sites=sites,
        week=week,
        days=by_day(slots),
        any_pool=any_pool,
        overdue=overdue,
    )
