"""The public form: acknowledged with a tracking number, the acknowledgment sent,
bad input refused with a clear error and nothing written, rate limits, the
status page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from notifications.models import Message
from substitution.models import State, SubstitutionRequest, tracking_parse
from tests.substitution.conftest import file_request, form_data, rates

pytestmark = pytest.mark.django_db


def test_a_request_is_acknowledged_with_its_tracking_number(client, procedure, site):
    response = client.post(reverse("substitution:request"), form_data(procedure, site))

    assert response.status_code == 302
    filed = SubstitutionRequest.objects.get()
    assert tracking_parse(filed.tracking) == filed.tracking and filed.tracking.startswith("S")
    page = client.get(response["Location"])
    assert filed.tracking in page.content.decode()
    assert filed.state == State.NEW
    assert filed.document_number == "9312345678"
    assert filed.identity_key == "agdref:9312345678"
    assert filed.phone == "+33612345678"
    assert filed.due_at - filed.created_at == timedelta(days=15)
    event = AuditEvent.objects.get(action=AuditAction.SUBSTITUTION_REQUESTED)
    assert event.details["request"] == filed.pk


def test_the_deadline_follows_the_setting(settings, procedure):
    settings.SUBSTITUTION_DEADLINE_DAYS = 3

    filed = file_request(procedure)

    assert filed.due_at - filed.created_at == timedelta(days=3)


def test_the_acknowledgment_is_owed_at_each_contact_in_the_persons_language(procedure):
    filed = file_request(procedure, language="en")

    rows = {m.channel: m for m in Message.objects.filter(template_key="substitution_received")}
    assert set(rows) == {"sms", "email"}
    assert rows["sms"].destination == "+33612345678"
    assert rows["email"].destination == "elodie@example.test"
    for row in rows.values():
        assert filed.tracking in row.text
        assert row.language == "en"
    assert "has been received" in rows["email"].subject


def test_no_message_for_a_postal_address_only(procedure):
    file_request(procedure, phone="", email="", postal_address="12 rue de Paris\n93200 Saint-Denis")

    assert not Message.objects.exists()


def test_the_acknowledgment_goes_out_through_the_real_transports(
    client, procedure, site, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("substitution:request"), form_data(procedure, site))

    filed = SubstitutionRequest.objects.get()
    [sms] = twilio.sent
    assert sms["to"] == "+33612345678" and filed.tracking in sms["body"]
    [email] = mail.outbox
    assert email.to == ["elodie@example.test"] and filed.tracking in email.body
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"document_number": "12"}, "exactly 10 digits"),
        ({"surname": "!!!"}, "Latin letters"),
        ({"birth_date": "2999-01-01"}, "not plausible"),
        ({"phone": "", "email": "", "postal_address": ""}, "at least one way to answer"),
        ({"phone": "01 40 00 00 00"}, "mobile"),
        ({"reason": "bored"}, "valid choice"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(client, procedure, changes, message):
    response = client.post(
        reverse("substitution:request"), form_data(procedure, **changes), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SubstitutionRequest.objects.exists()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SUBSTITUTION_REQUESTED).exists()


def test_a_document_the_procedure_does_not_accept_is_refused(client, procedure):
    procedure.required_document = "passport"
    procedure.save()

    response = client.post(
        reverse("substitution:request"), form_data(procedure), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "requires another identity document" in response.content.decode()
    assert not SubstitutionRequest.objects.exists()


def test_requests_are_rate_limited_per_client_address(client, procedure):
    with rates(substitution={"ip": (2, 3600)}):
        for n in range(2):
            data = form_data(procedure, document_number=f"93000000{n:02d}")
            assert client.post(reverse("substitution:request"), data).status_code == 302
        response = client.post(
            reverse("substitution:request"), form_data(procedure, document_number="9300000099")
        )

    assert response.status_code == 429
    assert SubstitutionRequest.objects.count() == 2


def test_requests_are_rate_limited_per_identity_whatever_the_address(client, procedure):
    with rates(substitution={"identity": (1, 86400)}):
        first = client.post(reverse("substitution:request"), form_data(procedure))
        second = client.post(
            reverse("substitution:request"),
            form_data(procedure, email="other@example.test", phone=""),
            REMOTE_ADDR="192.0.2.77",
        )

    assert first.status_code == 302
    assert second.status_code == 429
    assert SubstitutionRequest.objects.count() == 1


def test_requests_are_rate_limited_per_contact(client, procedure):
    with rates(substitution={"phone": (1, 86400)}):
        client.post(reverse("substitution:request"), form_data(procedure, email=""))
        response = client.post(
            reverse("substitution:request"),
            form_data(procedure, email="", document_number="9399999999"),
        )

    assert response.status_code == 429
    assert SubstitutionRequest.objects.count() == 1


def test_the_acknowledgment_page_needs_a_request_filed_in_this_session(client):
    response = client.get(reverse("substitution:received"))

    assert response.status_code == 302
    assert response["Location"] == reverse("substitution:request")


# --- The status page ------------------------------------------------------------------


def test_the_status_page_shows_the_state_for_the_right_pair(client, filed):
    response = client.post(
        reverse("substitution:status"),
        {"tracking": filed.tracking.lower(), "birth_date": "04/03/1991"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert filed.tracking in page and "New" in page


def test_a_wrong_pair_answers_exactly_like_a_missing_number(client, filed):
    wrong_date = client.post(
        reverse("substitution:status"),
        {"tracking": filed.tracking, "birth_date": "1991-03-05"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    missing = client.post(
        reverse("substitution:status"),
        {"tracking": "SAAAAAAAAA", "birth_date": "1991-03-04"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert wrong_date.status_code == missing.status_code == 200
    assert "No request matches" in wrong_date.content.decode()
    assert _without_token(wrong_date, filed.tracking) == _without_token(missing, "SAAAAAAAAA")


def _without_token(response, tracking: str) -> str:
    page = re.sub(r'value="[^"]*"', "", response.content.decode())
    return page.replace(tracking, "")


def test_the_status_page_is_rate_limited(client, filed):
    with rates(substitution_status={"ip": (2, 3600)}):
        for _ in range(2):
            client.post(reverse("substitution:status"), {"tracking": "SAAAAAAAAA"})
        response = client.post(
            reverse("substitution:status"),
            {"tracking": filed.tracking, "birth_date": "1991-03-04"},
        )

    assert response.status_code == 429
