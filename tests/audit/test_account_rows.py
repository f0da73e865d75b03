"""Each account service writes exactly the expected audit row: who (account,
role), what, on which account or identity, from which address when it came
through a page, and details that help a supervisor without leaking secrets."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken, User
from audit.models import AuditAction, AuditEvent
from booking import services as identity_services
from booking.models import Applicant, Slot
from privacy import services as privacy_services
from tests import factories
from tests.auth import login
from tests.helpers.audit import CLIENT_IP, book
from tests.helpers.inbox import confirm_path, sms_code

pytestmark = pytest.mark.django_db


def _rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def _only(action: str) -> AuditEvent:
    rows = _rows(action)
    assert len(rows) == 1, rows
    return rows[0]


def _identity_post(applicant: Applicant, **changes) -> dict:
    data = {
        "edit": "1",
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date.isoformat(),
        "nationality": str(applicant.nationality),
        "document_type": applicant.document_type,
        "document_number": applicant.document_number,
        "certify": "on",
    }
    data.update(changes)
    return data


def test_registration_through_the_page_writes_account_created_with_the_address(web):
    response = web.post(
        reverse("accounts:register"),
        {
            "email": "Awa.Kone@Example.test",
            "password": "a-long-enough-passphrase",
            "phone": "06 12 34 56 78",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="awa.kone@example.test")
    row = _only(AuditAction.ACCOUNT_CREATED)
    assert (row.actor_id, row.actor_label, row.actor_role) == (user.pk, user.email, "applicant")
    assert row.subject_user_id == user.pk
    assert row.ip == CLIENT_IP
    assert row.details == {"role": "applicant", "by": "self-registration"}
    assert "a-long-enough-passphrase" not in json.dumps(row.details)
    # Confirming what was given at registration is no change of contact details.
    web.get(confirm_path("awa.kone@example.test"))
    web.post(reverse("accounts:phone_confirm"), {"code": sms_code("+33612345678")})
    user.refresh_from_db()
    assert user.email_verified_at and user.phone_verified_at
    assert _rows(AuditAction.CONTACT_CHANGED) == []


def test_refused_registration_writes_nothing(web):
    factories.UserFactory(email="taken@example.test")
    web.post(
        reverse("accounts:register"),
        {
            "email": "taken@example.test",
            "password": "a-long-enough-passphrase",
            "phone": "0612345678",
            "consent": "on",
        },
    )
    assert AuditEvent.objects.count() == 0


def test_email_change_confirmed_by_its_link_writes_before_and_after(web, applicant_user):
    old = applicant_user.email
    services.email_change_request(user=applicant_user, new_email="new.address@example.test")
    assert _rows(AuditAction.CONTACT_CHANGED) == []  # asked, not yet confirmed
    response = web.get(confirm_path("new.address@example.test"))
    assert response.status_code == 302
    row = _only(AuditAction.CONTACT_CHANGED)
    assert row.actor_id == applicant_user.pk
    assert row.subject_user_id == applicant_user.pk
    assert row.ip == CLIENT_IP
    assert row.details == {"field": "email", "before": old, "after": "new.address@example.test"}


def test_phone_change_confirmed_by_its_code_writes_before_and_after(web, applicant_user):
    old = applicant_user.phone
    login(web, applicant_user)
    web.post(reverse("accounts:phone_change"), {"phone": "07 98 76 54 32"})
    assert _rows(AuditAction.CONTACT_CHANGED) == []
    web.post(reverse("accounts:phone_confirm"), {"code": sms_code("+33798765432")})
    row = _only(AuditAction.CONTACT_CHANGED)
    assert (row.actor_id, row.actor_role, row.ip) == (applicant_user.pk, "applicant", CLIENT_IP)
    assert row.details == {"field": "phone", "before": old, "after": "+33798765432"}


def test_identity_corrected_by_its_owner_records_the_changed_fields_only(web, applicant):
    login(web, applicant.user)
    before_surname = applicant.surname
    response = web.post(
        reverse("booking:identity"),
        _identity_post(applicant, surname="Diallo-Camara", document_number="93 99 999 999"),
    )
    assert response.status_code == 302
    row = _only(AuditAction.IDENTITY_CORRECTED)
    assert (row.actor_id, row.actor_role, row.ip) == (applicant.user_id, "applicant", CLIENT_IP)
    assert (row.applicant_id, row.subject_user_id) == (applicant.pk, applicant.user_id)
    assert row.details == {
        "by": "owner",
        "before": {"surname": before_surname, "document_number": applicant.document_number},
        "after": {"surname": "Diallo-Camara", "document_number": "9399999999"},
    }


def test_identity_correction_that_changes_nothing_writes_nothing(applicant):
    identity_services.identity_correct(
        user=applicant.user, identity=factories.identity_of(applicant)
    )
    assert AuditEvent.objects.count() == 0


def test_claiming_someone_elses_document_is_audited_on_the_holder(web, applicant, other_applicant):
    login(web, applicant.user)
    response = web.post(
        reverse("booking:identity"),
        _identity_post(applicant, document_number=other_applicant.document_number),
    )
    assert response.status_code == 200  # refused, shown on the form
    row = _only(AuditAction.IDENTITY_CLAIM_REFUSED)
    assert (row.actor_id, row.actor_role, row.ip) == (applicant.user_id, "applicant", CLIENT_IP)
    assert row.applicant_id == other_applicant.pk  # the record whose document was claimed
    assert row.details == {"identity_key": other_applicant.identity_key}
    assert _rows(AuditAction.IDENTITY_CORRECTED) == []


def test_a_new_account_claiming_a_document_on_file_is_audited(web, applicant):
    newcomer = factories.UserFactory()
    login(web, newcomer)
    response = web.post(
        reverse("booking:identity"),
        {
            "surname": "Other",
            "given_names": "Person",
            "birth_date": "1985-01-02",
            "nationality": "SN",
            "document_type": "agdref",
            "document_number": applicant.document_number,
            "certify": "on",
        },
    )
    assert response.status_code == 200
    row = _only(AuditAction.IDENTITY_CLAIM_REFUSED)
    assert (row.actor_id, row.applicant_id, row.ip) == (newcomer.pk, applicant.pk, CLIENT_IP)


def test_account_deleted_by_its_owner_is_audited_with_the_owner_as_actor(web, applicant, slot):
    book(applicant, slot)
    user = applicant.user
    login(web, user)
    response = web.post(reverse("accounts:delete"), {"password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    row = _only(AuditAction.ACCOUNT_DELETED)
    assert (row.actor_id, row.actor_label, row.actor_role) == (user.pk, user.email, "applicant")
    assert (row.subject_user_id, row.applicant_id, row.ip) == (user.pk, applicant.pk, CLIENT_IP)
    assert row.details == {"by": "owner", "cancelled": 1}


def test_refused_deletion_writes_nothing(web, applicant):
    login(web, applicant.user)
    web.post(reverse("accounts:delete"), {"password": "not the password"})
    assert AuditEvent.objects.count() == 0


def test_purge_is_audited_with_no_actor(slot):
    never_confirmed = factories.UnverifiedUserFactory()
    User.objects.filter(pk=never_confirmed.pk).update(
        date_joined=timezone.now() - timedelta(days=30)
    )
    walk_in = factories.ApplicantFactory(user=None, email="")
    appointment = book(walk_in, slot)
    starts = timezone.now() - timedelta(days=400)
    Slot.objects.filter(pk=appointment.slot_id).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=20)
    )

    privacy_services.personal_data_purge()

    deleted = _only(AuditAction.ACCOUNT_DELETED)
    assert (deleted.actor_id, deleted.actor_label, deleted.actor_role) == (None, "", "")
    assert deleted.subject_user_id == never_confirmed.pk
    assert deleted.details == {"by": "purge", "cancelled": 0}
    assert deleted.ip is None  # no request: a task
    erased = _only(AuditAction.IDENTITY_ERASED)
    assert (erased.actor_id, erased.applicant_id) == (None, walk_in.pk)
    assert erased.details == {"by": "purge"}
    # Run again: nothing more is erased, nothing more is written.
    privacy_services.personal_data_purge()
    assert len(_rows(AuditAction.ACCOUNT_DELETED)) == 1
    assert len(_rows(AuditAction.IDENTITY_ERASED)) == 1


def test_api_token_issue_is_audited_without_the_key(client, applicant_user):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": applicant_user.email, "password": factories.DEFAULT_PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=CLIENT_IP,
    )
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    token = ApiToken.objects.get(user=applicant_user)
    row = _only(AuditAction.TOKEN_CREATED)
    assert (row.actor_id, row.subject_user_id, row.ip) == (
        applicant_user.pk,
        applicant_user.pk,
        CLIENT_IP,
    )
    assert row.details == {"token_id": token.pk, "expires_at": token.expires_at.isoformat()}
    stored = json.dumps(row.details)
    assert key not in stored
    assert key[:8] not in stored
    assert token.digest not in stored


def test_api_token_service_writes_one_row_in_its_transaction(applicant_user):
    token, key = services.api_token_create(user=applicant_user)
    row = _only(AuditAction.TOKEN_CREATED)
    assert row.details["token_id"] == token.pk
    assert key not in json.dumps(row.details)
    assert row.ip is None


def test_date_of_birth_change_is_recorded_as_iso_dates(applicant):
    identity_services.identity_correct(
        user=applicant.user, identity=factories.identity_of(applicant, birth_date=date(1990, 6, 17))
    )
    row = _only(AuditAction.IDENTITY_CORRECTED)
    assert row.details["before"] == {"birth_date": "1990-05-17"}
    assert row.details["after"] == {"birth_date": "1990-06-17"}
