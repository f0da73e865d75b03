"""Ids and other values read from what a client sends: one parser, and never a 500.

``str.isdigit`` is true for "²", which ``int`` refuses; ``int`` takes numbers
PostgreSQL does not (past ``bigint``); PostgreSQL refuses NUL bytes in text.
Each test here is a case that answered a 500 (the fuzz harness,
``tests/test_fuzz_routes.py``, found most of them).
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.selectors import AuditFilters, audit_events_search
from booking.services import appointment_book
from core.parsing import MAX_ID, parse_id, parse_ids
from notifications.models import AlertSubscription
from tests import factories
from tests.auth import login

HUGE = 2**64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (str(MAX_ID), MAX_ID),
        (7, 7),
        (MAX_ID, MAX_ID),
    ],
)
def test_parse_id_takes_ascii_digits_within_bigint(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # isdigit() is true, int() raises
        "1²",
        "①",
        "٣",  # int() takes it: still no id of ours
        "\uff11",  # fullwidth one
        "",
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_0",
        "01",
        "1\x00",
        str(MAX_ID + 1),
        str(HUGE),
        pytest.param("9" * 5000, id="past-int-digit-limit"),
        0,
        -1,
        MAX_ID + 1,
        True,
        1.0,
        None,
        ["1"],
    ],
)
def test_parse_id_refuses_anything_else(value):
    assert parse_id(value) is None


def test_parse_ids_keeps_only_the_ids():
    assert parse_ids(["3", "²", str(HUGE), "x", "5"]) == [3, 5]


@pytest.mark.django_db
def test_alert_subscription_ignores_site_values_that_are_no_ids(client, applicant, procedure):
    site = factories.SiteFactory()
    client.force_login(applicant.user)

    response = client.post(
        reverse("notifications:alert_subscribe", args=[procedure.slug]),
        {"consent": "yes", "channels": "sms", "sites": ["²", str(HUGE), "٣", str(site.pk)]},
    )

    assert response.status_code == 302
    assert list(AlertSubscription.objects.get().sites.all()) == [site]


@pytest.mark.django_db
def test_audit_search_for_a_superscript_number_searches_instead_of_failing(client, supervisor):
    login(client, supervisor)

    response = client.get(reverse("audit:search"), {"applicant": "²"})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["²", "①", str(HUGE), "9" * 5000], ids=["sup", "circ", "huge", "long"]
)
def test_audit_selector_takes_no_id_that_is_not_one(value):
    assert list(audit_events_search(filters=AuditFilters(applicant=value))) == []


@pytest.mark.django_db
def test_a_slot_id_past_bigint_is_a_slot_that_does_not_exist(  # a guard: it passed before
    client, applicant, slot
):
    client.force_login(applicant.user)

    assert client.get(reverse("booking:confirm", args=[HUGE])).status_code == 404
    response = client.post(reverse("booking:confirm", args=[HUGE]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_reference_with_a_nul_byte_is_one_that_does_not_exist(client, applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    client.force_login(applicant.user)

    for name in ("appointment_detail", "appointment_cancel", "appointment_reschedule"):
        assert client.get(reverse(f"booking:{name}", args=["A\x00B"])).status_code == 404
    assert client.get(reverse("api:appointment-detail", args=["A\x00B"])).status_code == 404
    # The lower-case reference is still the appointment.
    detail = reverse("booking:appointment_detail", args=[appointment.reference.lower()])
    assert client.get(detail).status_code == 200


@pytest.mark.django_db
def test_a_site_with_a_nul_byte_when_rescheduling_is_the_appointments_site(client, applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    client.force_login(applicant.user)

    response = client.get(
        reverse("booking:appointment_reschedule", args=[appointment.reference]), {"site": "\x00"}
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_next_that_is_no_path_leads_to_the_landing_page(client, applicant):
    client.force_login(applicant.user)

    response = client.get(reverse("accounts:otp_verify"), {"next": "0"})

    assert response.status_code == 302
    assert response["Location"] != "0"


@pytest.mark.django_db
def test_unlocking_an_address_with_a_nul_byte_is_a_message(client, supervisor):
    login(client, supervisor)

    response = client.post(reverse("accounts:lockouts"), {"email": "a\x00@example.test"})

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]


@pytest.mark.parametrize("value", ["²/m", "10/²m", "\u0661\u0660/m"])
def test_a_rate_setting_with_other_digits_is_a_configuration_error(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_rate

    monkeypatch.setenv("GUICHET_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="GUICHET_TEST_RATE"):
        env_rate("GUICHET_TEST_RATE", "1/d")
