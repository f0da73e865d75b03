"""New-slot alerts: opt-in, one per subscriber per event, random order, quiet nights."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking import services as booking
from notifications import services
from notifications.models import (
    AlertSubscription,
    Message,
    MessageChannel,
    PublicationAnnouncement,
    SmsOptOut,
)
from notifications.services import common
from tests import factories
from tests.helpers.alert_subscribers import subscribers

PARIS = ZoneInfo("Europe/Paris")


def _fan_out(procedure, site, now, event_key="pub1", **kwargs):
    return services.alerts_fan_out(
        procedure_id=procedure.pk, site_id=site.pk, event_key=event_key, now=now, **kwargs
    )


@pytest.mark.slow
def test_ten_thousand_subscribers_get_one_alert_each_and_no_sms_at_night(
    site, procedure, django_assert_max_num_queries
):
    subscribers(n=10_000, procedure=procedure, site=site)
    night = datetime(2026, 12, 1, 22, 0, tzinfo=PARIS)

    created = _fan_out(procedure, site, night)

    assert created == 20_000
    alerts = Message.objects.filter(template_key="new_slots")
    assert alerts.count() == 20_000
    assert alerts.values("applicant", "channel").distinct().count() == 20_000
    morning = datetime(2026, 12, 2, 8, 0, tzinfo=PARIS)
    sms_times = set(alerts.filter(channel="sms").values_list("next_attempt_at", flat=True))
    assert sms_times == {morning}
    email_times = set(alerts.filter(channel="email").values_list("next_attempt_at", flat=True))
    assert email_times == {night}
    # Running the fan-out again creates nothing twice.
    with django_assert_max_num_queries(60):
        assert _fan_out(procedure, site, night + timedelta(minutes=5)) == 0
    assert alerts.count() == 20_000


def test_quiet_hours_boundaries():
    def at(h, m=0):
        return datetime(2026, 7, 1, h, m, tzinfo=PARIS)

    assert common.sms_due_at(now=at(20, 59)) == at(20, 59)
    assert common.sms_due_at(now=at(21, 0)) == datetime(2026, 7, 2, 8, 0, tzinfo=PARIS)
    assert common.sms_due_at(now=at(3, 0)) == at(8, 0)
    assert common.sms_due_at(now=at(8, 0)) == at(8, 0)


def test_sms_held_for_the_morning_are_not_sent_at_night(site, procedure):
    subscribers(n=3, procedure=procedure, site=site, channels="sms")
    night = datetime(2026, 12, 1, 23, 30, tzinfo=PARIS)
    _fan_out(procedure, site, night)
    held = Message.objects.filter(template_key="new_slots")

    for message in held:
        assert services.message_send(message_id=message.pk, now=night).status == "skipped"
    assert services.messages_sweep(now=night + timedelta(hours=1)) == 0
    morning = datetime(2026, 12, 2, 8, 5, tzinfo=PARIS)
    assert services.message_send(message_id=held[0].pk, now=morning).status == "sent"


def test_daytime_alerts_go_at_once(site, procedure):
    subscribers(n=4, procedure=procedure, site=site)
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)

    _fan_out(procedure, site, noon)

    assert set(Message.objects.values_list("next_attempt_at", flat=True)) == {noon}


def test_subscribers_are_served_in_random_order(site, procedure):
    subs = subscribers(n=200, procedure=procedure, site=site, channels="email")
    now = timezone.now()

    _fan_out(procedure, site, now, event_key="pub1", rng=random.Random(1))
    _fan_out(procedure, site, now, event_key="pub2", rng=random.Random(2))

    def order(event):
        rows = Message.objects.filter(idempotency_key__startswith=f"new_slots:{event}:")
        return list(rows.order_by("pk").values_list("applicant_id", flat=True))

    first, second = order("pub1"), order("pub2")
    by_subscription = [s.applicant_id for s in subs]
    assert sorted(first) == sorted(by_subscription)
    assert first != by_subscription
    assert first != second


def test_only_the_chosen_channels_sites_and_procedure(site, procedure):
    other_site = factories.SiteFactory()
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="sms")
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[other_site])
    factories.AlertSubscriptionFactory(sites=[site])  # another procedure
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], is_active=False)

    created = _fan_out(procedure, site, timezone.now())

    assert created == 1
    assert Message.objects.get().channel == MessageChannel.SMS


def test_a_number_that_said_stop_gets_no_alert_sms(site, procedure):
    sub = factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    SmsOptOut.objects.create(phone=sub.applicant.phone)

    _fan_out(procedure, site, timezone.now())

    assert list(Message.objects.values_list("channel", flat=True)) == [MessageChannel.EMAIL]


def test_alert_carries_a_working_unsubscribe_link(client, site, procedure, settings):
    settings.PUBLIC_BASE_URL = "https://guichet.example.org"
    sub = factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    _fan_out(procedure, site, timezone.now())
    message = Message.objects.get()
    prefix = "https://guichet.example.org"
    link = next(w for w in message.text.split() if "/alerts/stop/" in w)
    assert link in message.html

    page = client.get(link.removeprefix(prefix))
    assert page.status_code == 200
    assert sub.procedure.name in page.content.decode()
    client.post(link.removeprefix(prefix))

    sub.refresh_from_db()
    assert not sub.is_active
    assert _fan_out(procedure, site, timezone.now(), event_key="pub2") == 0


def test_a_forged_unsubscribe_link_is_refused(client, db):
    sub = factories.AlertSubscriptionFactory()
    response = client.post(f"/notifications/alerts/stop/{sub.pk}:forged/")
    assert response.status_code == 404
    sub.refresh_from_db()
    assert sub.is_active


def test_publication_is_announced_once_when_it_becomes_visible(agent, site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    today = timezone.localdate()
    soon = timezone.now() + timedelta(hours=1)
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
        visible_at=soon,
    )

    assert services.publications_announce_due() == 0  # not visible yet
    later = soon + timedelta(minutes=1)
    assert services.publications_announce_due(now=later) == 2
    assert services.publications_announce_due(now=later + timedelta(minutes=1)) == 0
    assert PublicationAnnouncement.objects.get().publication == result.publication


def test_a_cancellation_alerts_subscribers_once_per_window(
    site, procedure, django_capture_on_commit_callbacks
):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    appointments = []
    for _n in range(2):
        applicant = factories.ApplicantFactory()
        slot = factories.SlotFactory(site=site, procedure=procedure)
        appointments.append(
            booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
        )

    for appointment in appointments:
        with django_capture_on_commit_callbacks(execute=True):
            booking.appointment_cancel(actor=appointment.applicant.user, appointment=appointment)

    freed = Message.objects.filter(
        template_key="new_slots", idempotency_key__startswith="new_slots:freed:"
    )
    assert freed.count() == 1
    slot = appointments[0].slot
    later = timezone.now() + timedelta(minutes=31)
    assert services.freed_seat_announce(slot_id=slot.pk, appointment_id=0, now=later) == 1


def test_a_reschedule_alerts_subscribers_of_the_seat_it_frees(
    site, procedure, django_capture_on_commit_callbacks
):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], channels="email")
    applicant = factories.ApplicantFactory()
    first = factories.SlotFactory(site=site, procedure=procedure)
    second = factories.SlotFactory(site=site, procedure=procedure)
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=first.pk
    )

    with django_capture_on_commit_callbacks(execute=True):
        booking.appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=second.pk
        )

    assert Message.objects.filter(
        template_key="new_slots", idempotency_key__startswith=f"new_slots:freed:s{site.pk}:"
    ).exists()


def test_a_freed_seat_in_a_reserved_pool_alerts_nobody(site, procedure):
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    slot = factories.SlotFactory(site=site, procedure=procedure, pool="mediation")

    assert services.freed_seat_announce(slot_id=slot.pk, appointment_id=1) == 0


# --- Pages -----------------------------------------------------------------------------


def test_subscribe_page_ticks_nothing_in_advance(client, applicant, site, procedure):
    client.force_login(applicant.user)

    page = client.get(f"/notifications/alerts/new/{procedure.slug}/")

    assert page.status_code == 200
    assert "checked" not in page.content.decode()


def test_subscribing_needs_explicit_consent(client, applicant, site, procedure):
    client.force_login(applicant.user)
    url = f"/notifications/alerts/new/{procedure.slug}/"

    client.post(url, {"sites": [site.pk], "channels": "sms"})
    assert not AlertSubscription.objects.exists()

    response = client.post(url, {"sites": [site.pk], "channels": "sms", "consent": "yes"})
    assert response.status_code == 302
    sub = AlertSubscription.objects.get()
    assert sub.applicant == applicant
    assert list(sub.sites.all()) == [site]
    assert sub.channels == "sms"
    assert procedure.name in client.get("/notifications/alerts/").content.decode()


def test_subscribing_without_a_site_is_refused(client, applicant, procedure):
    client.force_login(applicant.user)
    client.post(
        f"/notifications/alerts/new/{procedure.slug}/", {"channels": "email", "consent": "yes"}
    )
    assert not AlertSubscription.objects.exists()


def test_nothing_free_page_links_to_alerts(client, applicant, procedure, site):
    client.force_login(applicant.user)
    page = client.get(f"/book/{procedure.slug}/")
    assert f"/notifications/alerts/new/{procedure.slug}/" in page.content.decode()
