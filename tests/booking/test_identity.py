from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from booking import errors
from booking.identity import (
    Identity,
    document_number_error,
    identity_key,
    normalize_document_number,
    normalize_name,
)
from booking.models import Applicant
from booking.services import applicant_create
from tests import factories

# --- Normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Élodie", "ELODIE"),
        ("élodie", "ELODIE"),
        ("  Müller  ", "MULLER"),
        ("Ñúñez", "NUNEZ"),
        ("Nguyễn Thị", "NGUYEN THI"),
        ("Straße", "STRASSE"),
        ("Œdipe Æsir Ørsted", "OEDIPE AESIR ORSTED"),
        ("Jean-Pierre", "JEAN PIERRE"),
        ("Jean  -  Pierre", "JEAN PIERRE"),
        ("d'Ornano", "DORNANO"),
        ("N\u2019Diaye", "NDIAYE"),  # typographic apostrophe, as phones type it
        ("Anne\tMarie\n", "ANNE MARIE"),
    ],
)
def test_names_compare_without_case_accents_or_punctuation(typed, normalized):
    assert normalize_name(typed) == normalized


def test_apostrophes_vanish_and_hyphens_separate_words():
    """As in a passport's machine-readable zone: "N'Diaye" is "NDIAYE", while
    "Jean-Paul" is "JEAN PAUL"."""
    assert normalize_name("Élodie  N'Diaye") == "ELODIE NDIAYE"
    assert normalize_name("Élodie  N\u2019Diaye") == normalize_name("ELODIE NDIAYE")
    assert normalize_name("Jean-Paul") == normalize_name("JEAN PAUL")
    assert normalize_name("N'Diaye") != normalize_name("N Diaye")


def test_names_in_non_latin_scripts_normalise_to_nothing():
    assert normalize_name("李") == ""
    assert normalize_name("محمد") == ""


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("93 12 345 678", "9312345678"),
        ("9312-345-678", "9312345678"),
        ("ab-12.34 56", "AB123456"),
        (" 12AB34cd ", "12AB34CD"),
    ],
)
def test_document_numbers_compare_without_case_spaces_or_punctuation(typed, normalized):
    assert normalize_document_number(typed) == normalized


def test_foreigner_number_key_does_not_depend_on_nationality():
    senegal = identity_key(
        document_type="agdref", document_number="93 12 345 678", nationality="SN"
    )
    mali = identity_key(document_type="agdref", document_number="9312345678", nationality="ML")

    assert senegal == mali == "agdref:9312345678"


def test_passport_key_includes_the_nationality():
    senegal = identity_key(document_type="passport", document_number="ab123456", nationality="sn")
    mali = identity_key(document_type="passport", document_number="AB 123 456", nationality="ML")

    assert senegal == "passport:SN:AB123456"
    assert mali == "passport:ML:AB123456"
    assert senegal != mali


@pytest.mark.parametrize(
    ("document_type", "number", "valid"),
    [
        ("agdref", "9312345678", True),
        ("agdref", "93 12 345 678", True),
        ("agdref", "931234567", False),  # 9 digits
        ("agdref", "93123456789", False),  # 11 digits
        ("agdref", "93123456A8", False),
        ("agdref", "", False),
        ("passport", "AB1234", True),  # 6
        ("passport", "ab-123 456", True),
        ("passport", "AB1234567890", True),  # 12
        ("passport", "AB123", False),  # 5
        ("passport", "AB12345678901", False),  # 13
        ("passport", "", False),
        ("identity_card", "AB123456", False),
        ("", "9312345678", False),
    ],
)
def test_document_numbers_are_checked_by_type(document_type, number, valid):
    assert (document_number_error(document_type, number) is None) is valid


def test_applicant_save_derives_the_normalised_fields(db):
    person = factories.ApplicantFactory(
        surname="N'Diaye", given_names="Élodie", document_number="93 12 345 678"
    )

    person.document_number = "93-00-000-001"
    person.save(update_fields=["document_number"])

    stored = Applicant.objects.get(pk=person.pk)
    assert stored.surname_normalized == "NDIAYE"
    assert stored.given_names_normalized == "ELODIE"
    assert stored.document_number == "9300000001"
    assert stored.identity_key == "agdref:9300000001"


# --- applicant_create -----------------------------------------------------------------


@pytest.fixture
def walk_in_desk(db):
    """A mediator registering walk-ins who have no account."""
    return factories.MediatorFactory()


def _identity(**overrides) -> Identity:
    return factories.identity(**({"document_number": "93 12 345 678"} | overrides))


def test_applicant_create_records_a_normalised_identity(db):
    user = factories.UserFactory()

    applicant = applicant_create(actor=user, user=user, identity=_identity())

    stored = Applicant.objects.get(pk=applicant.pk)
    assert stored.user_id == user.pk
    assert stored.document_number == "9312345678"
    assert stored.identity_key == "agdref:9312345678"
    assert (stored.surname_normalized, stored.given_names_normalized) == ("NDIAYE", "ELODIE")
    # No copy of the account's contacts: its messages go to the confirmed ones.
    assert (stored.phone, stored.email) == ("", "")


def test_mediator_records_a_walk_in_without_an_account(db, mediator):
    applicant = applicant_create(
        actor=mediator,
        user=None,
        identity=_identity(document_type="passport", document_number="P-1234567"),
    )

    stored = Applicant.objects.get(pk=applicant.pk)
    assert stored.user is None
    assert stored.email == ""
    assert stored.identity_key == "passport:SN:P1234567"


@pytest.mark.parametrize(
    "bad",
    [
        {"surname": "   "},
        {"given_names": ""},
        {"birth_date": timezone.localdate() + timedelta(days=1)},
        {"birth_date": date(timezone.localdate().year - 121, 6, 1)},
        {"document_number": "931234567"},
        {"document_number": "93123456789"},
        {"document_type": "passport", "document_number": "AB123"},
        {"document_type": "passport", "document_number": "AB12345678901"},
        {"document_type": "identity_card", "document_number": "AB123456"},
        {"surname": "محمد"},  # nothing left to compare at the counter
        {"surname": "'-"},
        {"nationality": ""},
        {"nationality": "XX"},
    ],
)
def test_applicant_create_refuses_an_invalid_identity(walk_in_desk, bad):
    with pytest.raises(errors.InvalidIdentity) as refused:
        applicant_create(actor=walk_in_desk, user=None, identity=_identity(**bad))

    assert refused.value.code == "invalid_identity"
    assert Applicant.objects.count() == 0


def test_applicant_create_refuses_a_document_already_on_file(walk_in_desk):
    applicant_create(
        actor=walk_in_desk, user=None, identity=_identity(document_number="9312345678")
    )
    broker = factories.UserFactory()

    with pytest.raises(errors.IdentityTaken) as refused:
        applicant_create(
            actor=broker,
            user=broker,
            identity=_identity(surname="Broker", document_number="93-12-345-678", nationality="ML"),
        )

    assert refused.value.code == "identity_taken"
    assert Applicant.objects.count() == 1


def test_same_passport_number_of_another_country_is_another_person(walk_in_desk):
    applicant_create(
        actor=walk_in_desk,
        user=None,
        identity=_identity(document_type="passport", document_number="AB123456"),
    )

    applicant_create(
        actor=walk_in_desk,
        user=None,
        identity=_identity(
            document_type="passport", document_number="ab 123 456", nationality="ML"
        ),
    )
    with pytest.raises(errors.IdentityTaken):
        applicant_create(
            actor=walk_in_desk,
            user=None,
            identity=_identity(
                document_type="passport", document_number="ab-123456", nationality="SN"
            ),
        )

    assert Applicant.objects.count() == 2


def test_an_account_holds_one_identity(db):
    user = factories.UserFactory()
    applicant_create(actor=user, user=user, identity=_identity())

    with pytest.raises(errors.IdentityAlreadyOnFile) as refused:
        applicant_create(actor=user, user=user, identity=_identity(document_number="9399999999"))

    assert refused.value.code == "identity_already_on_file"
    assert Applicant.objects.count() == 1


def test_an_applicant_may_not_register_someone_else(db):
    user, other = factories.UserFactory(), factories.UserFactory()

    with pytest.raises(errors.NotAllowed):
        applicant_create(actor=user, user=other, identity=_identity())
    with pytest.raises(errors.NotAllowed):
        applicant_create(actor=user, user=None, identity=_identity())

    assert Applicant.objects.count() == 0
