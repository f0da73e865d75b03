"""The demo's capacity: weekday slots at every site, some counters reserved for
access points (mediation) and for priority cases, published through
``slots_publish`` by the demo agent, as an agent would.

A second run publishes only the days after the last one that has slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from booking.models import Procedure, Site, Slot
from booking.services import OpeningRange, publication_plan, slots_publish

WEEKDAYS = range(5)  # Monday to Friday
OPENING_RANGES = (OpeningRange(time(9, 0), time(12, 0)), OpeningRange(time(13, 30), time(16, 0)))


@dataclass(frozen=True)
class Counters:
    total: int
    mediation: int = 0
    priority: int = 0


# Counters per site and procedure; some are reserved for access points
# (mediation) and for priority cases (renewals about to lapse, court orders).
CAPACITY: dict[str, dict[str, Counters]] = {
    "bobigny": {
        "premiere-demande": Counters(4, mediation=1),
        "renouvellement": Counters(4, mediation=1, priority=1),
        "remise-de-titre": Counters(3),
        "duplicata": Counters(1),
        "changement-adresse": Counters(1),
        "naturalisation": Counters(2),
    },
    "le-raincy": {
        "premiere-demande": Counters(2, mediation=1),
        "renouvellement": Counters(2, priority=1),
        "remise-de-titre": Counters(2),
        "naturalisation": Counters(1),
    },
    "saint-denis": {
        "premiere-demande": Counters(2, mediation=1),
        "renouvellement": Counters(2, priority=1),
        "remise-de-titre": Counters(2),
        "changement-adresse": Counters(1),
    },
}


def capacity_publish(
    *, agent: User, sites: dict[str, Site], procedures: dict[str, Procedure], weeks: int
) -> int:
    """Publish ``weeks`` of capacity from today as ``agent``, after what exists;
    return how many slots were created."""
    today = timezone.localdate()
    last_day = today + timedelta(weeks=weeks) - timedelta(days=1)
    latest_slots = (
        Slot.objects.filter(site__in=sites.values(), procedure__in=procedures.values())
        .values("site_id", "procedure_id")
        .annotate(latest=Max("starts_at"))
        .values_list("site_id", "procedure_id", "latest")
    )
    last_existing = {
        (site_id, procedure_id): latest for site_id, procedure_id, latest in latest_slots
    }
    created = 0
    for site_slug, plan in CAPACITY.items():
        site = sites[site_slug]
        for procedure_slug, counters in plan.items():
            procedure = procedures[procedure_slug]
            latest: datetime | None = last_existing.get((site.pk, procedure.pk))
            first_day = (
                today
                if latest is None
                else max(today, timezone.localdate(latest) + timedelta(days=1))
            )
            asked = {
                "site": site,
                "procedure": procedure,
                "date_from": first_day,
                "date_to": last_day,
                "weekdays": WEEKDAYS,
                "opening_ranges": OPENING_RANGES,
                "counters": counters.total,
                "mediation_counters": counters.mediation,
                "priority_counters": counters.priority,
            }
            if first_day > last_day or not publication_plan(actor=agent, **asked).times:
                # Nothing left to publish, or only days off (the four weeks end
                # on a weekend after the last weekday with slots): a publication
                # of no slot would be recorded at each run.
                continue
            result = slots_publish(actor=agent, **asked)
            created += result.created
    return created
