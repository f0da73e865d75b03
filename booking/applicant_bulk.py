"""Recording many account identities at once: the bulk twin of ``applicant_create``.

For the system (a command: the demo's numbered applicants, an import), not for
a person acting: there is no actor, so no permission to check. Each identity
is validated, normalised and audited as ``applicant_create`` does it; the
difference is the number of round trips (a few per batch instead of four per
person), which is what seeding thousands of benchmark applicants needs.

To move into ``booking/services/`` (identities) once that package exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import User
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event
from booking import errors
from booking.models import Applicant
from booking.services import identity_validate


@dataclass(frozen=True)
class AccountIdentity:
    """The identity to record for ``user``: what ``applicant_create`` takes for an account."""

    user: User
    surname: str
    given_names: str
    birth_date: date
    nationality: str
    document_type: str
    document_number: str
    preferred_language: str = "fr"


def applicants_create_bulk(
    *, identities: Sequence[AccountIdentity], batch_size: int = 500
) -> list[Applicant]:
    """Record every identity of ``identities``, each for its account, as the system.

    All or nothing, in one transaction: the ``Applicant`` rows, each with its
    derived fields, and one ``IDENTITY_RECORDED`` audit row per applicant (no
    actor: the system; the subject is the account; the details are those of
    ``applicant_create`` plus ``"bulk": true``). Accounts only: an account's
    identity has no contacts of its own, its messages go to the account's.

    Raises, writing nothing: ``InvalidIdentity`` (the first identity that
    ``identity_validate`` refuses), ``IdentityAlreadyOnFile`` (an account that
    has an identity, or appears twice), ``IdentityTaken`` (a document already
    on file, or twice in ``identities``).
    """
    if not identities:
        return []
    if any(count > 1 for count in Counter(row.user.pk for row in identities).values()):
        raise errors.IdentityAlreadyOnFile()
    applicants = []
    for row in identities:
        identity_validate(
            surname=row.surname,
            given_names=row.given_names,
            birth_date=row.birth_date,
            nationality=row.nationality,
            document_type=row.document_type,
            document_number=row.document_number,
        )
        applicant = Applicant(
            user=row.user,
            surname=row.surname.strip(),
            given_names=row.given_names.strip(),
            birth_date=row.birth_date,
            nationality=row.nationality,
            document_type=row.document_type,
            document_number=row.document_number,
            preferred_language=row.preferred_language,
        )
        # bulk_create skips Applicant.save, which derives these.
        applicant.derive_identity_fields()
        applicants.append(applicant)
    keys = [applicant.identity_key for applicant in applicants]
    if len(set(keys)) < len(keys):
        raise errors.IdentityTaken()
    with transaction.atomic():
        # Checked first for a clear error; the constraints still decide a race.
        if Applicant.objects.filter(user__in=[row.user for row in identities]).exists():
            raise errors.IdentityAlreadyOnFile()
        if Applicant.objects.filter(identity_key__in=keys).exists():
            raise errors.IdentityTaken()
        try:
            Applicant.objects.bulk_create(applicants, batch_size=batch_size)
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
            if "user_id" in (constraint or ""):
                raise errors.IdentityAlreadyOnFile() from None
            raise errors.IdentityTaken() from None
        AuditEvent.objects.bulk_create(
            [
                audit_event(
                    actor=None,
                    action=AuditAction.IDENTITY_RECORDED,
                    subject_user=applicant.user,
                    applicant=applicant,
                    details={
                        "document_type": applicant.document_type,
                        "walk_in": False,
                        "bulk": True,
                    },
                )
                for applicant in applicants
            ],
            batch_size=batch_size,
        )
    return applicants
