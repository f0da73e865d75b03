"""My data: the JSON export, deleting my account, the retention purge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdentityClaimAttempt, User
from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Appointment, AppointmentStatus, Slot
from booking.services import appointment_book
from core.errors import Forbidden
from notifications.models import Message, MessageStatus
from privacy import services
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


def _book(applicant: Applicant, slot: Slot) -> Appointment:
    return appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def _into_the_past(appointment: Appointment, days: int) -> None:
    """Move an appointment's slot ``days`` into the past (booking in the past is refused)."""
    starts = timezone.now() - timedelta(days=days)
    Slot.objects.filter(pk=appointment.slot_id).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=20)
    )


def test_export_holds_my_account_identity_appointments_messages_and_alerts(
    web, applicant, slot, other_applicant, django_assert_max_num_queries
):
    mine = _book(applicant, slot)
    theirs = _book(other_applicant, factories.SlotFactory(site=slot.site, procedure=slot.procedure))
    factories.AlertSubscriptionFactory(applicant=applicant, sites=[slot.site])
    factories.AlertSubscriptionFactory(applicant=other_applicant, sites=[slot.site])
    web.force_login(applicant.user)
    with django_assert_max_num_queries(12):
        response = web.get(reverse("accounts:data_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == applicant.user.email
    assert data["identity"]["document_number"] == applicant.document_number
    assert [a["reference"] for a in data["appointments"]] == [mine.reference]
    assert len(data["alert_subscriptions"]) == 1
    assert {m["destination"] for m in data["messages"]} <= {applicant.phone, applicant.email}
    assert data["messages"]
    text = response.content.decode()
    assert theirs.reference not in text
    assert other_applicant.document_number not in text
    assert other_applicant.user.email not in text
    [row] = AuditEvent.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED)
    assert (row.actor_id, row.subject_user_id) == (applicant.user_id, applicant.user_id)


def test_delete_needs_the_password(web, applicant):
    web.force_login(applicant.user)
    response = web.post(reverse("accounts:delete"), {"password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert User.objects.filter(pk=applicant.user_id).exists()


def test_delete_cancels_future_appointments_and_frees_their_seats(web, applicant, slot):
    future = _book(applicant, slot)
    past = _book(applicant, factories.SlotFactory(site=slot.site))
    _into_the_past(past, days=30)
    user_id = applicant.user_id
    web.force_login(applicant.user)
    assert future.reference in web.get(reverse("accounts:delete")).content.decode()

    response = web.post(reverse("accounts:delete"), {"password": factories.DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user_id).exists()
    future.refresh_from_db()
    assert future.status == AppointmentStatus.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == 0
    # The past appointment row stays for statistics, with its immutable identity ...
    past.refresh_from_db()
    assert past.status == AppointmentStatus.BOOKED
    assert past.surname == applicant.surname
    # ... but the identity record is detached and erased, and can be registered again.
    record = Applicant.objects.get(pk=applicant.pk)
    assert record.user_id is None
    assert (record.phone, record.email, record.surname) == ("", "", "-")
    assert record.identity_key != applicant.identity_key
    # Logged out.
    assert web.get(reverse("accounts:me")).status_code == 302


def test_delete_without_appointments_removes_the_identity_record(applicant):
    services.account_delete(user=applicant.user, password=factories.DEFAULT_PASSWORD)
    assert not Applicant.objects.filter(pk=applicant.pk).exists()


def test_delete_blanks_sent_messages_but_lets_owed_ones_go(applicant, slot):
    _book(applicant, slot)
    Message.objects.filter(applicant=applicant).update(status=MessageStatus.SENT)
    services.account_delete(user=applicant.user, password=factories.DEFAULT_PASSWORD)
    sent = Message.objects.filter(status=MessageStatus.SENT, template_key="appointment_booked")
    assert sent.exists()
    assert set(sent.values_list("destination", "text")) == {("", "")}
    # The cancellation notices are owed to the address the person had: they go out.
    cancelled = Message.objects.filter(template_key="appointment_cancelled")
    assert cancelled.exists()
    assert all(m.destination for m in cancelled)


def test_staff_cannot_delete_their_account_here(web, agent):
    login(web, agent)
    response = web.post(reverse("accounts:delete"), {"password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert User.objects.filter(pk=agent.pk).exists()
    with pytest.raises(Forbidden):
        services.account_delete(user=agent, password=factories.DEFAULT_PASSWORD)


def test_the_identity_on_a_kept_appointment_cannot_be_blanked_piecemeal(applicant, slot):
    """Why deletion keeps the appointment's identity until its retention ends:
    the database refuses any edit but the whole erasure, which the purge makes."""
    appointment = _book(applicant, slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(surname="-")


@override_settings(RETENTION_MONTHS=6)
def test_purge_erases_what_is_past_retention_and_leaves_the_rest(slot):
    old = factories.ApplicantFactory()
    old_appointment = _book(old, slot)
    _into_the_past(old_appointment, days=200)
    recent = factories.ApplicantFactory()
    recent_appointment = _book(recent, factories.SlotFactory(site=slot.site))
    _into_the_past(recent_appointment, days=30)
    active_user = factories.ApplicantFactory()
    active_appointment = _book(active_user, factories.SlotFactory(site=slot.site))
    _into_the_past(active_appointment, days=200)
    User.objects.filter(pk=active_user.user_id).update(last_login=timezone.now())
    mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(user=None, email="", access_point=mediator.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    walk_in_appointment = appointment_book(
        actor=mediator,
        applicant=walk_in,
        slot_id=factories.SlotFactory(site=slot.site).pk,
    )
    _into_the_past(walk_in_appointment, days=200)
    never_confirmed = factories.UnverifiedUserFactory()
    User.objects.filter(pk=never_confirmed.pk).update(
        date_joined=timezone.now() - timedelta(days=8)
    )
    fresh_unconfirmed = factories.UnverifiedUserFactory()
    IdentityClaimAttempt.objects.create(identity_key="agdref:1", account=None)
    IdentityClaimAttempt.objects.filter().update(created_at=timezone.now() - timedelta(days=200))

    call_command("purge_personal_data", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not User.objects.filter(pk=old.user_id).exists()
    assert Applicant.objects.get(pk=old.pk).surname == "-"
    assert Appointment.objects.filter(pk=old_appointment.pk).exists()  # statistics stay
    # The identity copied onto every appointment past retention, whoever's.
    for appointment in (old_appointment, walk_in_appointment, active_appointment):
        stored = Appointment.objects.get(pk=appointment.pk)
        assert (stored.surname, stored.given_names, stored.document_number) == ("-", "-", "-")
        assert stored.identity_erased_at is not None
        assert stored.nationality == appointment.nationality
    assert Appointment.objects.get(pk=recent_appointment.pk).surname == recent.surname
    assert Applicant.objects.get(pk=active_user.pk).surname == active_user.surname
    assert Applicant.objects.get(pk=walk_in.pk).surname == "-"
    assert Applicant.objects.get(pk=recent.pk).surname == recent.surname
    assert User.objects.filter(pk=recent.user_id).exists()
    assert User.objects.filter(pk=active_user.user_id).exists()
    assert not User.objects.filter(pk=never_confirmed.pk).exists()
    assert User.objects.filter(pk=fresh_unconfirmed.pk).exists()
    assert not IdentityClaimAttempt.objects.exists()


def test_purge_twice_changes_nothing_more(slot):
    old = factories.ApplicantFactory()
    _into_the_past(_book(old, slot), days=400)
    first = services.personal_data_purge()
    second = services.personal_data_purge()
    assert (first.accounts_erased, first.appointments_erased) == (1, 1)
    assert (
        second.accounts_erased,
        second.walk_ins_erased,
        second.unconfirmed_deleted,
        second.appointments_erased,
    ) == (0, 0, 0, 0)


@override_settings(RETENTION_MONTHS=6)
def test_purge_erases_appointments_in_batches_and_records_it(monkeypatch, site):
    from booking import services as booking_services

    monkeypatch.setattr(booking_services.retention, "ERASE_BATCH", 2)
    past = []
    for _ in range(5):
        appointment = _book(factories.ApplicantFactory(), factories.SlotFactory(site=site))
        _into_the_past(appointment, days=200)
        past.append(appointment.pk)
    kept = _book(factories.ApplicantFactory(), factories.SlotFactory(site=site))
    _into_the_past(kept, days=170)

    assert services.personal_data_purge().appointments_erased == 5

    erased = Appointment.objects.filter(identity_erased_at__isnull=False)
    assert sorted(erased.values_list("pk", flat=True)) == sorted(past)
    assert sorted(erased.values_list("identity_key", flat=True)) == sorted(
        f"erased:{pk}" for pk in past
    )
    event = AuditEvent.objects.get(action=AuditAction.APPOINTMENTS_ANONYMISED)
    assert event.actor_id is None
    assert event.details["appointments"] == 5
    assert event.details["by"] == "purge"


def test_purge_is_scheduled_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-purge-personal-data"]
    assert entry["task"] == "accounts.purge_personal_data"
    assert entry["schedule"] == 24 * 3600.0


def test_purge_keeps_an_unconfirmed_account_that_has_appointments(slot):
    mediator = factories.MediatorFactory()
    applicant = factories.ApplicantFactory(
        user=factories.UnverifiedUserFactory(), access_point=mediator.access_point
    )
    # Only staff can book for an account that is not confirmed (a mediator, say).
    factories.ConsentFactory(applicant=applicant, mediator=mediator)
    appointment_book(actor=mediator, applicant=applicant, slot_id=slot.pk)
    User.objects.filter(pk=applicant.user_id).update(
        date_joined=timezone.now() - timedelta(days=30)
    )
    assert services.personal_data_purge().unconfirmed_deleted == 0
    assert User.objects.filter(pk=applicant.user_id).exists()


@override_settings(RETENTION_MONTHS=6)
def test_purge_erases_an_account_without_appointments_unused_past_retention():
    idle = factories.ApplicantFactory()
    used = factories.ApplicantFactory()
    long_ago = timezone.now() - timedelta(days=200)
    User.objects.filter(pk__in=[idle.user_id, used.user_id]).update(
        date_joined=long_ago, last_login=long_ago
    )
    User.objects.filter(pk=used.user_id).update(last_login=timezone.now())
    result = services.personal_data_purge()
    assert result.accounts_erased == 1
    assert not User.objects.filter(pk=idle.user_id).exists()
    assert not Applicant.objects.filter(pk=idle.pk).exists()
    assert User.objects.filter(pk=used.user_id).exists()
