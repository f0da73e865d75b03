"""The public transparency figures: per procedure and site, how the capacity is
given out and what became of it lately.

Read by the public page (``allocation.views.transparency``) and the API
(``allocation.api.transparency``), which show the same ``Figures``. A fixed
number of queries whatever the data (each one grouped by procedure and site),
kept ``TRANSPARENCY_CACHE_SECONDS`` in the cache: the page is public and may be
hammered.

What is counted (the page says it in words):

- *rows*: every active procedure at every active site that had a slot starting
  since the first week measured, a publication to come, or someone waiting
  who listed the site;
- *mode*: ``booking.rules.allocation_mode`` (the site's own, else the
  procedure's, else first come, first served);
- *waiting*: the waiting-list entries in force (waiting or paused) that list
  the site (a person who listed two sites counts at each);
- *seats per week*: the appointments made during each of the last
  ``TRANSPARENCY_WEEKS`` complete weeks (Monday to Sunday, local time), by any
  route (online, the waiting list, an access point, the prefecture), for a time
  at that site, not counting those cancelled since;
- *median wait* (days), over the appointments made since the first week
  measured: in a waiting-list mode, from joining the list to accepting the
  offer; first come, first served, from the person's first search that found
  nothing (the record of attempts, within ``WAIT_LOOKBACK_DAYS`` before) to the
  booking; ``None`` when nothing was measured;
- *next publication*: the day of the earliest publication of capacity to come.
  A publication at a random moment within a window shows the window's first
  day (today once it has begun) and stays listed until the window ends: the
  drawn moment is never read to decide what to show, so neither its minute nor
  its passing can be learnt here (``booking.capacity.visibility``);
- *refused as abuse*: ``refused_as_abuse_by_pair``.

The queries are in ``allocation.transparency.queries``; the figures, their
rows and the cache here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from allocation.transparency.queries import (
    SUSPENSION_KEY,
    WAIT_LOOKBACK_DAYS,
    Pair,
    local_midnight,
    median_wait_from_list,
    median_wait_from_searches,
    next_publications,
    pairs_shown,
    refused_as_abuse_by_pair,
    seats_by_week,
    shown_day,
    waiting_by_pair,
    weeks_measured,
)
from booking import rules as booking_rules
from booking.models import AllocationMode

CACHE_KEY = "allocation:transparency:v1"


@dataclass(frozen=True)
class Row:
    procedure_id: int
    procedure_slug: str
    procedure_name: str
    site_id: int
    site_slug: str
    site_name: str
    mode: str
    waiting: int
    # Appointments made per week, oldest week first (``Figures.weeks``).
    seats_by_week: list[int]
    median_wait_days: float | None
    next_publication: date | None
    refused_as_abuse: int

    @property
    def seats_per_week(self) -> float:
        return round(fmean(self.seats_by_week), 1) if self.seats_by_week else 0.0

    @property
    def queue(self) -> bool:
        return self.mode == AllocationMode.QUEUE

    @property
    def mode_label(self) -> str:
        return AllocationMode(self.mode).label

    @property
    def median_wait_whole_days(self) -> int | None:
        return None if self.median_wait_days is None else round(self.median_wait_days)

    def as_json(self) -> dict[str, Any]:
        return {
            "procedure": {"slug": self.procedure_slug, "name": self.procedure_name},
            "site": {"slug": self.site_slug, "name": self.site_name},
            "mode": self.mode,
            "waiting": self.waiting,
            "seats_by_week": self.seats_by_week,
            "seats_per_week": self.seats_per_week,
            "median_wait_days": self.median_wait_days,
            "median_wait_measure": "joined_to_offer_accepted"
            if self.queue
            else "first_failed_search_to_booking",
            "next_publication": self.next_publication.isoformat()
            if self.next_publication
            else None,
            "refused_as_abuse": self.refused_as_abuse,
        }


@dataclass
class ProcedureRows:
    slug: str
    name: str
    rows: list[Row] = field(default_factory=list)

    @property
    def queue(self) -> bool:
        """Given out by its waiting list at one of the places at least."""
        return any(row.queue for row in self.rows)


@dataclass(frozen=True)
class Figures:
    computed_at: datetime
    # The Monday of each week measured, oldest first; ``since``: the first one.
    weeks: list[date]
    rows: list[Row] = field(default_factory=list)

    @property
    def since(self) -> date:
        return self.weeks[0]

    @property
    def until(self) -> date:
        """The last day of the last complete week measured (a Sunday)."""
        return self.weeks[-1] + timedelta(days=6)

    @property
    def by_procedure(self) -> list[ProcedureRows]:
        """The rows grouped by procedure, in the rows' order (by name)."""
        groups: dict[int, ProcedureRows] = {}
        for row in self.rows:
            group = groups.setdefault(
                row.procedure_id, ProcedureRows(slug=row.procedure_slug, name=row.procedure_name)
            )
            group.rows.append(row)
        return list(groups.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "computed_at": self.computed_at.isoformat(),
            "weeks": [week.isoformat() for week in self.weeks],
            "since": self.since.isoformat(),
            "rows": [row.as_json() for row in self.rows],
        }


# --- Together ---------------------------------------------------------------------------


def compute(now: datetime | None = None) -> Figures:
    """Every figure, from the database: nine queries whatever the data."""
    now = now or timezone.now()
    weeks = weeks_measured(now)
    since = local_midnight(weeks[0])
    pairs = pairs_shown(since, now)
    if not pairs:
        return Figures(computed_at=now, weeks=weeks)
    modes = booking_rules.allocation_modes()
    waiting = waiting_by_pair()
    seats = seats_by_week(weeks)
    from_list = median_wait_from_list(since)
    from_searches = median_wait_from_searches(since)
    publications = next_publications(now)
    refused = refused_as_abuse_by_pair(since=since)
    rows = []
    for procedure_id, procedure_slug, procedure_name, site_id, site_slug, site_name in pairs:
        pair = (procedure_id, site_id)
        mode = booking_rules.allocation_mode(procedure_id, site_id, modes=modes)
        waits = from_list if mode == AllocationMode.QUEUE else from_searches
        median = waits.get(pair)
        rows.append(
            Row(
                procedure_id=procedure_id,
                procedure_slug=procedure_slug,
                procedure_name=procedure_name,
                site_id=site_id,
                site_slug=site_slug,
                site_name=site_name,
                mode=mode,
                waiting=waiting.get(pair, 0),
                seats_by_week=[seats.get((procedure_id, site_id, week), 0) for week in weeks],
                median_wait_days=None if median is None else round(median, 1),
                next_publication=publications.get(pair),
                refused_as_abuse=refused.get(pair, 0),
            )
        )
    return Figures(computed_at=now, weeks=weeks, rows=rows)


def _to_cache(figures: Figures) -> dict[str, Any]:
    return {
        "computed_at": figures.computed_at,
        "weeks": figures.weeks,
        "rows": [asdict(row) for row in figures.rows],
    }


def _from_cache(value: dict[str, Any]) -> Figures:
    return Figures(
        computed_at=value["computed_at"],
        weeks=value["weeks"],
        rows=[Row(**row) for row in value["rows"]],
    )


def cache_seconds() -> int:
    return settings.TRANSPARENCY_CACHE_SECONDS


def figures() -> Figures:
    """The figures as the public sees them: from the cache, computed at most once
    per ``TRANSPARENCY_CACHE_SECONDS`` (per cache, shared by every process)."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        try:
            return _from_cache(cached)
        except (KeyError, TypeError):  # an older shape: compute again
            pass
    computed = compute()
    if settings.TRANSPARENCY_CACHE_SECONDS > 0:
        cache.set(CACHE_KEY, _to_cache(computed), settings.TRANSPARENCY_CACHE_SECONDS)
    return computed


__all__ = [
    "CACHE_KEY",
    "SUSPENSION_KEY",
    "WAIT_LOOKBACK_DAYS",
    "Figures",
    "Pair",
    "ProcedureRows",
    "Row",
    "cache_seconds",
    "compute",
    "figures",
    "median_wait_from_list",
    "median_wait_from_searches",
    "next_publications",
    "refused_as_abuse_by_pair",
    "seats_by_week",
    "shown_day",
    "waiting_by_pair",
    "weeks_measured",
]
