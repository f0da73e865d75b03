"""Reads of substitution requests that more than one caller needs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Role
from booking.models import Pool, Site, Slot
from booking.permissions import allowed_pools, managed_sites
from substitution.models import OPEN_STATES, State, SubstitutionRequest, tracking_parse

if TYPE_CHECKING:
    from accounts.models import User
    from booking.models import Applicant

_NOTHING = Q(pk__in=[])


def visible_requests(user: User) -> Q:
    """A filter on ``SubstitutionRequest``: those ``user`` may see and answer.

    Supervisors: all. Agents: those wishing one of their sites, and those that
    wish no site (anyone may take them: the appointment is then at the agent's
    sites). Nobody else: mediators, applicants, the anonymous.
    """
    if not (user.is_authenticated and user.is_active):
        return _NOTHING
    if user.role == Role.SUPERVISOR:
        return Q()
    if user.role == Role.AGENT:
        return Q(site__agents=user) | Q(site__isnull=True)
    return _NOTHING


def can_handle_requests(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active) and user.role in (
        Role.AGENT,
        Role.SUPERVISOR,
    )


QUEUE_FILTERS = ("open", "new", "in_progress", "answered", "all")


def queue(*, user: User, state: str = "open", now: datetime | None = None) -> QuerySet:
    """The requests ``user`` sees, overdue ones first, then by deadline.

    ``state``: ``open`` (new or in progress, the default), one state, or ``all``.
    """
    now = now or timezone.now()
    rows = SubstitutionRequest.objects.filter(visible_requests(user))
    if state == "open":
        rows = rows.filter(state__in=OPEN_STATES)
    elif state in (State.NEW, State.IN_PROGRESS, State.ANSWERED):
        rows = rows.filter(state=state)
    overdue = Case(
        When(Q(due_at__lt=now) & ~Q(state=State.ANSWERED), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        rows.annotate(overdue_rank=overdue)
        .select_related("procedure", "site", "handled_by")
        .order_by("overdue_rank", "due_at", "pk")
    )


def request_for_staff(*, user: User, pk: int) -> SubstitutionRequest | None:
    """The request ``pk`` if ``user`` may see it, else ``None`` (a 404 either way)."""
    return (
        SubstitutionRequest.objects.filter(visible_requests(user), pk=pk)
        .select_related("procedure", "site", "handled_by", "appointment__slot__site", "applicant")
        .first()
    )


def request_by_tracking(*, tracking: str, birth_date) -> SubstitutionRequest | None:
    """The request of ``tracking`` if its date of birth is ``birth_date``; ``None``
    for a wrong pair exactly as for a number that does not exist."""
    number = tracking_parse(tracking or "")
    if number is None or birth_date is None:
        return None
    return (
        SubstitutionRequest.objects.filter(tracking=number, birth_date=birth_date)
        .select_related("procedure", "site", "appointment__slot__site")
        .first()
    )


def slots_for_answer(
    *, user: User, request: SubstitutionRequest, now: datetime | None = None, limit: int = 40
) -> list[Slot]:
    """The free slots ``user`` may book for ``request``: its procedure, at the
    user's sites (the site wished first), the priority pool first, soonest first."""
    now = now or timezone.now()
    pools = allowed_pools(user)
    if not pools:
        return []
    pool_rank = Case(
        When(pool=Pool.PRIORITY, then=Value(0)),
        When(pool=Pool.MEDIATION, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    site_rank = (
        Case(When(site_id=request.site_id, then=Value(0)), default=Value(1))
        if request.site_id
        else Value(0)
    )
    return list(
        Slot.objects.filter(
            procedure_id=request.procedure_id,
            site__in=Site.objects.filter(managed_sites(user)),
            site__is_active=True,
            pool__in=pools,
            starts_at__gt=now,
            capacity__gt=F("booked") + F("held"),
        )
        .select_related("site")
        .annotate(pool_rank=pool_rank, site_rank=site_rank)
        .order_by("site_rank", "pool_rank", "starts_at", "pk")[:limit]
    )


def requests_of(*, identity_key: str | None = None, applicant: Applicant | None = None) -> QuerySet:
    """The substitution requests of a person, oldest first: those filed under
    ``identity_key`` (the document), or for ``applicant`` (filed under their
    document, or answered by booking them). For the record of attempts."""
    condition = _NOTHING
    if identity_key:
        condition |= Q(identity_key=identity_key)
    if applicant is not None:
        condition |= Q(applicant_id=applicant.pk) | Q(identity_key=applicant.identity_key)
    return (
        SubstitutionRequest.objects.filter(condition)
        .select_related("procedure", "site", "appointment")
        .order_by("created_at", "pk")
    )
