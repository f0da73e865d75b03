"""``applicants_create_bulk``: many account identities at once, each validated,
normalised and audited as ``applicant_create`` does it, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import Applicant
from booking.services import AccountIdentity, applicant_create, applicants_create_bulk
from tests import factories

pytestmark = pytest.mark.django_db


def _identity(user, number: int, **overrides) -> AccountIdentity:
    fields = {"surname": " N'Diaye ", "document_number": f"93 {number:08d}"}
    identity = factories.identity(**(fields | overrides))
    return AccountIdentity(user=user, identity=identity)


def test_bulk_records_each_identity_as_applicant_create_would_with_one_audit_row_each():
    users = factories.UserFactory.create_batch(3)
    one_by_one = factories.UserFactory()
    by_service = applicant_create(
        actor=one_by_one, user=one_by_one, identity=_identity(one_by_one, 99).identity
    )

    created = applicants_create_bulk(identities=[_identity(u, n) for n, u in enumerate(users)])

    assert [a.user for a in created] == users
    for applicant in Applicant.objects.filter(user__in=users).order_by("user_id"):
        assert applicant.surname == "N'Diaye"
        for field in ("surname_normalized", "given_names_normalized", "phone", "email"):
            assert getattr(applicant, field) == getattr(by_service, field), field
        assert applicant.identity_key == f"agdref:{applicant.document_number}"
        assert applicant.document_number.startswith("93") and " " not in applicant.document_number
    rows = AuditEvent.objects.filter(
        action=AuditAction.IDENTITY_RECORDED, applicant__user__in=users
    )
    assert sorted(rows.values_list("subject_user_id", flat=True)) == [u.pk for u in users]
    for row in rows:
        assert row.actor_id is None and row.actor_label == ""  # the system
        assert row.details == {"document_type": "agdref", "walk_in": False, "bulk": True}


def test_bulk_of_nothing_writes_nothing():
    assert applicants_create_bulk(identities=[]) == []
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"nationality": "XX"}, errors.InvalidIdentity),
        ({"surname": "???"}, errors.InvalidIdentity),
        ({"birth_date": date(2999, 1, 1)}, errors.InvalidIdentity),
        ({"document_number": "12"}, errors.InvalidIdentity),
        ({"document_number": "93 00000000"}, errors.IdentityTaken),  # the first one's
    ],
)
def test_one_refused_identity_writes_nothing(bad, error):
    first, second = factories.UserFactory.create_batch(2)

    with pytest.raises(error):
        applicants_create_bulk(identities=[_identity(first, 0), _identity(second, 1, **bad)])

    assert not Applicant.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_account_twice_or_with_an_identity_already_is_refused():
    user, other = factories.UserFactory.create_batch(2)

    with pytest.raises(errors.IdentityAlreadyOnFile):
        applicants_create_bulk(identities=[_identity(user, 1), _identity(user, 2)])
    applicants_create_bulk(identities=[_identity(user, 1)])
    with pytest.raises(errors.IdentityAlreadyOnFile):
        applicants_create_bulk(identities=[_identity(other, 2), _identity(user, 3)])

    assert Applicant.objects.count() == AuditEvent.objects.count() == 1


def test_a_document_already_on_file_is_refused():
    holder, newcomer = factories.UserFactory.create_batch(2)
    factories.ApplicantFactory(user=holder, document_number="9300000007")

    with pytest.raises(errors.IdentityTaken):
        applicants_create_bulk(identities=[_identity(newcomer, 7)])

    assert not Applicant.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.exists()
