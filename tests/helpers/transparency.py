"""The transparency page's state for the accessibility walk: the persona world's
procedure given out by its waiting list at one site, people waiting, a
publication to come at a random moment within a window."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from allocation.models import WaitlistEntry
from booking.models import AllocationMode, AllocationPolicy, Channel, Publication
from tests.personas import World


@contextmanager
def transparency_figures(scenario: World) -> Iterator[None]:
    procedure, site = scenario.procedure, scenario.sites["site"]
    now = timezone.now()
    policy = AllocationPolicy.objects.create(
        procedure=procedure, site=site, mode=AllocationMode.QUEUE
    )
    entry = WaitlistEntry.objects.create(
        applicant=scenario.people["other_applicant"],
        procedure=procedure,
        identity_key=scenario.people["other_applicant"].identity_key,
        site_ids=[site.pk, scenario.sites["other_site"].pk],
        channel=Channel.WEB,
    )
    window = (now + timedelta(days=2), now + timedelta(days=4))
    publication = Publication.objects.create(
        site=site,
        procedure=procedure,
        visible_at=now + timedelta(days=3),
        date_from=timezone.localdate() + timedelta(days=20),
        date_to=timezone.localdate() + timedelta(days=24),
        parameters={"visible_window": [moment.isoformat() for moment in window]},
        slots_created=10,
        seats_created=30,
    )
    cache.clear()
    try:
        yield
    finally:
        publication.delete()
        entry.delete()
        policy.delete()
        cache.clear()
