"""Staff accounts: created by supervisors (and administrators), never
self-registered; attached to sites or an access point; every change audited."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.urls import reverse

from accounts import services
from accounts.errors import AgentSitesRequired, StaffSelfChange
from accounts.models import ApiToken, Role, User
from audit.models import AuditAction, AuditEvent
from core.errors import Forbidden
from notifications.models import Message
from tests import factories
from tests.auth import login, otp_device_confirm
from tests.helpers.inbox import sent_text

pytestmark = pytest.mark.django_db

CREATE = reverse("staff:create")


def create_form(**overrides) -> dict:
    data = {"email": "New.Agent@Example.test", "full_name": "Awa Diop", "role": Role.AGENT}
    data.update(overrides)
    return data


def test_supervisor_creates_an_agent_who_chooses_a_password_from_the_link(web, supervisor, site):
    login(web, supervisor)

    response = web.post(CREATE, create_form(sites=[site.pk]))

    assert response.status_code == 302
    agent = User.objects.get(email="new.agent@example.test")
    assert (agent.role, agent.full_name, list(agent.sites.all())) == (
        Role.AGENT,
        "Awa Diop",
        [site],
    )
    assert not agent.has_usable_password()
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CREATED, subject_user=agent)
    assert event.actor_id == supervisor.pk
    assert event.details["role"] == Role.AGENT
    assert event.details["sites"] == [site.pk]

    # The invitation: an e-mail through the outbox with Django's reset token link.
    invite = Message.objects.get(template_key="staff_invite", destination=agent.email)
    sent = sent_text(invite)
    path = "/" + re.search(r"https?://\S+?/(accounts/password/reset/\S+/)", sent).group(1)
    form_page = web.__class__().get(path, follow=True)
    assert form_page.status_code == 200
    set_page = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    anonymous = web.__class__()
    anonymous.get(path)
    done = anonymous.post(
        set_page,
        {
            "new_password1": "un-mot-de-passe-solide-93",
            "new_password2": "un-mot-de-passe-solide-93",
        },
    )
    assert done.status_code == 302
    assert authenticate(HttpRequest(), email=agent.email, password="un-mot-de-passe-solide-93")


def test_supervisor_creates_a_mediator_of_an_access_point_and_a_supervisor(web, supervisor):
    point = factories.AccessPointFactory()
    login(web, supervisor)

    web.post(CREATE, create_form(email="m@example.test", role=Role.MEDIATOR, access_point=point.pk))
    web.post(CREATE, create_form(email="s@example.test", role=Role.SUPERVISOR))

    mediator = User.objects.get(email="m@example.test")
    assert (mediator.role, mediator.access_point) == (Role.MEDIATOR, point)
    assert User.objects.get(email="s@example.test").role == Role.SUPERVISOR


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": Role.AGENT}, "at least one site"),
        ({"role": Role.MEDIATOR}, "access point"),
        ({"role": Role.APPLICANT}, "Select a valid choice"),
    ],
)
def test_staff_creation_refuses_a_missing_attachment_or_a_non_staff_role(
    web, supervisor, data, message
):
    login(web, supervisor)

    response = web.post(CREATE, create_form(**data))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="new.agent@example.test").exists()


def test_staff_creation_refuses_an_address_in_use(web, supervisor, applicant_user, site):
    login(web, supervisor)

    response = web.post(CREATE, create_form(email=applicant_user.email.upper(), sites=[site.pk]))

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.get(email=applicant_user.email).role == Role.APPLICANT


@pytest.mark.parametrize("persona", ["agent", "mediator", "applicant_user"])
@pytest.mark.parametrize(
    "name", ["staff:list", "staff:create", "staff:edit", "staff:deactivate", "staff:reactivate"]
)
def test_only_supervisors_manage_staff(web, request, persona, name, other_agent):
    login(web, request.getfixturevalue(persona))
    args = [other_agent.pk] if name not in ("staff:list", "staff:create") else []
    url = reverse(name, args=args)

    # Refused before the method is looked at: a GET of a POST-only action too.
    assert web.get(url).status_code == 403
    response = web.post(url, create_form(role=Role.SUPERVISOR))

    assert response.status_code == 403
    assert not User.objects.filter(email="new.agent@example.test").exists()
    other_agent.refresh_from_db()
    assert other_agent.is_active
    assert not AuditEvent.objects.filter(subject_user=other_agent).exists()


def test_anonymous_is_sent_to_log_in(web):
    response = web.get(reverse("staff:list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_staff_list_shows_accounts_their_attachments_and_second_factor(
    web, supervisor, agent, mediator, applicant_user, django_assert_max_num_queries
):
    otp_device_confirm(agent)
    factories.AgentFactory.create_batch(5, sites=[factories.SiteFactory()])
    login(web, supervisor)

    with django_assert_max_num_queries(10):
        page = web.get(reverse("staff:list")).content.decode()

    assert agent.email in page and mediator.email in page
    assert agent.sites.get().name in page
    assert mediator.access_point.name in page
    assert applicant_user.email not in page


def test_supervisor_changes_a_role_and_it_is_audited(web, supervisor, agent):
    point = factories.AccessPointFactory()
    login(web, supervisor)

    response = web.post(
        reverse("staff:edit", args=[agent.pk]),
        {"full_name": "Agent Smith", "role": Role.MEDIATOR, "access_point": point.pk},
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.role, agent.access_point, list(agent.sites.all())) == (Role.MEDIATOR, point, [])
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_ROLE_CHANGED, subject_user=agent)
    assert event.actor_id == supervisor.pk
    assert event.details["before"]["role"] == Role.AGENT
    assert event.details["after"] == {
        "role": Role.MEDIATOR,
        "sites": [],
        "access_point": point.pk,
        "is_staff": False,
        "is_superuser": False,
    }


def test_deactivation_ends_access_and_revokes_tokens_then_reactivation(client, supervisor, agent):
    services.api_token_create(user=agent)
    agent_client = login(client.__class__(), agent)
    login(client, supervisor)

    client.post(reverse("staff:deactivate", args=[agent.pk]))

    agent.refresh_from_db()
    assert not agent.is_active
    assert not ApiToken.objects.filter(user=agent).exists()
    assert agent_client.get(reverse("accounts:me")).status_code == 302  # logged out
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCOUNT_DEACTIVATED, subject_user=agent, actor=supervisor
    ).exists()

    client.post(reverse("staff:reactivate", args=[agent.pk]))

    agent.refresh_from_db()
    assert agent.is_active
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCOUNT_REACTIVATED, subject_user=agent, actor=supervisor
    ).exists()
    # The session open before the deactivation stays ended: it must log in again.
    assert agent_client.get(reverse("accounts:me")).status_code == 302


def test_a_supervisor_cannot_change_or_deactivate_their_own_account(web, supervisor):
    login(web, supervisor)

    assert web.post(reverse("staff:deactivate", args=[supervisor.pk])).status_code == 404
    with pytest.raises(StaffSelfChange):
        services.staff_deactivate(actor=supervisor, user=supervisor)
    supervisor.refresh_from_db()
    assert supervisor.is_active


def test_a_supervisor_cannot_touch_an_administrator(web, supervisor):
    admin = factories.UserFactory(role=Role.SUPERVISOR, is_staff=True, is_superuser=True)
    login(web, supervisor)

    assert web.get(reverse("staff:edit", args=[admin.pk])).status_code == 404
    assert web.post(reverse("staff:deactivate", args=[admin.pk])).status_code == 404
    with pytest.raises(Forbidden):
        services.staff_deactivate(actor=supervisor, user=admin)


def test_services_refuse_non_supervisors_and_missing_attachments(agent, supervisor):
    with pytest.raises(Forbidden):
        services.staff_create(actor=agent, email="x@example.test", role=Role.SUPERVISOR)
    with pytest.raises(AgentSitesRequired):
        services.staff_create(actor=supervisor, email="x@example.test", role=Role.AGENT)
    assert not User.objects.filter(email="x@example.test").exists()


def test_a_supervisor_resets_a_lost_second_factor(web, supervisor, agent):
    otp_device_confirm(agent)
    login(web, supervisor)

    web.post(reverse("staff:otp_reset", args=[agent.pk]))

    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.OTP_DEVICE_REMOVED, subject_user=agent, actor=supervisor
    ).exists()


def test_a_new_invitation_link_can_be_sent(web, supervisor, agent):
    login(web, supervisor)

    web.post(reverse("staff:invitation", args=[agent.pk]))

    assert Message.objects.filter(template_key="staff_invite", destination=agent.email).exists()


# --- The admin ------------------------------------------------------------------------


def test_the_user_admin_is_for_administrators_only(client):
    staff_admin = factories.UserFactory(role=Role.SUPERVISOR, is_staff=True)
    login(client, staff_admin)

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403


def test_the_admin_refuses_an_agent_without_a_site(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "agent.sans.site@example.test",
            "role": Role.AGENT,
            "access_point": "",
            "usable_password": "false",
            "_save": "Save",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "at least one site" in response.content.decode()
    assert not User.objects.filter(email="agent.sans.site@example.test").exists()


def test_admin_changes_to_roles_and_activity_are_audited(admin_client, admin_user, agent):
    point = factories.AccessPointFactory()

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "email": agent.email,
            "full_name": "",
            "language": "fr",
            "role": Role.MEDIATOR,
            "access_point": point.pk,
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    agent.refresh_from_db()
    assert not agent.is_active
    actions = set(
        AuditEvent.objects.filter(subject_user=agent, actor=admin_user).values_list(
            "action", flat=True
        )
    )
    # A change of role also ends the account's sessions (issue 14, item 11).
    assert actions == {
        AuditAction.ACCOUNT_ROLE_CHANGED,
        AuditAction.SESSIONS_ENDED,
        AuditAction.ACCOUNT_DEACTIVATED,
    }
