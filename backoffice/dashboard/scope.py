"""The dashboard's scope: the sites, procedures and weeks a request covers, and
what each figure is (``Figure``: key, label, kind)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from booking.models import Procedure, Site
from booking.permissions import managed_sites

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

WEEKS_DEFAULT = 8
WEEKS_MAX = 26
# How far back a search that found nothing still counts as the start of a wait
# for the appointment booked afterwards (a renewal a year later starts afresh).
WAIT_LOOKBACK_DAYS = 180


class Period:
    PAST = "past"
    COMING = "coming"
    BOTH = "both"
    CHOICES = (
        (BOTH, _("The past and the coming weeks")),
        (PAST, _("The past weeks")),
        (COMING, _("The coming weeks")),
    )
    VALUES = (BOTH, PAST, COMING)


class Kind:
    COUNT = "count"
    RATE = "rate"  # a fraction from 0 to 1, shown as a percentage
    DAYS = "days"


@dataclass(frozen=True)
class Figure:
    """One column of the dashboard: its key (API, CSV), its label, its kind."""

    key: str
    label: Promise
    kind: str = Kind.COUNT


# Level of a grouped row: which of (site, procedure, week) it is broken down by.
DETAIL = "detail"  # site, procedure and week
WEEK = "week"  # every site and procedure of the scope, one week
PAIR = "pair"  # one site and procedure, every week of the period
ALL = "all"  # the whole scope

# (level, site id, procedure id, week) -> {figure key: value}
Key = tuple[str, int | None, int | None, date | None]
SourceRows = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class Scope:
    """What a dashboard covers: the sites and procedures shown, the weeks (each
    a Monday, local), and the moments that split past from coming."""

    sites: tuple[Site, ...]
    procedures: tuple[Procedure, ...]
    weeks: tuple[date, ...]
    now: datetime
    # Whether the site filter is set: requests that wish no site show only without it.
    site_chosen: bool = False

    @property
    def site_ids(self) -> list[int]:
        return [site.pk for site in self.sites]

    @property
    def procedure_ids(self) -> list[int]:
        return [procedure.pk for procedure in self.procedures]

    @property
    def start(self) -> datetime:
        return local_midnight(self.weeks[0])

    @property
    def end(self) -> datetime:
        return local_midnight(self.weeks[-1] + timedelta(days=7))

    @property
    def this_week(self) -> date:
        """This week's Monday: the weeks before it are over (past weeks)."""
        return monday(timezone.localdate(self.now))

    @property
    def today_start(self) -> datetime:
        """Midnight today (local): a seat of a day before is past."""
        return local_midnight(timezone.localdate(self.now))

    def params(self) -> dict[str, Any]:
        return {
            "sites": self.site_ids,
            "procedures": self.procedure_ids,
            "start": self.start,
            "end": self.end,
            "now": self.now,
            "today": self.today_start,
            "tz": timezone.get_current_timezone_name(),
            "weeks": list(self.weeks),
        }


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_weeks(*, period: str, weeks: int, today: date) -> tuple[date, ...]:
    """The Mondays shown: ``weeks`` before this week (past), this week and the
    ``weeks - 1`` after it (coming), or both."""
    this_week = monday(today)
    past = [this_week - timedelta(weeks=n) for n in range(weeks, 0, -1)]
    coming = [this_week + timedelta(weeks=n) for n in range(weeks)]
    if period == Period.PAST:
        return tuple(past)
    if period == Period.COMING:
        return tuple(coming)
    return tuple(past + coming)


def dashboard_sites(user: User | AnonymousUser) -> list[Site]:
    """The sites whose figures ``user`` may see (agents: theirs; supervisors: all)."""
    return list(Site.objects.filter(managed_sites(user)).order_by("name", "pk"))


def dashboard_procedures() -> list[Procedure]:
    return list(Procedure.objects.order_by("name", "pk"))


class ScopeNotFound(LookupError):
    """A site or procedure filter names one that does not exist or is not the
    caller's: the page and the API answer 404, the same for both."""


def dashboard_scope(
    *,
    user: User | AnonymousUser,
    site: str = "",
    procedure: str = "",
    period: str = Period.BOTH,
    weeks: int = WEEKS_DEFAULT,
    now: datetime | None = None,
    sites: Sequence[Site] | None = None,
    procedures: Sequence[Procedure] | None = None,
) -> Scope:
    """The scope for ``user`` filtered by site and procedure slugs (empty: all).

    Raises ``ScopeNotFound`` for a slug that is not one of the user's sites or
    not a procedure. ``sites``/``procedures``: the lists already read (the
    page reads them for its filter form), to read them once.
    """
    now = now or timezone.now()
    visible = list(sites) if sites is not None else dashboard_sites(user)
    every_procedure = list(procedures) if procedures is not None else dashboard_procedures()
    chosen_sites = visible
    if site:
        chosen_sites = [s for s in visible if s.slug == site]
        if not chosen_sites:
            raise ScopeNotFound(site)
    chosen_procedures = every_procedure
    if procedure:
        chosen_procedures = [p for p in every_procedure if p.slug == procedure]
        if not chosen_procedures:
            raise ScopeNotFound(procedure)
    if period not in Period.VALUES:
        raise ValueError(period)
    if not 1 <= weeks <= WEEKS_MAX:
        raise ValueError(weeks)
    return Scope(
        sites=tuple(chosen_sites),
        procedures=tuple(chosen_procedures),
        weeks=period_weeks(period=period, weeks=weeks, today=timezone.localdate(now)),
        now=now,
        site_chosen=bool(site),
    )
