"""Messages to walk-ins, who have no account: the contacts a mediator typed for
them. Only a mobile: the booking's SMS, through the real twilio SDK (to the
fake Twilio server); only an e-mail: the e-mail, over SMTP (aiosmtpd); neither:
no message, and nothing fails. A walk-in registered at an access point is
written to only on the channels a consent in force covers. Twilio's status
callback records delivery, and ``notifications.selectors.messages_of_appointments``
shows it to the console."""

from __future__ import annotations

import email
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from twilio.request_validator import RequestValidator

from booking.services import appointment_book, appointment_cancel
from mediation.models import Consent
from mediation.services import consent_withdraw
from notifications import services
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.selectors import message_delivery, messages_of_appointments
from tests import factories
from tests.auth import login

MOBILE = "+33612345678"


@pytest.fixture
def point_mediator(db):
    return factories.MediatorFactory()


def _walk_in_booked(mediator, slot, *, phone: str = "", email: str = ""):
    """A walk-in registered at the mediator's point with these contacts, who
    consents, booked by the mediator."""
    walk_in = factories.ApplicantFactory(
        user=None, access_point=mediator.access_point, phone=phone, email=email
    )
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    return appointment_book(actor=mediator, applicant=walk_in, slot_id=slot.pk)


def _send_all(appointment) -> list[str]:
    return [
        services.message_send(message_id=pk).status
        for pk in Message.objects.filter(appointment=appointment).values_list("pk", flat=True)
    ]


def _twilio_calls_back(client, sent: dict, status: str, **extra):
    """Twilio posts ``status`` for the SMS ``sent`` to the callback URL the SDK gave it, signed."""
    path = urlsplit(sent["status_callback"]).path
    data = {"MessageSid": sent["sid"], "MessageStatus": status, **extra}
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        settings.PUBLIC_BASE_URL + path, data
    )
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


# --- Where the booking's confirmation goes --------------------------------------------------


def test_a_walk_in_with_only_a_mobile_gets_the_booking_sms(point_mediator, slot, twilio, smtp):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE)

    assert _send_all(appointment) == ["sent"]

    sms = Message.objects.get(appointment=appointment)
    assert sms.channel == MessageChannel.SMS and sms.template_key == "appointment_booked"
    assert len(twilio.sent) == 1
    sent = twilio.sent[0]
    assert sent["to"] == MOBILE
    assert appointment.reference in sent["body"]
    assert sent["status_callback"].endswith("/notifications/twilio/status/")
    assert sms.provider_id == sent["sid"]
    assert smtp.messages == []


def test_a_walk_in_with_only_an_e_mail_gets_the_e_mail(point_mediator, slot, twilio, smtp):
    appointment = _walk_in_booked(point_mediator, slot, email="walk.in@example.test")

    assert _send_all(appointment) == ["sent"]

    assert twilio.posts() == 0
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["to"] == ["walk.in@example.test"]
    parsed = email.message_from_bytes(smtp.messages[0]["data"])
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
    assert appointment.reference in subject


def test_a_walk_in_with_neither_gets_no_message_and_nothing_fails(
    point_mediator, slot, twilio, smtp
):
    appointment = _walk_in_booked(point_mediator, slot)
    services.reminders_create(now=slot.starts_at - timedelta(days=1))
    services.messages_sweep(now=timezone.now() + timedelta(hours=1))
    cancelled = appointment_cancel(actor=point_mediator, appointment=appointment)

    assert cancelled.status == "cancelled"
    assert not Message.objects.filter(appointment=appointment).exists()
    assert messages_of_appointments([appointment.pk]) == {appointment.pk: []}
    assert twilio.posts() == 0 and smtp.messages == []


def test_a_walk_in_with_both_gets_both(point_mediator, slot, twilio, smtp):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE, email="walk.in@example.test")

    assert sorted(_send_all(appointment)) == ["sent", "sent"]

    assert [sms["to"] for sms in twilio.sent] == [MOBILE]
    assert smtp.messages[0]["to"] == ["walk.in@example.test"]


# --- Only the channels the person consented to ----------------------------------------------


def _walk_in_consenting(mediator, purposes, *, phone=MOBILE, email="walk.in@example.test"):
    walk_in = factories.ApplicantFactory(
        user=None, access_point=mediator.access_point, phone=phone, email=email
    )
    factories.ConsentFactory(applicant=walk_in, mediator=mediator, purposes=purposes)
    return walk_in


def test_a_walk_in_who_consented_to_e_mail_only_gets_no_sms(point_mediator, slot, twilio, smtp):
    walk_in = _walk_in_consenting(point_mediator, ["booking", "contact_email"])

    appointment = appointment_book(actor=point_mediator, applicant=walk_in, slot_id=slot.pk)

    assert _send_all(appointment) == ["sent"]
    assert twilio.posts() == 0
    assert [sent["to"] for sent in smtp.messages] == [["walk.in@example.test"]]


def test_a_walk_in_who_consented_to_no_contact_gets_no_message(point_mediator, slot, twilio, smtp):
    walk_in = _walk_in_consenting(point_mediator, ["booking"])

    appointment = appointment_book(actor=point_mediator, applicant=walk_in, slot_id=slot.pk)
    services.reminders_create(now=slot.starts_at - timedelta(days=1))

    assert not Message.objects.filter(appointment=appointment).exists()
    assert twilio.posts() == 0 and smtp.messages == []


def test_once_the_contact_consent_is_withdrawn_no_reminder_is_owed(point_mediator, site, procedure):
    slot = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=timezone.now() + timedelta(days=10)
    )
    walk_in = _walk_in_consenting(point_mediator, ["booking", "contact_sms", "contact_email"])
    appointment = appointment_book(actor=point_mediator, applicant=walk_in, slot_id=slot.pk)
    assert Message.objects.filter(appointment=appointment).count() == 2  # the confirmations
    # The person withdraws it, and consents again to bookings only.
    consent_withdraw(actor=point_mediator, consent=Consent.objects.get(applicant=walk_in))
    factories.ConsentFactory(applicant=walk_in, mediator=point_mediator, purposes=["booking"])

    created = services.reminders_create(now=slot.starts_at - timedelta(days=2))

    assert created == 0
    assert not Message.objects.filter(appointment=appointment, template_key=services.REMINDER)


def test_a_contact_consent_given_at_another_point_counts(point_mediator, slot, twilio):
    walk_in = _walk_in_consenting(point_mediator, ["booking"], email="")
    factories.ConsentFactory(applicant=walk_in, purposes=["contact_sms"])  # another point's

    appointment = appointment_book(actor=point_mediator, applicant=walk_in, slot_id=slot.pk)

    assert _send_all(appointment) == ["sent"]
    assert [sms["to"] for sms in twilio.sent] == [MOBILE]


def test_a_walk_in_an_agent_registered_is_written_to_without_a_consent(agent, slot, twilio):
    # Typed at the prefecture's counter, not at an access point: no consent applies.
    walk_in = factories.ApplicantFactory(user=None, access_point=None, phone=MOBILE)

    appointment = appointment_book(actor=agent, applicant=walk_in, slot_id=slot.pk)

    assert _send_all(appointment) == ["sent"]
    assert [sms["to"] for sms in twilio.sent] == [MOBILE]


def test_new_slot_alerts_reach_a_walk_in_only_on_consented_channels(
    point_mediator, site, procedure
):
    email_only = _walk_in_consenting(point_mediator, ["booking", "contact_email"])
    nothing = _walk_in_consenting(
        point_mediator, ["booking"], phone="+33612345679", email="n@example.test"
    )
    for walk_in in (email_only, nothing):
        factories.AlertSubscriptionFactory(
            applicant=walk_in, procedure=procedure, sites=[site], channels="both"
        )

    services.alerts_fan_out(procedure_id=procedure.pk, site_id=site.pk, event_key="test:1")

    owed = Message.objects.filter(applicant__in=[email_only, nothing])
    assert list(owed.values_list("applicant_id", "channel", "destination")) == [
        (email_only.pk, MessageChannel.EMAIL, "walk.in@example.test")
    ]


def test_the_console_says_which_typed_contact_gets_no_message(client, point_mediator):
    walk_in = _walk_in_consenting(point_mediator, ["booking", "contact_email"])
    login(client, point_mediator)

    html = client.get(reverse("mediation:person", args=[walk_in.pk])).content.decode()

    with translation.override("fr"):
        no_sms = gettext("No SMS is sent: no consent in force covers contact by SMS.")
        no_email = gettext("No e-mail is sent: no consent in force covers contact by e-mail.")
    assert no_sms in html
    assert no_email not in html


# --- Delivery, as the console reads it -------------------------------------------------------


def test_twilios_delivered_callback_makes_the_console_show_delivered(
    client, point_mediator, slot, twilio
):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE)
    _send_all(appointment)
    [before] = messages_of_appointments([appointment.pk])[appointment.pk]
    assert message_delivery(before).state == "sent"

    response = _twilio_calls_back(client, twilio.sent[0], "delivered")

    assert response.status_code == 204
    [sms] = messages_of_appointments([appointment.pk])[appointment.pk]
    assert sms.channel == MessageChannel.SMS
    assert sms.status == MessageStatus.DELIVERED
    delivery = message_delivery(sms)
    assert delivery.state == "delivered"
    assert delivery.at is not None and delivery.at == sms.delivered_at


def test_an_undelivered_callback_makes_the_console_show_failed(
    client, point_mediator, slot, twilio
):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE)
    _send_all(appointment)

    _twilio_calls_back(client, twilio.sent[0], "undelivered", ErrorCode="30003")

    [sms] = messages_of_appointments([appointment])[appointment.pk]
    assert message_delivery(sms).state == "failed"
    assert "30003" in sms.last_error


def test_an_sms_twilio_refuses_shows_failed(point_mediator, slot, twilio):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE)
    twilio.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")

    assert _send_all(appointment) == ["failed"]

    [sms] = messages_of_appointments([appointment.pk])[appointment.pk]
    assert message_delivery(sms).state == "failed"


def test_a_message_not_yet_sent_shows_pending(point_mediator, slot):
    appointment = _walk_in_booked(point_mediator, slot, phone=MOBILE)

    [sms] = messages_of_appointments([appointment.pk])[appointment.pk]

    assert message_delivery(sms) == ("pending", sms.created_at)


def test_messages_of_appointments_is_one_query_however_many(point_mediator, site, procedure):
    appointments = []
    for n in range(4):
        slot = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
        appointments.append(
            _walk_in_booked(point_mediator, slot, phone=f"+3361234567{n}", email=f"w{n}@ex.test")
        )
    appointment_cancel(actor=point_mediator, appointment=appointments[0])
    asked = [a.pk for a in appointments]

    with CaptureQueriesContext(connection) as queries:
        found = messages_of_appointments(asked)
        shown = [
            (m.channel, m.status, m.template_key, message_delivery(m).state)
            for ms in found.values()
            for m in ms
        ]

    assert len(queries) == 1
    assert list(found) == asked
    assert len(found[appointments[0].pk]) == 4  # booked and cancelled, SMS and e-mail
    assert all(len(found[pk]) == 2 for pk in asked[1:])
    assert len(shown) == 10
    # Newest first: the cancellation's before the booking's.
    assert found[appointments[0].pk][0].template_key == "appointment_cancelled"
    assert messages_of_appointments([]) == {}
