"""Twilio's callbacks: signed or refused."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from notifications.models import Message, MessageStatus, SmsOptOut
from tests.helpers.notification_factories import sent_sms

STATUS_URL = "/notifications/twilio/status/"
INBOUND_URL = "/notifications/twilio/inbound/"
TOKEN = "webhook-test-auth-token"
BASE = "https://guichet.example.org"


@pytest.fixture(autouse=True)
def _twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


def _signed_post(client, path, data, token=TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_status_callback_with_a_bad_signature_is_refused_and_changes_nothing(client, db):
    message = sent_sms()
    data = {"MessageSid": message.provider_id, "MessageStatus": "delivered"}

    response = _signed_post(client, STATUS_URL, data, token="not-the-token")

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.delivered_at is None


def test_status_callback_without_signature_is_refused(client, db):
    message = sent_sms()
    response = client.post(
        STATUS_URL, {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    )
    assert response.status_code == 403


def test_signed_status_callback_marks_delivered(client, db):
    message = sent_sms()

    response = _signed_post(
        client,
        STATUS_URL,
        {"MessageSid": message.provider_id, "MessageStatus": "delivered", "To": "+33612345678"},
    )

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None


def test_a_late_sent_does_not_undo_delivered(client, db):
    message = sent_sms()
    _signed_post(
        client, STATUS_URL, {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    )
    _signed_post(client, STATUS_URL, {"MessageSid": message.provider_id, "MessageStatus": "sent"})

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_undelivered_records_the_error(client, db):
    message = sent_sms()
    _signed_post(
        client,
        STATUS_URL,
        {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.UNDELIVERED
    assert "30003" in message.last_error


def test_webhooks_take_post_only(client, db):
    assert client.get(STATUS_URL).status_code == 405
    assert client.get(INBOUND_URL).status_code == 405


@pytest.mark.parametrize("body", ["STOP", " stop ", "Arrêt", "ARRET", "STOP ALL", "stopall"])
def test_stop_opts_the_number_out(client, db, body):
    response = _signed_post(client, INBOUND_URL, {"From": "+33612345678", "Body": body})

    assert response.status_code == 200
    assert "<Response>" in response.content.decode()
    assert SmsOptOut.objects.filter(phone="+33612345678").exists()


def test_start_opts_the_number_back_in(client, db):
    SmsOptOut.objects.create(phone="+33612345678")

    _signed_post(client, INBOUND_URL, {"From": "+33612345678", "Body": "START"})

    assert not SmsOptOut.objects.exists()


def test_inbound_with_a_bad_signature_changes_nothing(client, db):
    response = _signed_post(
        client, INBOUND_URL, {"From": "+33612345678", "Body": "STOP"}, token="wrong"
    )
    assert response.status_code == 403
    assert not SmsOptOut.objects.exists()


def test_other_replies_change_nothing(client, db):
    _signed_post(client, INBOUND_URL, {"From": "+33612345678", "Body": "Merci, à jeudi"})
    assert not SmsOptOut.objects.exists()
    assert Message.objects.count() == 0


def test_stop_also_cancels_alerts_already_owed_to_the_number(client, db):
    alert = sent_sms(
        status=MessageStatus.PENDING, template_key="new_slots", essential=False, provider_id=""
    )
    confirmation = sent_sms(status=MessageStatus.PENDING, provider_id="")

    _signed_post(client, INBOUND_URL, {"From": alert.destination, "Body": "STOP"})

    alert.refresh_from_db()
    confirmation.refresh_from_db()
    assert alert.status == MessageStatus.FAILED
    assert "STOP" in alert.last_error
    assert confirmation.status == MessageStatus.PENDING
