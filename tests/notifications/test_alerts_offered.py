"""No alerts for a procedure applicants cannot book themselves: its booking link
would answer 404. The alerts page says who books it and where to find them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import services as booking
from notifications import services
from notifications.errors import AlertsNotOffered
from notifications.models import AlertSubscription, FreedSeatAlert, Message
from tests import factories


@pytest.fixture
def booked_for_them(db):
    return factories.ProcedureFactory(self_booking=False, name="Remise de titre")


def test_the_alerts_page_offers_only_what_applicants_book(
    client, applicant, procedure, booked_for_them
):
    client.force_login(applicant.user)

    page = client.get(reverse("notifications:alerts")).content.decode()

    assert reverse("notifications:alert_subscribe", args=[procedure.slug]) in page
    assert reverse("notifications:alert_subscribe", args=[booked_for_them.slug]) not in page
    assert booked_for_them.name in page  # listed, as booked for the applicant
    assert reverse("mediation:points") in page


def test_subscribing_to_a_procedure_booked_by_staff_is_refused_cleanly(
    client, applicant, site, booked_for_them
):
    client.force_login(applicant.user)
    url = reverse("notifications:alert_subscribe", args=[booked_for_them.slug])

    page = client.get(url)
    post = client.post(
        url, {"sites": [site.pk], "channels": "email", "consent": "yes"}, follow=True
    )

    assert page.status_code == 302 and page.url == reverse("notifications:alerts")
    assert post.status_code == 200
    assert reverse("mediation:points") in post.content.decode()
    assert not AlertSubscription.objects.exists()
    with pytest.raises(AlertsNotOffered):
        services.alert_subscribe(
            applicant=applicant, procedure=booked_for_them, site_ids=[site.pk], channels="email"
        )


def test_existing_subscriptions_get_no_alert_once_staff_book_the_procedure(agent, site, procedure):
    # Subscribed while applicants booked it; then the prefecture changed that.
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site])
    procedure.self_booking = False
    procedure.save(update_fields=["self_booking"])
    today = timezone.localdate()
    booking.slots_publish(
        actor=agent,
        site=site,
        procedure=procedure,
        date_from=today + timedelta(days=7),
        date_to=today + timedelta(days=7),
        weekdays=range(7),
        opening_ranges=[
            booking.OpeningRange(
                start=datetime.min.time().replace(hour=9), end=datetime.min.time().replace(hour=10)
            )
        ],
        counters=1,
        visible_at=timezone.now() + timedelta(minutes=1),
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)

    later = timezone.now() + timedelta(minutes=2)
    assert services.publications_announce_due(now=later) == 0
    assert services.freed_seat_announce(slot_id=slot.pk, appointment_id=0) == 0
    assert not Message.objects.filter(template_key=services.NEW_SLOTS).exists()
    assert not FreedSeatAlert.objects.exists()
