"""An account takes over a walk-in's file (``booking.services.applicant_claim``
and the page ``booking:identity_claim``): with a booking reference of the file,
the date of birth and the document number on it; the same record, no second
identity; one refusal for every wrong combination, recorded and nothing else;
rate-limited; never a file that has an account; only a verified account."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from accounts.models import IdentityClaimAttempt
from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import Applicant, Appointment
from booking.selectors import appointments_for
from booking.services import appointment_book, appointment_cancel
from booking.services.identities import CLAIM_KEY_PREFIX, applicant_claim
from core.ratelimit import RateLimited
from notifications.models import Message, MessageChannel
from tests import factories

BIRTH_DATE = date(1987, 11, 2)
DOCUMENT = "9312345678"
TYPED_DOCUMENT = "93 12-345 678"  # as the person types it: spaces and dashes do not matter


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def point(db):
    return factories.AccessPointFactory()


@pytest.fixture
def point_mediator(point):
    return factories.MediatorFactory(access_point=point)


@pytest.fixture
def walk_in(point):
    """Registered at the point by its mediator: no account, the contacts the mediator typed."""
    return factories.ApplicantFactory(
        user=None,
        access_point=point,
        birth_date=BIRTH_DATE,
        document_number=DOCUMENT,
        phone="+33612345678",
        email="walk.in@example.test",
    )


@pytest.fixture
def booked(point_mediator, walk_in, slot):
    """The walk-in's appointment, booked by the point's mediator (with the person's consent)."""
    factories.ConsentFactory(applicant=walk_in, mediator=point_mediator)
    return appointment_book(actor=point_mediator, applicant=walk_in, slot_id=slot.pk)


@pytest.fixture
def newcomer(db):
    """A new account, its e-mail and phone confirmed, no identity yet."""
    return factories.UserFactory()


def _claim(user, reference, *, birth_date=BIRTH_DATE, document_number=TYPED_DOCUMENT, ip=None):
    return applicant_claim(
        actor=user,
        reference=reference,
        birth_date=birth_date,
        document_number=document_number,
        ip=ip or "192.0.2.20",
    )


def _state() -> dict:
    """Everything a claim could change: identities, appointments, messages."""
    return {
        "applicants": list(Applicant.objects.order_by("pk").values()),
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "messages": Message.objects.count(),
    }


# --- Taking it over ------------------------------------------------------------------------


def test_a_walk_in_booked_by_a_mediator_is_taken_over_by_a_new_account(
    booked, walk_in, point, newcomer
):
    key_before = walk_in.identity_key
    people_before = Applicant.objects.count()

    claimed = _claim(newcomer, f"  {booked.reference.lower()} ")

    # The same record: no second identity, the same key, the point's history kept.
    assert claimed.pk == walk_in.pk
    assert Applicant.objects.count() == people_before
    walk_in.refresh_from_db()
    assert walk_in.user == newcomer
    assert walk_in.identity_key == key_before
    assert walk_in.access_point == point
    booked.refresh_from_db()
    assert booked.applicant_id == walk_in.pk
    assert booked.booked_by_role == "mediator"
    assert booked.access_point == point  # the point keeps its history
    # Its appointments are the account's now.
    assert list(appointments_for(newcomer).values_list("reference", flat=True)) == [
        booked.reference
    ]
    event = AuditEvent.objects.get(action=AuditAction.IDENTITY_CLAIMED)
    assert event.actor_id == newcomer.pk and event.applicant_id == walk_in.pk
    assert event.details["reference"] == booked.reference
    assert event.details["access_point"] == point.pk
    assert sorted(event.details["walk_in_contacts_cleared"]) == ["email", "phone"]
    assert not IdentityClaimAttempt.objects.exists()


def test_the_access_point_still_sees_what_it_booked_after_the_take_over(
    booked, point_mediator, newcomer
):
    _claim(newcomer, booked.reference)

    assert booked.reference in set(
        appointments_for(point_mediator).values_list("reference", flat=True)
    )


def test_the_walk_ins_typed_contacts_give_way_to_the_accounts_confirmed_ones(
    booked, walk_in, newcomer
):
    newcomer.language = "en"
    newcomer.save(update_fields=["language"])

    _claim(newcomer, booked.reference)

    walk_in.refresh_from_db()
    assert (walk_in.phone, walk_in.email) == ("", "")
    assert walk_in.preferred_language == "en"
    # The next message about the appointment goes to the account's contacts.
    cancelled = appointment_cancel(actor=newcomer, appointment=booked)
    owed = Message.objects.filter(appointment=cancelled, template_key="appointment_cancelled")
    assert dict(owed.values_list("channel", "destination")) == {
        MessageChannel.SMS: newcomer.phone,
        MessageChannel.EMAIL: newcomer.email,
    }


def test_the_account_books_with_the_file_it_took_over(booked, walk_in, newcomer, site):
    _claim(newcomer, booked.reference)
    other_procedure = factories.SlotFactory(site=site)

    appointment = appointment_book(
        actor=newcomer, applicant=newcomer.applicant, slot_id=other_procedure.pk
    )

    assert appointment.applicant_id == walk_in.pk


# --- One refusal --------------------------------------------------------------------------


def _someone_elses(booked, other_applicant, slot):
    """An account holder's appointment, with that holder's own date of birth and document."""
    theirs = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    return {
        "reference": theirs.reference,
        "birth_date": other_applicant.birth_date,
        "document_number": other_applicant.document_number,
    }


WRONG = {
    "no such reference": lambda b, o, s: {"reference": "ZZZZ2222"},
    "not a reference at all": lambda b, o, s: {"reference": "¿%00 ; DROP"},
    "a wrong date of birth": lambda b, o, s: {"birth_date": date(1987, 11, 3)},
    "a wrong document number": lambda b, o, s: {"document_number": "9312345679"},
    "a wrong date and document": lambda b, o, s: {
        "birth_date": date(1990, 1, 1),
        "document_number": "9300000000",
    },
    "an empty document number": lambda b, o, s: {"document_number": "  "},
    "another person's file, with their proofs": _someone_elses,
}


@pytest.mark.parametrize("combination", WRONG)
def test_every_wrong_combination_gets_the_same_refusal_and_writes_only_its_record(
    booked, other_applicant, slot, newcomer, combination
):
    proofs = {
        "reference": booked.reference,
        "birth_date": BIRTH_DATE,
        "document_number": TYPED_DOCUMENT,
        **WRONG[combination](booked, other_applicant, slot),
    }
    before = _state()
    audit_before = AuditEvent.objects.count()

    with pytest.raises(errors.IdentityClaimRefused) as refused:
        _claim(newcomer, **proofs)

    assert refused.value.code == "identity_claim_refused"
    assert refused.value.detail == str(errors.IdentityClaimRefused.default_message)
    assert _state() == before
    attempt = IdentityClaimAttempt.objects.get()
    assert attempt.account == newcomer and attempt.ip == "192.0.2.20"
    # What the account typed, never the key of a record it found (its data export lists it).
    assert attempt.identity_key.startswith(CLAIM_KEY_PREFIX)
    assert not Applicant.objects.filter(identity_key=attempt.identity_key).exists()
    assert AuditEvent.objects.count() == audit_before + 1
    event = AuditEvent.objects.latest("pk")
    assert event.action == AuditAction.IDENTITY_CLAIM_REFUSED
    assert event.actor_id == newcomer.pk


def test_a_file_that_has_an_account_cannot_be_claimed(booked, walk_in, newcomer):
    _claim(newcomer, booked.reference)
    second = factories.UserFactory()

    with pytest.raises(errors.IdentityClaimRefused):
        _claim(second, booked.reference)

    walk_in.refresh_from_db()
    assert walk_in.user == newcomer
    assert not Applicant.objects.filter(user=second).exists()
    assert IdentityClaimAttempt.objects.get().account == second
    refusal = AuditEvent.objects.get(action=AuditAction.IDENTITY_CLAIM_REFUSED)
    assert refusal.details["reason"] == "has_account"


def test_an_account_holders_own_file_cannot_be_claimed_by_another_account(
    applicant, slot, newcomer
):
    theirs = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    with pytest.raises(errors.IdentityClaimRefused):
        _claim(
            newcomer,
            theirs.reference,
            birth_date=applicant.birth_date,
            document_number=applicant.document_number,
        )

    applicant.refresh_from_db()
    assert applicant.user_id != newcomer.pk


# --- Who may claim ------------------------------------------------------------------------


def test_an_unverified_account_is_refused_and_nothing_is_written(booked, walk_in):
    unverified = factories.UnverifiedUserFactory()
    before = _state()

    with pytest.raises(errors.AccountNotVerified) as refused:
        _claim(unverified, booked.reference)

    assert refused.value.code == "account_not_verified"
    assert _state() == before
    assert not IdentityClaimAttempt.objects.exists()


def test_an_account_with_half_its_contacts_confirmed_is_refused(booked):
    half = factories.UserFactory(phone_verified_at=None)

    with pytest.raises(errors.AccountNotVerified):
        _claim(half, booked.reference)


def test_an_account_that_has_an_identity_claims_no_second_one(booked, walk_in, applicant):
    with pytest.raises(errors.IdentityAlreadyOnFile):
        _claim(applicant.user, booked.reference)

    walk_in.refresh_from_db()
    assert walk_in.user is None


@pytest.mark.parametrize("role", ["mediator", "agent", "supervisor"])
def test_staff_do_not_claim_files(booked, walk_in, role):
    staff = factories.UserFactory(role=role)

    with pytest.raises(errors.NotAllowed):
        _claim(staff, booked.reference)

    walk_in.refresh_from_db()
    assert walk_in.user is None


# --- Rate limits --------------------------------------------------------------------------


def test_tries_are_limited_per_account_even_the_right_one(booked, walk_in, newcomer):
    with override_settings(RATELIMITS={"identity_claim": {"account": (2, 3600)}}):
        for _try in range(2):
            with pytest.raises(errors.IdentityClaimRefused):
                _claim(newcomer, booked.reference, birth_date=date(2000, 1, 1))
        with pytest.raises(RateLimited) as limited:
            _claim(newcomer, booked.reference)

    assert limited.value.scope == "identity_claim"
    walk_in.refresh_from_db()
    assert walk_in.user is None
    assert IdentityClaimAttempt.objects.count() == 2  # the limited try is not even recorded


def test_tries_are_limited_per_address_across_accounts(booked, walk_in):
    with override_settings(RATELIMITS={"identity_claim": {"ip": (2, 3600)}}):
        for _try in range(2):
            with pytest.raises(errors.IdentityClaimRefused):
                _claim(factories.UserFactory(), "ZZZZ2222", ip="198.51.100.7")
        with pytest.raises(RateLimited):
            _claim(factories.UserFactory(), booked.reference, ip="198.51.100.7")
        # Another address is not held back.
        assert _claim(factories.UserFactory(), booked.reference, ip="198.51.100.8") == walk_in


# --- The pages ----------------------------------------------------------------------------


def test_the_claim_page_takes_over_the_file_and_my_appointments_shows_it(
    web, booked, walk_in, newcomer
):
    web.force_login(newcomer)
    page = web.get(reverse("booking:identity_claim"))
    assert page.status_code == 200
    assert 'name="reference"' in page.content.decode()

    response = web.post(
        reverse("booking:identity_claim"),
        {
            "reference": booked.reference.lower(),
            "birth_date": "02/11/1987",
            "document_number": TYPED_DOCUMENT,
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("booking:my_appointments")
    listing = web.get(response.url).content.decode()
    assert booked.reference in listing
    assert "Your file is now in your account" in listing
    walk_in.refresh_from_db()
    assert walk_in.user == newcomer


def test_the_claim_page_shows_one_refusal_whatever_was_wrong(
    web, booked, other_applicant, slot, newcomer
):
    web.force_login(newcomer)
    someone_elses = _someone_elses(booked, other_applicant, slot)
    tries = [
        {"reference": "ZZZZ2222", "birth_date": "02/11/1987", "document_number": DOCUMENT},
        {"reference": booked.reference, "birth_date": "03/11/1987", "document_number": DOCUMENT},
        {"reference": booked.reference, "birth_date": "02/11/1987", "document_number": "93"},
        {**someone_elses, "birth_date": someone_elses["birth_date"].isoformat()},
    ]
    pages = []
    for data in tries:
        response = web.post(reverse("booking:identity_claim"), data)
        assert response.status_code == 200
        pages.append(response.content.decode())

    message = "No file matches this booking reference, date of birth and document number."
    assert all(message in page for page in pages)
    # Nothing in the page tells one wrong combination from another: only what was typed differs.
    assert len({page.count(message) for page in pages}) == 1
    assert IdentityClaimAttempt.objects.filter(account=newcomer).count() == len(tries)
    assert not Applicant.objects.filter(user=newcomer).exists()


def test_the_claim_page_shows_the_forms_errors(web, newcomer):
    web.force_login(newcomer)

    response = web.post(reverse("booking:identity_claim"), {"reference": "", "birth_date": "x"})

    assert response.status_code == 200
    assert 'id="error-summary"' in response.content.decode()
    assert not IdentityClaimAttempt.objects.exists()


def test_the_claim_page_sends_an_unverified_account_to_confirm_its_contacts(web, booked):
    web.force_login(factories.UnverifiedUserFactory())

    response = web.get(reverse("booking:identity_claim"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:verify")


def test_the_claim_page_sends_an_account_with_an_identity_to_it(web, applicant):
    web.force_login(applicant.user)

    response = web.post(reverse("booking:identity_claim"), {"reference": "ZZZZ2222"})

    assert response.status_code == 302
    assert response.url == reverse("booking:identity")
    assert not IdentityClaimAttempt.objects.exists()


def test_the_claim_page_answers_429_past_the_rate(web, booked, newcomer):
    web.force_login(newcomer)
    wrong = {"reference": "ZZZZ2222", "birth_date": "02/11/1987", "document_number": DOCUMENT}
    with override_settings(RATELIMITS={"identity_claim": {"account": (1, 3600)}}):
        assert web.post(reverse("booking:identity_claim"), wrong).status_code == 200
        refused = web.post(reverse("booking:identity_claim"), wrong)

    assert refused.status_code == 429


def test_the_identity_page_offers_the_claim_when_the_document_is_on_file(
    web, booked, walk_in, newcomer
):
    web.force_login(newcomer)
    page = web.get(reverse("booking:identity")).content.decode()
    assert reverse("booking:identity_claim") in page
    assert 'id="identity-claim-offer"' not in page

    response = web.post(
        reverse("booking:identity"),
        {
            "surname": walk_in.surname,
            "given_names": walk_in.given_names,
            "birth_date": "02/11/1987",
            "nationality": str(walk_in.nationality),
            "document_type": walk_in.document_type,
            "document_number": TYPED_DOCUMENT,
            "certify": "on",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="identity-claim-offer"' in page
    assert reverse("booking:identity_claim") in page
    assert "take over my file" in page
    assert not Applicant.objects.filter(user=newcomer).exists()


def test_my_appointments_without_an_identity_links_to_the_claim(web, newcomer):
    web.force_login(newcomer)

    page = web.get(reverse("booking:my_appointments")).content.decode()

    assert reverse("booking:identity_claim") in page
