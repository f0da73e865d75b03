"""My account: the page, changes of e-mail and phone, password reset, identity claims."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts import errors, services
from accounts.models import IdentityClaimAttempt, User
from audit.models import AuditAction, AuditEvent
from booking import services as identity_services
from booking.services import appointment_book
from notifications.models import Message
from notifications.services import render_secret
from tests import factories
from tests.auth import login
from tests.helpers.inbox import confirm_path, sms_code

pytestmark = pytest.mark.django_db


def test_my_account_shows_identity_contacts_and_messages_in_few_queries(
    web, applicant, django_assert_max_num_queries
):
    message_id = services.email_confirmation_send(user=applicant.user)
    subject = Message.objects.get(pk=message_id).subject
    web.force_login(applicant.user)
    with django_assert_max_num_queries(12):
        response = web.get(reverse("accounts:me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert applicant.surname.upper() in html
    assert applicant.user.email in html
    assert subject in html  # the message, with its status
    assert "Pending" in html
    assert reverse("booking:my_appointments") in html
    assert reverse("accounts:data_export") in html


def test_my_account_needs_a_login(web):
    response = web.get(reverse("accounts:me"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_identity_is_shown_locked_once_an_appointment_uses_it(web, applicant, slot):
    web.force_login(applicant.user)
    assert not identity_services.identity_is_locked(applicant)
    assert "it is locked" not in web.get(reverse("accounts:me")).content.decode()
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    assert identity_services.identity_is_locked(applicant)
    html = web.get(reverse("accounts:me")).content.decode()
    assert "it is locked" in html
    assert "only a prefecture agent can correct it" in html
    # The identity page itself stays read-only, with no form to post.
    page = web.get(reverse("booking:identity")).content.decode()
    assert 'name="document_number"' not in page


def test_email_change_keeps_the_old_address_until_the_link_is_followed(web):
    user = factories.UserFactory(email="old@example.test")
    web.force_login(user)
    response = web.post(reverse("accounts:email_change"), {"email": "New@Example.test"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old@example.test"
    assert user.email_verified_at is not None

    link = confirm_path("new@example.test")
    web.get(link)
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert web.get(link).status_code == 409  # used once


def _without(text: str, *variable: str) -> str:
    """A page or export with what differs by design (the address typed, the
    form's CSRF token, the page's nonce, times) blanked."""
    for value in variable:
        text = text.replace(value, "X")
    text = re.sub(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r"\1", text)
    return re.sub(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?", "T", text)


def test_email_change_to_an_address_in_use_tells_the_requester_nothing(web):
    """Neither the answer, nor the account's messages, nor its data export tell
    whether an address has an account (issue 14, item 4)."""
    owner = factories.UserFactory(email="taken@example.test")
    seen = {}
    for address in ("taken@example.test", "free@example.test"):
        user = factories.UserFactory(
            email="requester@example.test" if not seen else "r2@example.test"
        )
        web.force_login(user)
        answer = web.post(reverse("accounts:email_change"), {"email": address}, follow=True)
        assert answer.redirect_chain == [(reverse("accounts:me"), 302)]
        me = web.get(reverse("accounts:me")).content.decode()
        export = json.loads(web.get(reverse("accounts:data_export")).content)
        messages = export["messages"]
        seen[address] = (
            _without(answer.content.decode(), address, user.email, user.phone),
            _without(me, address, user.email, user.phone),
            [(m["channel"], m["template"], m["subject"], m["text"], m["status"]) for m in messages],
        )
        assert [m["destination"] for m in messages] == [address]
        user.refresh_from_db()
        assert user.email != address

    assert seen["taken@example.test"] == seen["free@example.test"]
    assert "already exists" not in seen["taken@example.test"][0]
    # The owner of the address is told, with no link; the free address gets one.
    notice = Message.objects.get(destination="taken@example.test")
    rendered = render_secret(notice)
    assert "un autre compte Guichet" in rendered.text and "http" not in rendered.text
    owner.refresh_from_db()
    assert owner.email == "taken@example.test"
    assert "/accounts/" in confirm_path("free@example.test")


def test_phone_change_keeps_the_old_number_until_the_code_is_typed(web):
    user = factories.UserFactory(phone="+33611111111")
    web.force_login(user)
    response = web.post(reverse("accounts:phone_change"), {"phone": "07 81 23 45 67"})
    assert response["Location"] == reverse("accounts:verify")
    user.refresh_from_db()
    assert user.phone == "+33611111111"
    assert user.phone_verified_at is not None

    web.post(reverse("accounts:phone_confirm"), {"code": sms_code("+33781234567")})
    user.refresh_from_db()
    assert user.phone == "+33781234567"


def test_a_wrong_code_for_a_new_number_leaves_the_old_one(web):
    user = factories.UserFactory(phone="+33611111111")
    services.phone_code_send(user=user, phone="0781234567")
    with pytest.raises(errors.PhoneCodeInvalid):
        services.phone_confirm(user=user, code="not-it")
    user.refresh_from_db()
    assert user.phone == "+33611111111"


def test_password_reset_by_email_end_to_end(web):
    user = factories.UserFactory(email="reset@example.test")
    # The e-mail goes through the outbox once the request commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = web.post(reverse("accounts:password_reset"), {"email": "reset@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page = web.get(link.group(1), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    new = "un-nouveau-mot-de-passe-93"
    done = web.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    # Nobody was logged in: the reset link proves the owner's mailbox.
    [row] = AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED, subject_user=user)
    assert row.actor_id == user.pk
    # Axes (first authentication backend) needs the request: a real login has one.
    assert web.login(request=HttpRequest(), username="reset@example.test", password=new)


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(web):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = web.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []
    assert not Message.objects.filter(template_key="password_reset").exists()


def test_login_and_logout_still_work(web):
    user = factories.UserFactory()
    response = web.post(
        reverse("accounts:login"),
        {"username": user.email, "password": factories.DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert web.get(reverse("accounts:me")).status_code == 200
    web.post(reverse("accounts:logout"))
    assert web.get(reverse("accounts:me")).status_code == 302


def test_language_choice_is_saved_on_the_account_and_the_identity(web, applicant):
    web.force_login(applicant.user)
    web.post(reverse("accounts:language"), {"language": "en"})
    applicant.refresh_from_db()
    assert applicant.preferred_language == "en"
    assert User.objects.get(pk=applicant.user_id).language == "en"


def test_a_refused_identity_claim_is_recorded_with_account_and_ip(web, applicant):
    intruder = factories.UserFactory()
    web.force_login(intruder)
    response = web.post(
        reverse("booking:identity"),
        {
            "surname": "Autre",
            "given_names": "Personne",
            "birth_date": "1985-01-01",
            "nationality": "SN",
            "document_type": "agdref",
            "document_number": applicant.document_number,
            "certify": "on",
        },
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200
    assert "already on file with another account" in response.content.decode()
    attempt = IdentityClaimAttempt.objects.get()
    assert attempt.account == intruder
    assert attempt.identity_key == applicant.identity_key
    assert attempt.ip == "203.0.113.7"


def test_an_invalid_identity_is_not_recorded_as_a_claim(web):
    web.force_login(factories.UserFactory())
    web.post(
        reverse("booking:identity"),
        {
            "surname": "Autre",
            "given_names": "Personne",
            "birth_date": "1985-01-01",
            "nationality": "SN",
            "document_type": "agdref",
            "document_number": "12",
            "certify": "on",
        },
    )
    assert not IdentityClaimAttempt.objects.exists()


def test_verify_page_is_cheap(web, django_assert_max_num_queries):
    user = factories.UnverifiedUserFactory()
    services.phone_code_send(user=user, check_cool_down=False, now=timezone.now())
    web.force_login(user)
    with django_assert_max_num_queries(6):
        response = web.get(reverse("accounts:verify"))
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    assert timedelta(minutes=10)  # the page says how long the code lasts


def _identity_post(applicant, **changes):
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


def test_identity_can_be_corrected_until_an_appointment_uses_it(web, applicant, slot):
    web.force_login(applicant.user)
    assert 'name="edit"' in web.get(reverse("booking:identity") + "?edit=1").content.decode()
    response = web.post(reverse("booking:identity"), _identity_post(applicant, given_names="Awa"))
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.given_names == "Awa"

    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    page = web.get(reverse("booking:identity") + "?edit=1").content.decode()
    assert 'name="document_number"' not in page
    assert "only a prefecture agent can correct it" in page
    web.post(reverse("booking:identity"), _identity_post(applicant, given_names="Fatou"))
    applicant.refresh_from_db()
    assert applicant.given_names == "Awa"
    with pytest.raises(errors.IdentityLocked):
        identity_services.identity_correct(
            user=applicant.user,
            identity=factories.identity_of(
                applicant, surname="X", given_names="Y", nationality="SN", document_type="agdref"
            ),
        )


def test_correcting_to_someone_elses_document_is_refused_and_recorded(
    web, applicant, other_applicant
):
    web.force_login(applicant.user)
    response = web.post(
        reverse("booking:identity"),
        _identity_post(applicant, document_number=other_applicant.document_number),
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 200
    assert "already on file with another account" in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.document_number != other_applicant.document_number
    attempt = IdentityClaimAttempt.objects.get()
    assert attempt.identity_key == other_applicant.identity_key
    assert attempt.ip == "198.51.100.4"


def test_the_identitys_contact_details_follow_a_confirmed_change(applicant):
    user = applicant.user
    User.objects.filter(pk=user.pk).update(phone=applicant.phone)
    user.refresh_from_db()
    services.email_change_request(user=user, new_email="moved@example.test")
    services.phone_code_send(user=user, phone="0781234567")
    services.phone_confirm(user=user, code=sms_code("+33781234567"))
    token = services.email_confirmation_token(user=user, address="moved@example.test")
    services.email_confirm(token=token)
    applicant.refresh_from_db()
    assert (applicant.email, applicant.phone) == ("moved@example.test", "+33781234567")


def test_no_code_is_sent_for_a_number_already_confirmed():
    user = factories.UserFactory()
    with pytest.raises(errors.NothingToConfirm):
        services.phone_code_send(user=user)
    with pytest.raises(errors.NothingToConfirm):
        services.phone_code_send(user=user, phone=user.phone)


def test_purge_task_is_registered_with_celery():
    from config.celery import app
    from privacy.tasks import purge_personal_data_task

    assert purge_personal_data_task.name in app.tasks
    assert purge_personal_data_task.name == "accounts.purge_personal_data"


def test_registration_page_is_cheap(web, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert web.get(reverse("accounts:register")).status_code == 200


def test_admin_lists_refused_identity_claims_read_only(client, django_assert_max_num_queries):
    admin_user = User.objects.create_superuser("root@example.test", "pw-root-123456")
    IdentityClaimAttempt.objects.create(identity_key="agdref:9300000001", ip="192.0.2.1")
    login(client, admin_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:accounts_identityclaimattempt_changelist"))
    assert response.status_code == 200
    assert "agdref:9300000001" in response.content.decode()
    attempt = IdentityClaimAttempt.objects.get()
    page = client.get(reverse("admin:accounts_identityclaimattempt_change", args=[attempt.pk]))
    assert page.status_code == 200
    assert 'name="identity_key"' not in page.content.decode()
    user_page = client.get(reverse("admin:accounts_user_change", args=[admin_user.pk]))
    assert user_page.status_code == 200
    assert 'name="email_verified_at' not in user_page.content.decode()
