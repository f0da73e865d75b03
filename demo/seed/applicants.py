"""The demo applicants: ``applicant@`` with a complete identity, and, for
benchmarks and demos of volume, ``applicant1..N@``.

Every identity is recorded by a booking service, with its audit row: the
demo applicant's by ``applicant_create``, as the person would on the identity
page; the numbered ones by ``applicants_create_bulk`` (the system records them,
thousands in a few queries: one by one, 2,000 took twice as long to seed).
"""

from __future__ import annotations

import re

from django.utils import timezone

from accounts.models import Role, User
from booking.identity import Identity
from booking.models import Applicant
from booking.services import AccountIdentity, applicant_create, applicants_create_bulk
from demo.seed.accounts import APPLICANT_EMAIL, DEMO_DOMAIN, account_ensure
from demo.seed.people import DEMO_APPLICANT_IDENTITY, DEMO_APPLICANT_PHONE, demo_identity

_NUMBERED_APPLICANT = re.compile(rf"^applicant(\d+)@{re.escape(DEMO_DOMAIN)}$")


def demo_applicant_ensure(*, password_hash: str) -> User:
    """The demo applicant's account, confirmed, with its identity on file."""
    now = timezone.now()
    user = account_ensure(
        APPLICANT_EMAIL,
        password_hash,
        role=Role.APPLICANT,
        full_name="Mariama Diallo",
        phone=DEMO_APPLICANT_PHONE,
        email_verified_at=now,
        phone_verified_at=now,
    )
    if not Applicant.objects.filter(user=user).exists():
        applicant_create(actor=user, user=user, identity=DEMO_APPLICANT_IDENTITY)
    return user


def numbered_applicants_ensure(*, count: int, password_hash: str) -> int:
    """Accounts applicant1..count with their identities; return how many
    identities were recorded (those already on file are left as they are).

    The accounts are "verified applicants" (e-mail and phone confirmed), so
    they may book at once. Inserted in bulk: thousands of them take a few queries.
    """
    if count == 0:
        return 0
    existing = set(
        User.objects.filter(
            email__startswith="applicant", email__endswith=f"@{DEMO_DOMAIN}"
        ).values_list("email", flat=True)
    )
    now = timezone.now()
    User.objects.bulk_create(
        [
            User(
                email=email,
                password=password_hash,
                role=Role.APPLICANT,
                full_name=f"{identity['given_names']} {identity['surname']}",
                date_joined=now,
                phone=identity["phone"],
                email_verified_at=now,
                phone_verified_at=now,
            )
            for number in range(1, count + 1)
            if (email := f"applicant{number}@{DEMO_DOMAIN}") not in existing
            for identity in [demo_identity(number)]
        ],
        batch_size=500,
    )
    without_identity = User.objects.filter(
        email__startswith="applicant", email__endswith=f"@{DEMO_DOMAIN}", applicant__isnull=True
    ).order_by("pk")
    identities = []
    for user in without_identity:
        match = _NUMBERED_APPLICANT.match(user.email)
        if match is None:
            continue
        identity = demo_identity(int(match.group(1)))
        del identity["phone"]  # the account's: an account's identity has no contacts of its own
        identities.append(AccountIdentity(user=user, identity=Identity(**identity)))
    return len(applicants_create_bulk(identities=identities))
