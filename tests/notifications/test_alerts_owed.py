"""New-slot alerts are owed like every other message: a freed seat's alert
survives a broker that is down, and a publication's announcement that was
missed for days is still made, once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking import services as booking
from notifications import services
from notifications.models import FreedSeatAlert, Message, PublicationAnnouncement
from tests import factories
from tests.helpers import celery_worker as w


def _freed_alerts():
    return Message.objects.filter(
        template_key=services.NEW_SLOTS, idempotency_key__startswith="new_slots:freed:"
    )


def test_a_freed_seat_alert_outlives_a_broker_that_is_down(
    site, procedure, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 0  # publish in the request, and fail there
    subscription = factories.AlertSubscriptionFactory(
        procedure=procedure, sites=[site], channels="email"
    )
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )

    # Nothing listens there: the broker is down when the cancellation commits.
    with (
        w.app_broker("redis://127.0.0.1:1/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        booking.appointment_cancel(actor=applicant.user, appointment=appointment)

    # The alert is owed, not lost: nothing was fanned out yet.
    [owed] = FreedSeatAlert.objects.all()
    assert owed.announced_at is None
    assert not _freed_alerts().exists()

    # The broker is back; the beat's sweep runs after the grace period.
    FreedSeatAlert.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        services.messages_sweep()

    [alert] = _freed_alerts()
    assert alert.destination == subscription.applicant.user.email
    assert alert.status == "sent"
    assert subscription.applicant.user.email in [m.to[0] for m in mailoutbox]
    owed.refresh_from_db()
    assert owed.announced_at is not None and owed.messages_created == 1
    # A second sweep owes nothing more.
    services.messages_sweep()
    assert _freed_alerts().count() == 1


def test_a_freed_seat_owes_its_alert_in_the_cancellations_transaction(site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )

    # No on-commit hook runs here (the test's transaction never commits).
    booking.appointment_cancel(actor=applicant.user, appointment=appointment)

    assert FreedSeatAlert.objects.filter(
        procedure=procedure, site=site, slot=slot, announced_at__isnull=True
    ).exists()


def test_a_freed_seat_nobody_may_book_online_owes_no_alert(site, procedure, agent):
    """Past the booking cut-off only staff book it: an alert would send people
    to a seat they cannot take, and spend the window's one alert."""
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    applicant = factories.ApplicantFactory()
    soon = factories.SlotFactory(
        site=site,
        procedure=procedure,
        starts_at=timezone.now() + timedelta(hours=procedure.cutoff_hours - 1),
    )
    appointment = booking.appointment_book(actor=agent, applicant=applicant, slot_id=soon.pk)

    booking.appointment_cancel(actor=agent, appointment=appointment)

    assert not FreedSeatAlert.objects.exists()


def _publication_visible_days_ago(agent, site, procedure, days: int):
    today = timezone.localdate()
    result = booking.slots_publish(
        actor=agent,
        site=site,
        procedure=procedure,
        date_from=today + timedelta(days=7),
        date_to=today + timedelta(days=8),
        weekdays=range(7),
        opening_ranges=[
            booking.OpeningRange(
                start=datetime.min.time().replace(hour=9), end=datetime.min.time().replace(hour=10)
            )
        ],
        counters=2,
        visible_at=timezone.now() + timedelta(hours=1),
    )
    publication = result.publication
    # It became visible days ago, and the announcer did not run since (stopped, broken).
    type(publication).objects.filter(pk=publication.pk).update(
        visible_at=timezone.now() - timedelta(days=days)
    )
    return publication


def test_an_announcement_missed_three_days_ago_is_made_once(agent, site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    publication = _publication_visible_days_ago(agent, site, procedure, days=3)

    assert services.publications_announce_due() == 2  # an SMS and an e-mail
    assert services.publications_announce_due() == 0

    assert (
        Message.objects.filter(
            idempotency_key__startswith=f"new_slots:pub{publication.pk}:"
        ).count()
        == 2
    )
    assert PublicationAnnouncement.objects.get().publication == publication


@pytest.mark.django_db(transaction=True)
def test_two_announcers_at_once_announce_once():
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    agent = factories.AgentFactory(sites=[site])
    for _n in range(20):
        factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    publication = _publication_visible_days_ago(agent, site, procedure, days=2)
    start = threading.Barrier(2)
    errors = []

    def announcer():
        try:
            start.wait()
            services.publications_announce_due()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=announcer) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    alerts = Message.objects.filter(idempotency_key__startswith=f"new_slots:pub{publication.pk}:")
    assert alerts.count() == 40
    assert alerts.values("applicant", "channel").distinct().count() == 40
    assert PublicationAnnouncement.objects.filter(publication=publication).count() == 1
