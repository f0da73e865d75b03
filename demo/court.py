"""Demo data of the court-ordered convocations: four orders of the administrative
court at Bobigny, for a renewal, one in each state an agent meets (overdue, at risk,
open, served in time), for walk-ins registered by the demo agent.

Idempotent: an order already recorded (by its case number) is left as it is.
Through the services (``injunction_record``, ``injunction_convoke``), as an
agent would; the served one is booked on the soonest free priority time
before its deadline, if the demo capacity has one.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from booking.identity import Identity, identity_key
from booking.injunctions import convocation_pools, deadline_end
from booking.models import Applicant, Injunction, Procedure, Site, Slot
from booking.services import applicant_create, injunction_convoke, injunction_record
from core.errors import DomainError

COURT = "Tribunal administratif de Montreuil"

# (case number, surname, given names, nationality, foreigner number (AGDREF), days from the order to
# today, days from today to the deadline, served)
ORDERS = [
    ("2600101", "Camara", "Fatoumata", "GN", "9399900101", 20, -3, False),
    ("2600102", "Benali", "Yacine", "DZ", "9399900102", 10, 4, False),
    ("2600103", "Nguyen", "Thi Lan", "VN", "9399900103", 2, 20, False),
    ("2600104", "Okafor", "Chidi", "NG", "9399900104", 5, 15, True),
]


def _person(*, agent: User, surname, given_names, nationality, agdref) -> Applicant:
    identity = Identity(
        surname=surname,
        given_names=given_names,
        birth_date=date(1987, 4, 12),
        nationality=nationality,
        document_type="agdref",
        document_number=agdref,
    )
    key = identity_key(document_type="agdref", document_number=agdref, nationality=nationality)
    existing = Applicant.objects.filter(identity_key=key).first()
    if existing is not None:
        return existing
    return applicant_create(
        actor=agent,
        user=None,
        identity=identity,
        phone="+33612000000",
        email=f"{surname.lower()}@demo.guichet.test",
    )


def injunctions_ensure(*, agent: User, site: Site, procedure: Procedure) -> int:
    """The demo orders at ``site`` for ``procedure``, recorded by ``agent``; how many
    were recorded now."""
    today = timezone.localdate()
    recorded = 0
    for case, surname, given, nationality, agdref, ago, ahead, served in ORDERS:
        if Injunction.objects.filter(case_number=case).exists():
            continue
        person = _person(
            agent=agent,
            surname=surname,
            given_names=given,
            nationality=nationality,
            agdref=agdref,
        )
        order = injunction_record(
            actor=agent,
            applicant=person,
            court=COURT,
            case_number=case,
            ordered_on=today - timedelta(days=ago),
            deadline=today + timedelta(days=ahead),
            procedure=procedure,
            site=site,
            notes="Référé « mesures utiles » (article L. 521-3 du code de justice administrative).",
        )
        recorded += 1
        if served:
            slot = (
                Slot.objects.filter(
                    site=site,
                    procedure=procedure,
                    pool__in=convocation_pools(agent),
                    starts_at__gt=timezone.now() + timedelta(days=1),
                    starts_at__lt=deadline_end(order),
                    published_at__lte=timezone.now(),
                    capacity__gt=F("booked") + F("held"),
                )
                .order_by("starts_at")
                .first()
            )
            if slot is not None:
                # Full, or the person booked meanwhile: the order is left open.
                with suppress(DomainError):
                    injunction_convoke(actor=agent, injunction=order, slot_id=slot.pk)
    return recorded
