"""What the soak sets up before its traffic, in its own process once Django is
set up: API tokens for the seeded applicants, two procedures of two-seat slots
at two sites, alert subscriptions, a third procedure given out by its waiting
list (``QUEUE_PROCEDURE``), walk-ins registered by the mediator (some to book,
some for the list), and the staff's tokens.

Staff get their API tokens here, as the tests' clients do
(``tests.helpers.api_clients``): the second factor is asked when a token is
made (``POST /api/v1/auth/token/`` with ``otp``), not on each request."""

from __future__ import annotations

from datetime import time as time_of_day
from datetime import timedelta

from bench import common

SITES = ("bobigny", "saint-denis")
PROCEDURES = ("soak-a", "soak-b")
# Given out by its waiting list (``_queue_procedure``).
QUEUE_PROCEDURE = "soak-q"


def setup(applicants: int, subscribers: int, waitlisters: int) -> dict:
    """Tokens for the seeded applicants; two procedures with two-seat slots for
    a week at two sites; a few alert subscriptions; a third procedure given out
    by its waiting list, for the waitlisters (tokens of their own)."""
    from django.utils import timezone

    from accounts.models import Role, User
    from booking.models import Applicant, Procedure, RequiredDocument, Site, Slot
    from booking.services import OpeningRange, slots_publish
    from notifications.models import AlertChannels
    from notifications.services import alert_subscribe

    everyone = list(
        Applicant.objects.filter(user__email__regex=r"^applicant\d+@")
        .select_related("user")
        .order_by("pk")[: applicants + waitlisters]
    )
    if len(everyone) < applicants + waitlisters:
        raise SystemExit(
            f"demo_seed made {len(everyone)} applicants, not {applicants + waitlisters}"
        )
    people, waiting = everyone[:applicants], everyone[applicants:]
    now = timezone.now()
    keys = common.api_tokens_create([p.user_id for p in everyone], label="soak")
    agent = User.objects.get(role=Role.AGENT, email__startswith="agent@")
    sites = [Site.objects.get(slug=slug) for slug in SITES]
    tomorrow = timezone.localdate() + timedelta(days=1)
    slots: dict[str, list[int]] = {}
    for slug in PROCEDURES:
        procedure = Procedure.objects.create(
            slug=slug,
            name=f"Soak {slug}",
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=30,
        )
        for site in sites:
            slots_publish(
                actor=agent,
                site=site,
                procedure=procedure,
                date_from=tomorrow,
                date_to=tomorrow + timedelta(days=6),
                weekdays=range(7),
                opening_ranges=[OpeningRange(time_of_day(9), time_of_day(12))],
                counters=2,
                slot_minutes=15,
                visible_at=now,
            )
        slots[slug] = list(
            Slot.objects.filter(procedure=procedure).order_by("pk").values_list("pk", flat=True)
        )
        if slug == PROCEDURES[0]:
            for person in people[:subscribers]:
                alert_subscribe(
                    applicant=person,
                    procedure=procedure,
                    site_ids=[site.pk for site in sites],
                    channels=AlertChannels.BOTH,
                )
    queue_slots = _queue_procedure(agent, sites, tomorrow, now)
    return {
        "tokens": [keys[p.user_id] for p in people],
        "slots": slots,
        "walk_ins": _walk_ins(max(5, applicants // 10)),
        "waitlisters": [[keys[p.user_id], p.pk] for p in waiting],
        # A walk-in on the list for every ten waitlisters (three at least), helped
        # by the mediator; every other one with a permit expiring within the window.
        "walk_in_waitlisters": _walk_in_waitlisters(max(3, waitlisters // 10))
        if waitlisters
        else [],
        "agent": common.api_tokens_create([agent.pk], label="soak-agent")[agent.pk],
        "queue_slots": queue_slots,
    }


def _queue_procedure(agent, sites, first_day, now) -> dict[int, list[str]]:
    """``QUEUE_PROCEDURE``, given out by its waiting list at both sites: a week of
    one-seat slots at 09:00 (14 seats), published into the pool ``queue`` as an
    agent does once the supervisor chose the mode. Scarce on purpose: more
    people wait than seats are free, so the order matters. Returns each slot's
    site and moments (``{id: [site, starts_at, ends_at]}``): the agent closes
    them."""
    from accounts.models import User
    from booking.models import AllocationMode, Procedure, RequiredDocument, Slot
    from booking.services import OpeningRange, allocation_mode_set, slots_publish
    from demo.seed.accounts import SUPERVISOR_EMAIL

    procedure = Procedure.objects.create(
        slug=QUEUE_PROCEDURE,
        name=f"Soak {QUEUE_PROCEDURE}",
        required_document=RequiredDocument.EITHER,
        cutoff_hours=0,
        horizon_days=30,
    )
    allocation_mode_set(
        actor=User.objects.get(email=SUPERVISOR_EMAIL),
        procedure=procedure,
        mode=AllocationMode.QUEUE,
    )
    for site in sites:
        slots_publish(
            actor=agent,
            site=site,
            procedure=procedure,
            date_from=first_day,
            date_to=first_day + timedelta(days=6),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time_of_day(9), time_of_day(9, 15))],
            counters=1,
            slot_minutes=15,
            visible_at=now,
        )
    return {
        pk: [site, starts_at.isoformat(), ends_at.isoformat()]
        for pk, site, starts_at, ends_at in Slot.objects.filter(procedure=procedure).values_list(
            "pk", "site__slug", "starts_at", "ends_at"
        )
    }


def _walk_ins(count: int) -> list[list]:
    """``count`` walk-ins registered at the demo's access point by its mediator,
    each with a mobile phone, an e-mail and a consent to booking and to both
    contacts (so each booking owes two messages, like an applicant's); the
    mediator's API token with each: ``[[token, applicant id], ...]``."""
    from mediation.models import ConsentPurpose

    return _registered(
        range(1, count + 1),
        [ConsentPurpose.BOOKING, ConsentPurpose.CONTACT_SMS, ConsentPurpose.CONTACT_EMAIL],
    )


def _walk_in_waitlisters(count: int) -> list[list]:
    """``count`` more walk-ins, for the waiting list: their consent covers it too
    (the mediator joins, answers offers, leaves and cancels for them: booking
    and the list). Every other one's permit expires in 20 days, which the
    mediator, having seen it, gives when joining (the class ``PERMIT_EXPIRING``):
    ``[[token, applicant id, "YYYY-MM-DD" or null], ...]``."""
    from django.utils import timezone

    from mediation.models import ConsentPurpose

    expiring = (timezone.localdate() + timedelta(days=20)).isoformat()
    registered = _registered(
        range(1001, 1001 + count),
        [
            ConsentPurpose.BOOKING,
            ConsentPurpose.WAITING_LIST,
            ConsentPurpose.CONTACT_SMS,
            ConsentPurpose.CONTACT_EMAIL,
        ],
    )
    return [[token, pk, expiring if n % 2 else None] for n, (token, pk) in enumerate(registered)]


def _registered(numbers, purposes) -> list[list]:
    """Walk-ins registered by the demo's mediator, numbered ``numbers``, with a
    consent for ``purposes``: ``[[the mediator's token, applicant id], ...]``."""
    from datetime import date

    from django.utils import timezone

    from accounts.models import User
    from booking.identity import Identity
    from demo.seed.accounts import MEDIATOR_EMAIL
    from mediation.models import ConsentGiver, ConsentMethod
    from mediation.services import consent_give, walk_in_register

    mediator = User.objects.get(email=MEDIATOR_EMAIL)
    token = common.api_tokens_create([mediator.pk], label="soak-mediator")[mediator.pk]
    until = timezone.localdate() + timedelta(days=30)
    walk_ins = []
    for number in numbers:
        person = walk_in_register(
            actor=mediator,
            identity=Identity(
                surname=f"Walk-in {number}",
                given_names="Soak",
                birth_date=date(1980, 1, 1) + timedelta(days=number),
                nationality="ML",
                document_type="agdref",
                document_number=f"77{number:08d}",
            ),
            phone=f"+336{number:08d}",
            email=f"walk-in{number}@example.test",
        )
        consent_give(
            actor=mediator,
            applicant=person,
            given_by=ConsentGiver.PERSON,
            given_by_name="",
            method=ConsentMethod.ORAL,
            purposes=purposes,
            valid_until=until,
        )
        walk_ins.append([token, person.pk])
    return walk_ins
