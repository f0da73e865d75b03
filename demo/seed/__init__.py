"""The Seine-Saint-Denis demonstration data: ``demo_seed``.

Sites, procedures, access points, weeks of capacity (published through
``booking.services.slots_publish``, as an agent would), one account per role
and, on request, numbered applicants with complete identities. The sections
live in ``places``, ``capacity``, ``accounts``, ``people`` and ``applicants``;
their public names are re-exported here.

Idempotent: sites, procedures and access points are found by slug, accounts
and applicants by e-mail; capacity is only published after the last day that
already has some. Running it twice creates nothing twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from booking.models import AllocationMode, Applicant, Procedure, Site, Slot
from booking.services import allocation_mode_set
from demo.closures import closures_demo_ensure
from demo.counter import counter_day_ensure
from demo.court import injunctions_ensure
from demo.guard import DemoRefused, demo_guard
from demo.seed.accounts import (
    ADMIN_EMAIL,
    AGENT_EMAIL,
    APPLICANT_EMAIL,
    DEMO_DOMAIN,
    DEMO_OTP_DEVICE,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY,
    DEMO_TOTP_KEY_BASE32,
    MEDIATOR_EMAIL,
    SUPERVISOR_EMAIL,
    passwords_set,
    staff_accounts_ensure,
)
from demo.seed.applicants import demo_applicant_ensure, numbered_applicants_ensure
from demo.seed.capacity import CAPACITY, OPENING_RANGES, WEEKDAYS, Counters, capacity_publish
from demo.seed.people import DEMO_APPLICANT_IDENTITY, DEMO_APPLICANT_PHONE, demo_identity
from demo.seed.places import ACCESS_POINTS, PROCEDURES, SITES, places_ensure
from mediation.models import AccessPoint

__all__ = [
    "ACCESS_POINTS",
    "ADMIN_EMAIL",
    "AGENT_EMAIL",
    "APPLICANT_EMAIL",
    "CAPACITY",
    "DEMO_APPLICANT_IDENTITY",
    "DEMO_APPLICANT_PHONE",
    "DEMO_DOMAIN",
    "DEMO_OTP_DEVICE",
    "DEMO_PASSWORD",
    "DEMO_TOTP_KEY",
    "DEMO_TOTP_KEY_BASE32",
    "MEDIATOR_EMAIL",
    "OPENING_RANGES",
    "PROCEDURES",
    "QUEUE_PROCEDURES",
    "SITES",
    "SUPERVISOR_EMAIL",
    "WEEKDAYS",
    "Counters",
    "DemoRefused",
    "DemoSeeded",
    "demo_identity",
    "demo_seed",
]

MAX_WEEKS = 52
# The procedures the demo gives out by their waiting list.
QUEUE_PROCEDURES = ("premiere-demande",)


@dataclass(frozen=True)
class DemoSeeded:
    """What a ``demo_seed`` run did, and what the database then holds."""

    slots_created: int
    applicants_created: int
    seconds: float
    sites: int
    procedures: int
    access_points: int
    slots: int


def demo_seed(
    *,
    applicants: int = 0,
    weeks: int = 4,
    password: str = DEMO_PASSWORD,
    force: bool = False,
) -> DemoSeeded:
    """Load the demo, in one transaction.

    ``applicants``: also applicant1..N@demo.guichet.test, verified, with
    identities. ``weeks``: weeks of capacity from today (1 to 52).
    ``password``: of every demo account, old ones included. ``force``: run
    even with DEBUG off.

    Raises ``DemoRefused`` when DEBUG is off without ``force`` (the accounts
    have a known password), ``ValueError`` for an option out of range; in
    either case nothing is written.
    """
    demo_guard(
        force=force,
        refusal="DEBUG is off: seed_demo creates accounts with a known password. "
        "Use --force if this really is a demo server.",
    )
    if applicants < 0:
        raise ValueError("applicants must be 0 or more.")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}.")
    if not password:
        raise ValueError("the password must not be empty.")

    started = time.monotonic()
    # One hash for every demo account: hashing is deliberately slow.
    password_hash = make_password(password)
    with transaction.atomic():
        sites, procedures, access_points = places_ensure()
        staff = staff_accounts_ensure(
            password_hash=password_hash, sites=list(sites.values()), access_point=access_points[0]
        )
        demo_user = demo_applicant_ensure(password_hash=password_hash)
        demo_applicant = Applicant.objects.filter(user=demo_user).first()
        # The scarce procedure is given out by its waiting list (issue 19): its
        # public counters are published into the list's pool.
        for slug in QUEUE_PROCEDURES:
            allocation_mode_set(
                actor=staff["supervisor"], procedure=procedures[slug], mode=AllocationMode.QUEUE
            )
        slots_created = capacity_publish(
            agent=staff["agent"], sites=sites, procedures=procedures, weeks=weeks
        )
        counter_day_ensure(
            agent=staff["agent"], site=sites["bobigny"], procedure=procedures["renouvellement"]
        )
        closures_demo_ensure(
            agent=staff["agent"], site=next(iter(sites.values())), applicant=demo_applicant
        )
        injunctions_ensure(
            agent=staff["agent"], site=sites["bobigny"], procedure=procedures["renouvellement"]
        )
        applicants_created = numbered_applicants_ensure(
            count=applicants, password_hash=password_hash
        )
        passwords_set(password_hash=password_hash)
    return DemoSeeded(
        slots_created=slots_created,
        applicants_created=applicants_created,
        seconds=time.monotonic() - started,
        sites=Site.objects.count(),
        procedures=Procedure.objects.count(),
        access_points=AccessPoint.objects.count(),
        slots=Slot.objects.count(),
    )
