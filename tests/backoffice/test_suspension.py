"""Suspending an account from the abuse report, and lifting it.

A suspended account cannot log in nor use an API token; its appointments to
come are cancelled (the seats of a queue procedure offered to the waiting
list), its entries leave the list with their offers withdrawn, the person is
told, everything audited; only supervisors, never on a supervisor's account.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_create
from allocation.models import EntryStatus, Offer, OfferStatus
from allocation.services import offer_accept, offers_allocate, waitlist_join
from allocation.transparency import refused_as_abuse_by_pair
from audit.models import AuditAction, AuditEvent
from backoffice import errors
from backoffice.abuse.services import account_suspend, account_suspension_lift
from booking.models import AllocationMode, AllocationPolicy, AppointmentStatus
from booking.services import appointment_book
from core.errors import Forbidden
from notifications.models import Message
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.auth import login

pytestmark = pytest.mark.django_db

REASON = "Rendez-vous revendus : trois identités pour un même compte."


@pytest.fixture
def site(db):
    return factories.SiteFactory()


@pytest.fixture
def queue_procedure(db):
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


@pytest.fixture
def supervisor(db):
    return factories.UserFactory(role=Role.SUPERVISOR)


def _login_form(client, user):
    return client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": factories.DEFAULT_PASSWORD},
    )


def _join(applicant, procedure, site):
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


def _booked_from_the_list(applicant, procedure, site):
    """``applicant`` joins, is offered a queue seat and accepts it."""
    _join(applicant, procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    return offer_accept(actor=applicant.user, offer=offer.pk), slot


def test_suspension_cancels_the_appointments_and_offers_their_seats_to_the_list(
    site, queue_procedure, supervisor, django_capture_on_commit_callbacks
):
    broker, waiting = person(), person()
    appointment, slot = _booked_from_the_list(broker, queue_procedure, site)
    next_entry = _join(waiting, queue_procedure, site)

    with django_capture_on_commit_callbacks(execute=True):
        done = account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert done.cancelled == [appointment.reference]
    # The seat went to the next person on the list, not back to the calendar.
    [offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (offer.entry_id, offer.slot_id) == (next_entry.pk, slot.pk)
    cancelled = AuditEvent.objects.get(
        action=AuditAction.APPOINTMENT_CANCELLED, appointment=appointment
    )
    assert cancelled.details["suspension"] == done.event_id
    # The transparency page counts it as a booking refused as abuse.
    assert sum(refused_as_abuse_by_pair(procedure_id=queue_procedure.pk).values()) == 1
    assert sum(refused_as_abuse_by_pair(procedure_id=queue_procedure.pk + 1000).values()) == 0


def test_suspension_withdraws_open_offers_and_leaves_the_list(
    site, queue_procedure, supervisor, django_capture_on_commit_callbacks
):
    broker, waiting = person(), person()
    entry = _join(broker, queue_procedure, site)
    other = _join(waiting, queue_procedure, site)
    slot = queue_slot(site, queue_procedure)
    [offer] = offers_allocate(procedure_id=queue_procedure.pk)
    assert offer.entry_id == entry.pk

    with django_capture_on_commit_callbacks(execute=True):
        done = account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    offer.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert entry.status == EntryStatus.LEFT
    assert done.entries_left == [entry.pk]
    # The held seat is offered to the next person.
    [next_offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (next_offer.entry_id, next_offer.slot_id) == (other.pk, slot.pk)


def test_a_suspended_account_cannot_log_in_nor_use_its_tokens(site, supervisor, client):
    broker = person()
    _token, key = api_token_create(user=broker.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/appointments/").status_code == 200

    account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    assert api.get("/api/v1/appointments/").status_code == 401
    assert not ApiToken.objects.filter(user=broker.user).exists()
    response = _login_form(client, broker.user)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    token = APIClient().post(
        "/api/v1/auth/token/",
        {"email": broker.user.email, "password": factories.DEFAULT_PASSWORD},
        format="json",
    )
    assert token.status_code == 400


def test_a_session_open_before_the_suspension_ends(site, supervisor, client):
    broker = person()
    login(client, broker.user)
    assert client.get(reverse("accounts:me")).status_code == 200

    account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    assert client.get(reverse("accounts:me")).status_code == 302


def test_the_person_is_told_with_the_reason_and_the_suspension_is_audited(site, supervisor):
    broker = person()

    done = account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    told = Message.objects.filter(user=broker.user, template_key="account_suspended")
    assert {m.channel for m in told} == {"email", "sms"}
    email = told.get(channel="email")
    assert email.destination == broker.user.email
    assert REASON in email.text
    assert f"S-{done.event_id}" in email.text
    assert "/substitution/" in email.text or "substitution" in email.text
    event = AuditEvent.objects.get(pk=done.event_id)
    assert event.action == AuditAction.ACCOUNT_SUSPENDED
    assert event.actor_id == supervisor.pk
    assert event.subject_user_id == broker.user.pk
    assert event.details["reason"] == REASON
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is not None
    assert broker.user.suspended_by_id == supervisor.pk
    assert not broker.user.is_active


def test_lifting_opens_the_account_again(site, supervisor, client):
    broker = person()
    account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    account_suspension_lift(actor=supervisor, user=broker.user)

    broker.user.refresh_from_db()
    assert broker.user.is_active and broker.user.suspended_at is None
    assert broker.user.suspension_reason == ""
    lifted = AuditEvent.objects.get(action=AuditAction.ACCOUNT_SUSPENSION_LIFTED)
    assert lifted.details["reason"] == REASON
    assert Message.objects.filter(
        user=broker.user, template_key="account_suspension_lifted", channel="email"
    ).exists()
    _login_form(client, broker.user)
    assert client.session["_auth_user_id"] == str(broker.user.pk)


def test_past_and_other_peoples_appointments_stay(site, supervisor):
    broker, stranger = person(), person()
    open_procedure = factories.ProcedureFactory()
    mine = appointment_book(
        actor=broker.user,
        applicant=broker,
        slot_id=factories.SlotFactory(site=site, procedure=open_procedure).pk,
    )
    theirs = appointment_book(
        actor=stranger.user,
        applicant=stranger,
        slot_id=factories.SlotFactory(site=site, procedure=open_procedure).pk,
    )

    account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == AppointmentStatus.CANCELLED
    assert theirs.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("role", [Role.AGENT, Role.MEDIATOR, Role.APPLICANT])
def test_only_supervisors_suspend(site, role):
    broker = person()
    actor = factories.UserFactory(role=role)

    with pytest.raises(Forbidden):
        account_suspend(actor=actor, user=broker.user, reason=REASON)

    broker.user.refresh_from_db()
    assert broker.user.is_active and broker.user.suspended_at is None


def test_supervisors_administrators_and_oneself_are_not_suspended(supervisor):
    other_supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    administrator = User.objects.create_superuser("root@example.test", "x" * 20)

    for target in (other_supervisor, administrator, supervisor):
        with pytest.raises(errors.AccountNotSuspendable):
            account_suspend(actor=supervisor, user=target, reason=REASON)
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_SUSPENDED).exists()


def test_an_agent_account_may_be_suspended(supervisor):
    agent = factories.AgentFactory()
    account_suspend(actor=supervisor, user=agent, reason=REASON)
    agent.refresh_from_db()
    assert agent.suspended_at is not None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_required(supervisor, reason):
    broker = person()

    with pytest.raises(errors.SuspensionReasonInvalid):
        account_suspend(actor=supervisor, user=broker.user, reason=reason)

    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_twice_is_refused_and_lifting_an_unsuspended_account_too(supervisor):
    broker = person()
    account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    with pytest.raises(errors.AccountAlreadySuspended):
        account_suspend(actor=supervisor, user=broker.user, reason=REASON)
    account_suspension_lift(actor=supervisor, user=broker.user)
    with pytest.raises(errors.AccountNotSuspended):
        account_suspension_lift(actor=supervisor, user=broker.user)


def test_a_suspended_staff_account_is_not_reactivated_by_the_staff_page(supervisor):
    from accounts.services import staff_reactivate

    agent = factories.AgentFactory()
    account_suspend(actor=supervisor, user=agent, reason=REASON)

    staff_reactivate(actor=supervisor, user=agent)

    agent.refresh_from_db()
    assert not agent.is_active and agent.suspended_at is not None


# --- The pages -----------------------------------------------------------------------


def test_the_account_page_suspends_with_a_reason(web, supervisor, site):
    broker = person()
    login(web, supervisor)
    page = reverse("agent:abuse_account", args=[broker.user.pk])
    assert "Suspend the account" in web.get(page).content.decode()

    response = web.post(reverse("agent:abuse_suspend", args=[broker.user.pk]), {"reason": REASON})

    assert response.status_code == 302
    broker.user.refresh_from_db()
    assert broker.user.suspension_reason == REASON
    shown = web.get(page).content.decode()
    assert "Lift the suspension" in shown and REASON in shown

    response = web.post(reverse("agent:abuse_lift", args=[broker.user.pk]))
    assert response.status_code == 302
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_the_page_refuses_an_empty_reason_and_changes_nothing(web, supervisor):
    broker = person()
    login(web, supervisor)

    response = web.post(reverse("agent:abuse_suspend", args=[broker.user.pk]), {"reason": " "})

    assert response.status_code == 200  # the form again, with its error
    assert "This field is required." in response.content.decode()
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_a_supervisors_account_has_no_button_and_its_post_is_refused(web, supervisor):
    other = factories.UserFactory(role=Role.SUPERVISOR)
    login(web, supervisor)

    page = web.get(reverse("agent:abuse_account", args=[other.pk])).content.decode()
    response = web.post(reverse("agent:abuse_suspend", args=[other.pk]), {"reason": REASON})

    assert "Suspend the account" not in page
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.suspended_at is None


@pytest.mark.parametrize("role", [Role.AGENT, Role.MEDIATOR, Role.APPLICANT])
def test_agents_get_403(web, role):
    broker = person()
    login(web, factories.UserFactory(role=role, access_point=factories.AccessPointFactory()))

    assert web.get(reverse("agent:abuse_account", args=[broker.user.pk])).status_code == 403
    response = web.post(reverse("agent:abuse_suspend", args=[broker.user.pk]), {"reason": REASON})
    assert response.status_code == 403
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_an_unknown_account_is_404(web, supervisor):
    login(web, supervisor)
    assert web.get(reverse("agent:abuse_account", args=[10**9])).status_code == 404
    assert web.post(reverse("agent:abuse_lift", args=[10**9])).status_code == 404


def test_suspensions_are_rate_limited(supervisor, settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "abuse_suspensions": {"account": (1, 3600)},
    }
    from core.ratelimit import RateLimited

    first, second = person(), person()
    account_suspend(actor=supervisor, user=first.user, reason=REASON)
    with pytest.raises(RateLimited):
        account_suspend(actor=supervisor, user=second.user, reason=REASON)
    second.user.refresh_from_db()
    assert second.user.suspended_at is None


def test_the_counter_refusals_count_as_abuse(site):
    procedure = factories.ProcedureFactory()
    applicant = person()
    slot = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=timezone.now() + timedelta(days=2)
    )
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    for _ in range(2):  # twice at the counter: one booking refused
        AuditEvent.objects.create(
            action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED,
            appointment=appointment,
            applicant_id=appointment.applicant_id,
            details={"site": site.pk},
        )

    assert refused_as_abuse_by_pair() == {(procedure.pk, site.pk): 1}
    assert refused_as_abuse_by_pair(procedure_id=procedure.pk, site_id=site.pk) == {
        (procedure.pk, site.pk): 1
    }
    assert refused_as_abuse_by_pair(site_id=site.pk + 1000) == {}
    assert refused_as_abuse_by_pair(since=timezone.now() + timedelta(minutes=1)) == {}
