"""A change of what protects an account or of what it may do ends its other
sessions and revokes its API tokens, audited (issue 14, item 11): turning
two-factor authentication on, a supervisor's reset of the second factor, a
change of role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, Role
from audit.models import AuditAction, AuditEvent
from tests import factories
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.helpers.otp import totp_code

pytestmark = pytest.mark.django_db

ME = reverse("accounts:me")


def _logged_in(client: Client) -> bool:
    return client.get(ME).status_code == 200


def _token_works(api) -> bool:
    return api.get(reverse("api:appointments")).status_code == 200


def _sessions_ended(user) -> AuditEvent:
    return AuditEvent.objects.get(action=AuditAction.SESSIONS_ENDED, subject_user=user)


def test_turning_two_factor_on_keeps_this_session_and_ends_the_others():
    user = factories.UserFactory()
    here, elsewhere = login(Client(), user), login(Client(), user)
    api = token_client(user)
    assert _logged_in(elsewhere) and _token_works(api)

    setup = reverse("accounts:otp_setup")
    assert here.get(setup).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    confirmed = here.post(setup, {"code": totp_code(device)})
    assert confirmed.status_code == 302

    assert _logged_in(here)
    assert not _logged_in(elsewhere)
    assert not _token_works(api)
    assert not ApiToken.objects.filter(user=user).exists()
    event = _sessions_ended(user)
    assert (event.actor_id, event.details) == (user.pk, {"reason": "otp_device_confirmed"})
    assert AuditEvent.objects.filter(
        action=AuditAction.TOKEN_REVOKED, subject_user=user, details__reason="otp_device_confirmed"
    ).exists()


def test_a_supervisors_second_factor_reset_ends_every_session_and_token(supervisor):
    mediator = factories.UserFactory(
        role=Role.MEDIATOR, access_point=factories.AccessPointFactory()
    )
    first, second = login(Client(), mediator), login(Client(), mediator)
    api = token_client(mediator)
    boss = login(Client(), supervisor)
    assert _logged_in(first) and _logged_in(second) and _token_works(api)

    assert boss.post(reverse("staff:otp_reset", args=[mediator.pk])).status_code == 302

    assert not _logged_in(first)
    assert not _logged_in(second)
    assert not _token_works(api)
    assert _logged_in(boss)
    event = _sessions_ended(mediator)
    assert (event.actor_id, event.details) == (supervisor.pk, {"reason": "otp_reset_by_supervisor"})
    assert AuditEvent.objects.filter(
        action=AuditAction.TOKEN_REVOKED, subject_user=mediator, actor=supervisor
    ).exists()


def test_a_change_of_role_ends_every_session_and_token(supervisor, agent):
    first, second = login(Client(), agent), login(Client(), agent)
    api = token_client(agent)
    boss = login(Client(), supervisor)
    assert _logged_in(first) and _logged_in(second) and _token_works(api)

    point = factories.AccessPointFactory()
    response = boss.post(
        reverse("staff:edit", args=[agent.pk]),
        {"full_name": "Agent Smith", "role": Role.MEDIATOR, "access_point": point.pk},
    )
    assert response.status_code == 302

    assert not _logged_in(first)
    assert not _logged_in(second)
    assert not _token_works(api)
    assert _logged_in(boss)
    event = _sessions_ended(agent)
    assert (event.actor_id, event.details) == (supervisor.pk, {"reason": "role_changed"})


def test_a_name_change_alone_ends_nothing(supervisor, agent):
    session = login(Client(), agent)
    boss = login(Client(), supervisor)
    response = boss.post(
        reverse("staff:edit", args=[agent.pk]),
        {"full_name": "A New Name", "role": Role.AGENT, "sites": [s.pk for s in agent.sites.all()]},
    )
    assert response.status_code == 302
    assert _logged_in(session)
    assert not AuditEvent.objects.filter(action=AuditAction.SESSIONS_ENDED).exists()


def test_sessions_opened_before_the_upgrade_go_on():
    """Generation 0 gives Django's own session hash: deploying this logs nobody out."""
    from django.contrib.auth.base_user import AbstractBaseUser

    user = factories.UserFactory()
    assert user.session_generation == 0
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
