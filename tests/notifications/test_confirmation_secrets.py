"""A confirmation's code or link is in the message sent, and nowhere else: not
in the outbox row, not on the account's pages, not in its data export, not in
the admin (issue 14, item 1)."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Role, User
from notifications.models import Message, MessageStatus
from notifications.services import message_send, messages_sweep
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide-93"
PHONE = "+33612345678"
EMAIL = "awa.kone@example.test"


@pytest.fixture
def web(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _register(web) -> User:
    # Eager Celery: the messages are sent when the request commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = web.post(
            reverse("accounts:register"),
            {
                "email": EMAIL,
                "phone": "06 12 34 56 78",
                "password": PASSWORD,
                "consent": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email=EMAIL)


def _link_path(body: str, pattern: str) -> str:
    url = re.search(pattern, body)
    assert url, body
    return "/" + url.group(0).split("/", 3)[3]


def _secret_of(path: str) -> str:
    """The token part of a link (what must not leak), e.g. ``verify/email/<token>/``."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _seen_by_owner_and_admin(web, user: User) -> list[str]:
    """Every page, export and admin page where an outbox row of ``user`` could show."""
    pages = [
        web.get(reverse("accounts:me")).content.decode(),
        web.get(reverse("accounts:data_export")).content.decode(),
    ]
    admin = login(Client(), factories.UserFactory(is_staff=True, is_superuser=True))
    changelist = admin.get(reverse("admin:notifications_message_changelist"))
    assert changelist.status_code == 200
    pages.append(changelist.content.decode())
    for message in Message.objects.filter(user=user):
        page = admin.get(reverse("admin:notifications_message_change", args=[message.pk]))
        assert page.status_code == 200
        pages.append(page.content.decode())
    return pages


def _stored(user: User) -> str:
    """Everything the outbox holds for ``user``, as text."""
    return json.dumps(list(Message.objects.filter(user=user).values()), default=str)


def test_registration_code_and_link_are_only_in_the_messages_sent(web, twilio):
    user = _register(web)

    [sms] = [s for s in twilio.sent if s["to"] == PHONE]
    code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    [email] = [m for m in mail.outbox if m.to == [EMAIL]]
    link = _link_path(email.body, r"https?://\S+/accounts/verify/email/\S+/")
    assert link in email.alternatives[0][0]  # the HTML part carries it too

    stored = _stored(user)
    assert code not in stored
    assert _secret_of(link) not in stored
    for page in _seen_by_owner_and_admin(web, user):
        assert code not in page
        assert _secret_of(link) not in page
    me = web.get(reverse("accounts:me")).content.decode()
    assert "Confirmation code (shown in the text message only)" in me
    exported = json.loads(web.get(reverse("accounts:data_export")).content)
    assert {m["template"] for m in exported["messages"]} == {"email_confirm", "phone_code"}

    # And what was sent works.
    assert web.get(link).status_code == 302
    web.post(reverse("accounts:phone_confirm"), {"code": code})
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert user.phone_verified_at is not None


def test_a_staff_invitation_link_is_only_in_the_e_mail_sent(web):
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    staff = login(Client(), supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        agent = services.staff_create(
            actor=supervisor,
            email="new.agent@example.test",
            role=Role.MEDIATOR,
            access_point=factories.AccessPointFactory(),
        )
    [email] = [m for m in mail.outbox if m.to == [agent.email]]
    link = _link_path(email.body, r"https?://\S+/accounts/password/reset/\S+/")

    assert _secret_of(link) not in _stored(agent)
    for page in _seen_by_owner_and_admin(staff, agent):
        assert _secret_of(link) not in page

    # The link sets the password.
    anonymous = Client()
    page = anonymous.get(link, follow=True)
    form_url = page.redirect_chain[-1][0]
    done = anonymous.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)
    # Nor does the invited person's own account show it.
    for page in _seen_by_owner_and_admin(login(Client(), agent), agent):
        assert _secret_of(link) not in page


def test_a_password_reset_link_is_only_in_the_e_mail_sent(web):
    user = factories.UserFactory(email="reset@example.test")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = web.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    [email] = mail.outbox
    link = _link_path(email.body, r"https?://\S+/accounts/password/reset/\S+/")
    # Owed through the outbox (retried if the mail server fails), the link not kept.
    message = Message.objects.get(user=user, template_key="password_reset")
    assert message.status == MessageStatus.SENT

    assert _secret_of(link) not in _stored(user)

    anonymous = Client()
    page = anonymous.get(link, follow=True)
    done = anonymous.post(
        page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Logging in would end the link: the pages are read once it is used.
    login(web, user)
    for page in _seen_by_owner_and_admin(web, user):
        assert _secret_of(link) not in page


def test_a_code_whose_send_failed_is_sent_again_by_the_sweep_and_works(web, twilio):
    """Nothing is lost: the worker derives the same code again at the next attempt."""
    user = factories.UserFactory(phone="")
    twilio.fail_next(503)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.phone_code_send(user=user, phone="0698765432")
    message = Message.objects.get(user=user, template_key="phone_code")
    assert message.status == MessageStatus.PENDING
    assert twilio.sent == []

    later = timezone.now() + timezone.timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert message_send(message_id=message.pk, now=later).status == "sent"

    [sms] = twilio.sent
    code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    assert code not in _stored(user)
    services.phone_confirm(user=user, code=code)
    user.refresh_from_db()
    assert user.phone == "+33698765432"
    assert messages_sweep() == 0


def test_a_code_stored_by_an_older_version_is_not_shown_sent_then_blanked(web, twilio):
    """Rows written before this change hold their text: never shown (the kind
    decides), sent as they are, then blanked."""
    user = factories.UserFactory()
    message = Message.objects.create(
        user=user,
        channel="sms",
        template_key="phone_code",
        destination="+33698765432",
        text="Guichet: your code is 123456.",
        idempotency_key="legacy",
    )
    login(web, user)
    for page in _seen_by_owner_and_admin(web, user):
        assert "123456" not in page
    assert message_send(message_id=message.pk).status == "sent"
    assert twilio.sent[0]["body"] == "Guichet: your code is 123456."
    message.refresh_from_db()
    assert (message.text, message.html) == ("", "")


def test_an_sms_in_doubt_is_found_with_the_same_code_and_not_sent_twice(twilio):
    """A worker died mid-send: the next attempt asks Twilio first, with the body
    derived again, which must be the one sent (the code is derived, not random)."""
    user = factories.UserFactory(phone="")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.phone_code_send(user=user, phone="0698765432")
    [sms] = twilio.sent
    message = Message.objects.get(user=user, template_key="phone_code")
    # As if the send had not been recorded: pending again, in doubt.
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, in_doubt=True, provider_id="", sent_at=None
    )

    assert message_send(message_id=message.pk).status == "sent"

    assert len(twilio.sent) == 1
    message.refresh_from_db()
    assert message.provider_id == sms["sid"]
