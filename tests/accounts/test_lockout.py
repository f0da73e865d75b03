"""Brute force on passwords: lock-out per e-mail address and client address
(django-axes), the message, and the two ways to unlock."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from accounts import services
from accounts.lockout import locked_logins
from audit.models import AuditAction, AuditEvent
from core.errors import Forbidden
from tests import factories
from tests.auth import login as staff_login

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
LIMIT = 3
COOL_OFF_SECONDS = 15 * 60


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def _client(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def _web_login(client: Client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def _token(client: Client, email: str, password: str):
    return client.post(
        reverse("api:auth-token"),
        {"email": email, "password": password},
        content_type="application/json",
    )


def _lock_on_the_web(email: str, ip: str = ATTACKER):
    client = _client(ip)
    responses = [_web_login(client, email, "not-the-password") for _ in range(LIMIT)]
    return client, responses


def test_the_login_page_locks_out_after_the_failure_limit():
    user = factories.UserFactory()

    client, responses = _lock_on_the_web(user.email)

    assert [r.status_code for r in responses[:-1]] == [200] * (LIMIT - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(COOL_OFF_SECONDS)
    page = locked.content.decode()
    assert "Login blocked for a while" in page
    assert "logging in is blocked for 15 minutes" in page
    assert reverse("accounts:password_reset") in page
    # Even the right password is refused now, from this address.
    again = _web_login(client, user.email, factories.DEFAULT_PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_is_in_french_by_default():
    user = factories.UserFactory()
    client = Client(REMOTE_ADDR=ATTACKER)

    for _ in range(LIMIT):
        response = _web_login(client, user.email, "not-the-password")

    assert response.status_code == 429
    assert "Connexion bloquée pour un moment" in response.content.decode()


def test_the_case_of_the_address_does_not_buy_more_tries():
    user = factories.UserFactory(email="casse@example.test")
    client = _client(ATTACKER)

    for email in ("casse@example.test", "CASSE@example.test", " Casse@Example.test"):
        response = _web_login(client, email, "not-the-password")

    assert response.status_code == 429
    assert AccessAttempt.objects.filter(username="casse@example.test").count() == 1
    assert user.email == "casse@example.test"


def test_the_victim_logs_in_from_elsewhere_while_the_attacker_is_locked():
    user = factories.UserFactory()
    _lock_on_the_web(user.email)

    response = _web_login(_client(ELSEWHERE), user.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("booking:my_appointments")


def test_another_account_logs_in_from_the_locked_address():
    user, colleague = factories.UserFactory(), factories.UserFactory()
    _lock_on_the_web(user.email)

    response = _web_login(_client(ATTACKER), colleague.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_a_success_before_the_limit_forgets_the_failures():
    user = factories.UserFactory()
    client = _client(ATTACKER)
    for _ in range(LIMIT - 1):
        _web_login(client, user.email, "not-the-password")

    assert _web_login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 302

    client = _client(ATTACKER)
    for _ in range(LIMIT - 1):
        response = _web_login(client, user.email, "not-the-password")
    assert response.status_code == 200


def test_the_token_endpoint_locks_out_with_json_and_retry_after():
    user = factories.UserFactory()
    client = _client(ATTACKER)

    responses = [_token(client, user.email, "not-the-password") for _ in range(LIMIT)]

    assert [r.status_code for r in responses[:-1]] == [400] * (LIMIT - 1)
    assert responses[0].json()["code"] == "invalid_credentials"
    locked = responses[-1]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(COOL_OFF_SECONDS)
    body = locked.json()
    assert body["code"] == "locked_out"
    assert "blocked for 15 minute(s)" in body["detail"]
    assert "reset your password" in body["detail"]
    right = _token(client, user.email, factories.DEFAULT_PASSWORD)
    assert right.status_code == 429
    assert right.json()["code"] == "locked_out"
    # Elsewhere, the right password still gets a token.
    assert _token(_client(ELSEWHERE), user.email, factories.DEFAULT_PASSWORD).status_code == 200


def test_failures_on_the_web_and_the_api_add_up():
    user = factories.UserFactory()
    client = _client(ATTACKER)
    for _ in range(LIMIT - 1):
        _web_login(client, user.email, "not-the-password")

    assert _token(client, user.email, "not-the-password").status_code == 429


def test_the_admin_login_locks_out_too():
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client = _client(ATTACKER)

    for _ in range(LIMIT):
        response = client.post(
            reverse("admin:login"), {"username": admin.email, "password": "not-the-password"}
        )

    assert response.status_code == 429
    assert "Login blocked for a while" in response.content.decode()


def _reset_password(client: Client, email: str, new: str) -> None:
    # The e-mail goes through the outbox once the request commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body)
    page = client.get(link.group(1), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302


def test_a_completed_password_reset_unlocks_the_login():
    user = factories.UserFactory()
    client, _responses = _lock_on_the_web(user.email)
    new = "un-nouveau-mot-de-passe-93"

    _reset_password(client, user.email, new)

    assert not AccessAttempt.objects.filter(username=user.email).exists()
    assert _web_login(client, user.email, new).status_code == 302


def test_asking_for_a_reset_alone_does_not_unlock():
    user = factories.UserFactory()
    client, _responses = _lock_on_the_web(user.email)

    client.post(reverse("accounts:password_reset"), {"email": user.email})

    assert _web_login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 429


def test_a_supervisor_sees_and_unlocks_a_login_and_it_is_audited(supervisor):
    user = factories.UserFactory()
    _lock_on_the_web(user.email)
    desk = staff_login(Client(HTTP_ACCEPT_LANGUAGE="en"), supervisor)

    page = desk.get(reverse("accounts:lockouts"))
    assert page.status_code == 200
    assert user.email in page.content.decode()

    response = desk.post(reverse("accounts:lockouts"), {"email": user.email}, follow=True)

    assert response.status_code == 200
    assert f"The login of {user.email} is unlocked." in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_UNLOCKED)
    assert event.actor_id == supervisor.pk
    assert event.subject_user_id == user.pk
    assert event.details == {"email": user.email, "attempts_cleared": 1}
    assert locked_logins() == []
    assert _web_login(_client(ATTACKER), user.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_only_supervisors_unlock(agent, applicant_user):
    user = factories.UserFactory()
    _lock_on_the_web(user.email)

    for person in (agent, applicant_user):
        with pytest.raises(Forbidden):
            services.account_unlock(actor=person, email=user.email)
        client = staff_login(Client(), person)
        assert client.get(reverse("accounts:lockouts")).status_code == 403
        assert client.post(reverse("accounts:lockouts"), {"email": user.email}).status_code == 403

    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UNLOCKED).exists()
    assert _web_login(_client(ATTACKER), user.email, factories.DEFAULT_PASSWORD).status_code == 429


def test_supervisors_find_the_blocked_logins_from_their_account(supervisor, applicant_user):
    desk = staff_login(Client(HTTP_ACCEPT_LANGUAGE="en"), supervisor)
    assert reverse("accounts:lockouts") in desk.get(reverse("accounts:me")).content.decode()

    own = staff_login(Client(HTTP_ACCEPT_LANGUAGE="en"), applicant_user)
    assert reverse("accounts:lockouts") not in own.get(reverse("accounts:me")).content.decode()
