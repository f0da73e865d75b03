"""Taking over a walk-in's file at once, on real concurrent transactions: the
record is locked while it is checked, so it gets one account; an account that
takes over two files at once keeps one (the unique ``user`` of the record)."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from accounts.models import IdentityClaimAttempt
from booking.models import Applicant
from booking.services import appointment_book
from booking.services.identities import applicant_claim
from tests import factories
from tests.helpers.racing import kinds, race

pytestmark = pytest.mark.django_db(transaction=True)

BIRTH_DATE = date(1984, 2, 29)


def _walk_in_booked(slot, document_number: str):
    mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(
        user=None,
        access_point=mediator.access_point,
        birth_date=BIRTH_DATE,
        document_number=document_number,
    )
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    return appointment_book(actor=mediator, applicant=walk_in, slot_id=slot.pk)


def _claim(user, appointment, document_number: str):
    return partial(
        applicant_claim,
        actor=user,
        reference=appointment.reference,
        birth_date=BIRTH_DATE,
        document_number=document_number,
        ip="192.0.2.30",
    )


def test_six_accounts_claiming_one_file_at_once_one_gets_it(slot):
    booked = _walk_in_booked(slot, "9300000101")
    users = factories.UserFactory.create_batch(6)

    outcomes = race([_claim(user, booked, "9300000101") for user in users])

    assert kinds(outcomes) == {"Applicant": 1, "IdentityClaimRefused": 5}, outcomes
    winner = next(o for o in outcomes if isinstance(o, Applicant))
    assert Applicant.objects.get(pk=booked.applicant_id).user_id == winner.user_id
    assert IdentityClaimAttempt.objects.count() == 5


def test_one_account_claiming_two_files_at_once_keeps_one(site, procedure):
    first = _walk_in_booked(factories.SlotFactory(site=site, procedure=procedure), "9300000201")
    second = _walk_in_booked(factories.SlotFactory(site=site, procedure=procedure), "9300000202")
    user = factories.UserFactory()

    outcomes = race([_claim(user, first, "9300000201"), _claim(user, second, "9300000202")])

    assert kinds(outcomes) == {"Applicant": 1, "IdentityAlreadyOnFile": 1}, outcomes
    assert Applicant.objects.filter(user=user).count() == 1
    assert Applicant.objects.filter(user=None).count() == 1
