"""Every page that sends a message is rate limited per account, per recipient
and per client address (issue 14, item 4), and a refusal sends nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from accounts import services
from accounts.models import Role
from notifications.models import Message
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def limits(**scopes):
    return override_settings(RATELIMITS=scopes)


def _web(user=None, ip: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        login(client, user)
    return client


def _sent(key: str) -> int:
    return Message.objects.filter(template_key=key).count()


def test_confirmation_link_resend_per_account():
    user = factories.UserFactory(unverified=True)
    with limits(email_confirm={"account": (1, HOUR)}):
        web = _web(user)
        assert web.post(reverse("accounts:email_resend")).status_code == 302
        assert web.post(reverse("accounts:email_resend")).status_code == 429
    assert _sent("email_confirm") == 1


def test_email_change_per_recipient_across_accounts():
    with limits(email_confirm={"email": (1, HOUR)}):
        first = _web(factories.UserFactory(), ip="192.0.2.1")
        second = _web(factories.UserFactory(), ip="192.0.2.2")
        change = reverse("accounts:email_change")
        assert first.post(change, {"email": "victim@example.test"}).status_code == 302
        assert second.post(change, {"email": "Victim@example.test"}).status_code == 429
    assert _sent("email_confirm") == 1


def test_email_change_per_client_address_counts_taken_addresses_too():
    factories.UserFactory(email="taken@example.test")
    with limits(email_confirm={"ip": (1, HOUR)}):
        web = _web(factories.UserFactory())
        change = reverse("accounts:email_change")
        assert web.post(change, {"email": "taken@example.test"}).status_code == 302
        assert web.post(change, {"email": "free@example.test"}).status_code == 429
    # Only the notice to the owner of the taken address, with no link.
    assert _sent("email_confirm") == 1


@pytest.mark.parametrize("has_account", [True, False])
def test_password_reset_per_recipient_whether_it_has_an_account_or_not(has_account):
    if has_account:
        factories.UserFactory(email="someone@example.test")
    with limits(password_reset={"email": (1, HOUR)}):
        reset = reverse("accounts:password_reset")
        assert (
            _web(ip="192.0.2.1").post(reset, {"email": "someone@example.test"}).status_code == 302
        )
        refused = _web(ip="192.0.2.2").post(reset, {"email": "SOMEONE@example.test"})
        assert refused.status_code == 429
    assert _sent("password_reset") == (1 if has_account else 0)


def test_password_reset_per_client_address():
    with limits(password_reset={"ip": (1, HOUR)}):
        web = _web()
        reset = reverse("accounts:password_reset")
        assert web.post(reset, {"email": "a@example.test"}).status_code == 302
        assert web.post(reset, {"email": "b@example.test"}).status_code == 429


def test_staff_invitation_resend_per_recipient():
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    with limits(staff_invite={"email": (2, HOUR)}):
        agent = services.staff_create(
            actor=supervisor,
            email="new.mediator@example.test",
            role=Role.MEDIATOR,
            access_point=factories.AccessPointFactory(),
        )
        web = _web(supervisor)
        resend = reverse("staff:invitation", args=[agent.pk])
        assert web.post(resend).status_code == 302
        assert web.post(resend).status_code == 429
    assert _sent("staff_invite") == 2


def test_staff_invitations_per_acting_account():
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    with limits(staff_invite={"account": (1, HOUR)}):
        web = _web(supervisor)
        first = factories.UserFactory(role=Role.SUPERVISOR, email="one@example.test")
        second = factories.UserFactory(role=Role.SUPERVISOR, email="two@example.test")
        assert web.post(reverse("staff:invitation", args=[first.pk])).status_code == 302
        assert web.post(reverse("staff:invitation", args=[second.pk])).status_code == 429
    assert _sent("staff_invite") == 1


def test_phone_code_resend_is_limited_too():
    user = factories.UserFactory(unverified=True)
    with limits(phone_code={"account": (1, HOUR)}):
        web = _web(user)
        assert web.post(reverse("accounts:phone_code_resend")).status_code == 302
        assert web.post(reverse("accounts:phone_code_resend")).status_code == 429
