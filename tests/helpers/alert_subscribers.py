"""Many alert subscribers at once (tests and bench/fanout): bulk inserts, no accounts."""

from __future__ import annotations

from datetime import date

from booking.models import Applicant, DocumentType
from notifications.models import AlertSubscription


def subscribers(*, n: int, procedure, site, channels: str = "both", prefix: str = "S") -> list:
    """``n`` applicants subscribed to ``procedure`` at ``site``; returns the subscriptions."""
    applicants = []
    for i in range(n):
        applicant = Applicant(
            surname=f"{prefix}Sub{i}",
            given_names="Alerte",
            birth_date=date(1990, 1, 1),
            nationality="ML",
            document_type=DocumentType.AGDREF,
            document_number=f"{abs(hash(prefix)) % 90 + 10}{i:08d}",
            phone=f"+3367{i:07d}",
            email=f"{prefix.lower()}sub{i}@example.test",
            preferred_language="en" if i % 5 == 0 else "fr",
        )
        applicant.derive_identity_fields()
        applicants.append(applicant)
    Applicant.objects.bulk_create(applicants, batch_size=2000)
    subscriptions = AlertSubscription.objects.bulk_create(
        [
            AlertSubscription(applicant=a, procedure=procedure, channels=channels)
            for a in applicants
        ],
        batch_size=2000,
    )
    through = AlertSubscription.sites.through
    through.objects.bulk_create(
        [through(alertsubscription_id=s.pk, site_id=site.pk) for s in subscriptions],
        batch_size=5000,
    )
    return subscriptions
