"""The join storm's world and its checks: the people with their tokens, the
procedures each path asks for, the requests of a round, the bench's own
bookkeeping between rounds (``reset``) and what a round must have done
(``check``). ``bench.statements`` runs the same world in one process.

Three paths, the same N applicants in each:
- ``join``: ``POST /api/v1/waitlist/`` for a procedure given out by its list
  (the storm);
- ``sold-out``: ``POST /api/v1/appointments/`` for a slot already full, a
  refused booking (the issue's baseline: a join is to cost about what it
  costs);
- ``booked``: ``POST /api/v1/appointments/`` for a free seat of an open
  procedure, a booking made (the other durable write of the API, for scale).
"""

from __future__ import annotations

import math
import random
from datetime import time, timedelta

from bench import common

PATHS = ("sold-out", "join", "booked")
JOIN_PROCEDURE = "bench-join"
SOLD_OUT_PROCEDURE = "bench-sold-out"
BOOKED_PROCEDURE = "bench-booked"
SITE = "bobigny"


def setup(applicants: int, slots: int, list_days: int = 0, waiting: int = 0) -> dict:
    """Tokens; a procedure given out by its list at the site, its capacity of
    ``list_days`` days (100 slots a day) all given out (no seat to offer: the
    storm measures joining), ``waiting`` people on its list already; an open
    procedure with ``slots`` slots, all full; another with ``slots`` slots and
    a seat for each applicant."""
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Role, User
    from booking.models import (
        AllocationMode,
        AllocationPolicy,
        Procedure,
        RequiredDocument,
        Site,
        Slot,
    )
    from booking.services import OpeningRange, slots_publish

    people = common.demo_applicants_with_tokens(applicants)
    site = Site.objects.get(slug=SITE)
    join = Procedure.objects.create(
        slug=JOIN_PROCEDURE,
        name="Bench join",
        required_document=RequiredDocument.EITHER,
        cutoff_hours=0,
        horizon_days=30,
    )
    AllocationPolicy.objects.create(procedure=join, mode=AllocationMode.QUEUE)
    agent = User.objects.get(role=Role.AGENT, email__startswith="agent@")

    def published(slug: str, name: str, counters: int = 1):
        """An open procedure with ``slots`` slots tomorrow at the site, ``counters``
        seats each."""
        procedure = Procedure.objects.create(
            slug=slug,
            name=name,
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=30,
        )
        minutes = max(1, 600 // slots)
        end = (8 * 60) + minutes * slots
        slots_publish(
            actor=agent,
            site=site,
            procedure=procedure,
            date_from=timezone.localdate() + timedelta(days=1),
            date_to=timezone.localdate() + timedelta(days=1),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(8, 0), time(end // 60, end % 60))],
            counters=counters,
            slot_minutes=minutes,
            visible_at=timezone.now(),
        )
        return procedure, Slot.objects.filter(procedure=procedure)

    sold_out, full = published(SOLD_OUT_PROCEDURE, "Bench sold out")
    # The bench's own bookkeeping: the slots full without appointments.
    full.update(booked=F("capacity"))
    # Room for every applicant, as the release storm's booking phase has.
    booked, free = published(BOOKED_PROCEDURE, "Bench booked", math.ceil(applicants / slots))
    if list_days:
        # The list's capacity, all given out: what a scarce procedure's list has
        # when people join it (a join reads whether a seat waits to be offered).
        slots_publish(
            actor=agent,
            site=site,
            procedure=join,
            date_from=timezone.localdate() + timedelta(days=1),
            date_to=timezone.localdate() + timedelta(days=list_days),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(8, 0), time(18, 0))],
            counters=1,
            slot_minutes=6,
            visible_at=timezone.now(),
        )
        Slot.objects.filter(procedure=join).update(booked=F("capacity"))
    if waiting:
        waiting_seed(waiting, procedure_id=join.pk, site_id=site.pk)
    return {
        "people": people,
        "waiting": waiting,
        "join": join.pk,
        "sold_out": sold_out.pk,
        "slots": list(full.order_by("pk").values_list("pk", flat=True)),
        "booked": booked.pk,
        "free": list(free.order_by("pk").values_list("pk", flat=True)),
    }


def waiting_seed(waiting: int, *, procedure_id: int, site_id: int) -> None:
    """``waiting`` people on the list before the storm, with their accounts and
    identities (``bench.allocation.seed``), then ``VACUUM ANALYZE``."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.allocation.seed import accounts_seed, entries_seed

    now = timezone.now()
    with transaction.atomic():
        first_user, applicants = accounts_seed(waiting, now)
        entries_seed(
            entries=waiting,
            procedure_id=procedure_id,
            site_ids=[site_id],
            first_user=first_user,
            applicants=applicants,
            now=now,
            rng=random.Random(19),
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def requests_of(setup: dict, path: str, duplicates: int, seed: int) -> list[dict]:
    """A round's requests: one per applicant, and on ``join`` ``duplicates``
    of them sent twice."""
    people = setup["people"]
    if path in ("sold-out", "booked"):
        slots = setup["slots" if path == "sold-out" else "free"]
        return [
            {
                "method": "POST",
                "path": "/api/v1/appointments/",
                "headers": {"Authorization": f"Token {key}"},
                "body": {"slot": slots[index % len(slots)]},
            }
            for index, (_pk, key) in enumerate(people)
        ]
    requests = [
        {
            "method": "POST",
            "path": "/api/v1/waitlist/",
            "headers": {"Authorization": f"Token {key}"},
            "body": {"procedure": JOIN_PROCEDURE, "sites": [SITE]},
        }
        for _pk, key in people
    ]
    # Each duplicate right after its first: both in flight at once.
    for index in sorted(random.Random(seed).sample(range(len(people)), duplicates), reverse=True):
        requests.insert(index + 1, dict(requests[index]))
    return requests


def reset(setup: dict) -> None:
    """Before a round (the bench's bookkeeping, not a service): take the storm's
    people off the list, those waiting before the storm stay; remove the
    appointments of ``booked`` and free its seats again."""
    from django.db import connection

    from allocation.models import WaitlistEntry
    from booking.models import Appointment, Slot

    WaitlistEntry.objects.filter(
        procedure_id=setup["join"], applicant_id__in=[pk for pk, _key in setup["people"]]
    ).delete()
    Appointment.objects.filter(procedure_id=setup["booked"]).delete()
    Slot.objects.filter(procedure_id=setup["booked"]).update(booked=0)
    connection.close()


def check(result: common.Result, setup: dict, path: str, duplicates: int) -> list[str]:
    from django.db import connection
    from django.db.models import Count

    from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
    from booking.models import Appointment

    problems = []
    n = len(setup["people"])
    if result.server_errors or result.connection_errors:
        problems.append(
            f"{result.server_errors} 5xx, {result.connection_errors} connection errors "
            f"(e.g. {result.bodies.get(500, '')[:200]!r})"
        )
    if path == "sold-out":
        if result.count(409) != n:
            problems.append(f"{result.count(409)} refusals (409), expected {n}: {result.bodies}")
        if Appointment.objects.filter(procedure_id=setup["sold_out"]).exists():
            problems.append("an appointment was made in a full slot")
    elif path == "booked":
        made = Appointment.objects.filter(procedure_id=setup["booked"])
        if result.count(201) != n or made.count() != n:
            problems.append(
                f"201: {result.count(201)}, appointments: {made.count()} (expected {n} of "
                f"each); {result.bodies}"
            )
        if made.values("applicant").distinct().count() != n:
            problems.append("an applicant holds two appointments")
    else:
        if result.count(201) != n or result.count(409) != duplicates:
            problems.append(
                f"201: {result.count(201)} (expected {n}), 409: {result.count(409)} "
                f"(expected {duplicates}); {result.bodies}"
            )
        if duplicates and "already_waiting" not in result.bodies.get(409, ""):
            problems.append(f"a duplicate answered {result.bodies.get(409)!r}")
        counts = WaitlistEntry.objects.filter(
            procedure_id=setup["join"], status__in=ENTRY_IN_FORCE
        ).aggregate(
            entries=Count("pk"),
            people=Count("applicant", distinct=True),
            identities=Count("identity_key", distinct=True),
        )
        expected = n + setup["waiting"]
        if set(counts.values()) != {expected}:
            problems.append(
                f"the list holds {counts}, expected {expected} of each "
                f"({n} joined, {setup['waiting']} waiting before)"
            )
    connection.close()
    return problems
